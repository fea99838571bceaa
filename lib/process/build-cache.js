// Plain JavaScript on purpose: bin/pingpong.js uses it before anything can load TypeScript.
/**
 * A build kept under node_modules/.cache/<name>/<hash of its inputs>: made when its inputs change,
 * reused while they stay. Built beside, then renamed into place, so a second instance starting at
 * the same moment never runs half a build; older builds beyond the newest few are removed
 * (another instance may still run one of those).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { stop, version } from 'esbuild';

const KEEP = 3;

/** Builds under way in this process, by folder: a second caller waits for the first. */
const building = new Map();

/** The .ts and .json files under `dirs` of `root` (declarations left out), sorted. */
export async function sourcesUnder(root, dirs) {
  const found = await Promise.all(dirs.map(async (d) => {
    const entries = await readdir(path.join(root, d), { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile() && /\.(ts|json)$/.test(e.name) && !e.name.endsWith('.d.ts'))
      .map((e) => path.join(e.parentPath ?? e.path, e.name));
  }));
  return found.flat().sort();
}

/**
 * The folder of the build for `sources` as they are now. `make(tmp)` writes a build into `tmp`;
 * `done` is a file every finished build holds. `salt` names what else shapes the output (options).
 */
export async function cachedBuild(root, name, sources, salt, done, make) {
  const hash = createHash('sha256').update(`esbuild ${version} ${salt}\n`);
  for (const f of sources) hash.update(`${path.relative(root, f)}\n`).update(await readFile(f)).update('\n');
  // Bundles hold dependencies too, and the paths of the sources: a changed lock file or a moved
  // clone is a changed build.
  hash.update(root).update(await readFile(path.join(root, 'package-lock.json')).catch(() => Buffer.alloc(0)));
  const cache = path.join(root, 'node_modules', '.cache', name);
  const dir = path.join(cache, hash.digest('hex').slice(0, 16));
  if (await stat(path.join(dir, done)).then(() => true, () => false)) return dir;
  if (!building.has(dir)) {
    building.set(dir, buildInto(cache, dir, make).finally(async () => {
      building.delete(dir);
      // esbuild's service process stays up after a build, holding what it read: 700 MiB after the
      // pods' bundles. Nothing else is built for the life of a runtime, so end it with the last build.
      if (building.size === 0) await stop();
    }));
  }
  return building.get(dir);
}

async function buildInto(cache, dir, make) {
  const tmp = `${dir}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await make(tmp);
    await rename(tmp, dir).catch((e) => {
      if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  await prune(cache, dir);
  return dir;
}

async function prune(cache, current) {
  const builds = await Promise.all((await readdir(cache)).filter((n) => !n.endsWith('.tmp')).map(async (n) => {
    const p = path.join(cache, n);
    return { p, at: (await stat(p)).mtimeMs };
  }));
  const old = builds.filter((b) => b.p !== current).sort((a, b) => b.at - a.at).slice(KEEP - 1);
  for (const b of old) await rm(b.p, { recursive: true, force: true });
}
