import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { Refusal } from '../refusal.js';

const run = promisify(execFile);

/** The account PostgreSQL runs as when we are root (it refuses to run as root itself). */
export interface RunAs { name: string; uid: number; gid: number }

export const POSTGRES_USER = 'postgres';

async function lookup(name: string): Promise<RunAs | undefined> {
  try {
    const { stdout } = await run('getent', ['passwd', name]);
    const [, , uid, gid] = stdout.trim().split(':');
    return { name, uid: Number(uid), gid: Number(gid) };
  } catch {
    return undefined;
  }
}

/**
 * As root: the `postgres` system user, created (with its own group, no home, no shell) when the
 * machine has none — what a PostgreSQL package would do. Not root: undefined, the server runs as us.
 */
export async function postgresRunAs(): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const found = await lookup(POSTGRES_USER);
  if (found) return found;
  try {
    await run('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent',
      '--shell', '/usr/sbin/nologin', POSTGRES_USER]);
  } catch (e) {
    const why = (e as { stderr?: string }).stderr?.trim() || (e as Error).message;
    throw new Refusal('PostgreSQL', `refuses to run as root, and the system user "${POSTGRES_USER}" to run it as could not be created (${why}); create that user, run pingpong as a non-root user, or set DATABASE_URL to another server`);
  }
  const made = await lookup(POSTGRES_USER);
  if (!made) throw new Refusal('PostgreSQL', `created the system user "${POSTGRES_USER}" but cannot look it up`);
  return made;
}

/**
 * Whether `user` can search every directory in `dirs` and execute every file in `executables`:
 * asked of the kernel by a shell running as that user, so modes, ACLs and every ancestor folder
 * count exactly as they will for PostgreSQL.
 */
export function canReach(user: RunAs, dirs: string[], executables: string[] = []): Promise<boolean> {
  const script = 'for d in $DIRS; do test -d "$d" -a -x "$d" || exit 1; done; for f in $EXES; do test -x "$f" || exit 1; done';
  return new Promise((resolve) => {
    // Paths go through the environment, split on newlines only, so spaces in them are safe.
    const child = spawn('/bin/sh', ['-c', `IFS='\n'; ${script}`], {
      uid: user.uid, gid: user.gid, stdio: 'ignore', cwd: '/',
      env: { PATH: '/usr/bin:/bin', DIRS: dirs.join('\n'), EXES: executables.join('\n') },
    });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}
