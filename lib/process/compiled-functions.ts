/**
 * The functions as plain JavaScript, for the local runtime's pods: esbuild transpiles functions/
 * and lib/ once per change of their sources (a few seconds) into node_modules/.cache, where
 * bare imports still resolve to the project's node_modules. A pod then starts on node alone, as
 * the image does on dist/, instead of registering tsx and its esbuild service at every start
 * (about half a second of a cold start, and a process per pod).
 *
 * Each function's own module is then one bundle with its dependencies: loading hundreds of small
 * modules was most of a pod's start (a forward pod imported in 0.9–2 s, bundled in 0.25–0.4 s,
 * and holds 45 MiB less). functions-framework stays outside: its main registers the function in
 * its own module instance, which the bundle must share.
 */
import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rename, rm, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { build, version } from 'esbuild';

/** Builds older than these newest ones are removed (another instance may still run one of those). */
const KEEP = 3;

/** Not bundled: the framework (one shared instance, see above) and pg's optional native binding. */
const EXTERNAL = ['@google-cloud/functions-framework', 'pg-native'];

/** CommonJS dependencies inside an ESM bundle still call require(). */
const REQUIRE_BANNER = "import { createRequire as __pingpongRequire } from 'node:module'; const require = __pingpongRequire(import.meta.url);";

async function filesUnder(dir: string, ext: readonly string[]): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && ext.some((x) => e.name.endsWith(x)) && !e.name.endsWith('.d.ts'))
    .map((e) => path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)).sort();
}

/**
 * The build for the sources as they are now: made if missing, else reused. Returns its folder,
 * which holds functions/, lib/ and a link to ui/ in the layout the sources have.
 */
export async function compiledFunctions(root: string): Promise<string> {
  const sources = (await Promise.all(['functions', 'lib'].map((d) => filesUnder(path.join(root, d), ['.ts', '.json'])))).flat();
  const hash = createHash('sha256').update(`esbuild ${version} bundled\n`);
  for (const f of sources) hash.update(`${path.relative(root, f)}\n`).update(await readFile(f)).update('\n');
  // The bundles hold the dependencies too: a changed lock file is a changed build.
  hash.update(await readFile(path.join(root, 'package-lock.json')).catch(() => Buffer.alloc(0)));
  const cache = path.join(root, 'node_modules', '.cache', 'pingpong-pods');
  const dir = path.join(cache, hash.digest('hex').slice(0, 16));
  if (await stat(path.join(dir, 'functions', 'index.js')).then(() => true, () => false)) return dir;

  // Built beside, then renamed into place: a second instance starting at once never sees half a build.
  const tmp = `${dir}.${process.pid}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await build({
    entryPoints: sources.filter((f) => f.endsWith('.ts')), outdir: tmp, outbase: root,
    bundle: false, format: 'esm', platform: 'node', target: 'node20', sourcemap: 'inline', logLevel: 'silent',
  });
  // Over the transpiled entry of each function (functions/<name>/index.js, what functions/index.js
  // imports), the same module bundled.
  await build({
    entryPoints: sources.filter((f) => /^functions\/[^/]+\/index\.ts$/.test(path.relative(root, f))), outdir: tmp, outbase: root,
    bundle: true, external: EXTERNAL, banner: { js: REQUIRE_BANNER }, allowOverwrite: true,
    format: 'esm', platform: 'node', target: 'node20', sourcemap: 'linked', logLevel: 'silent',
  });
  // JSON modules are imported as they are (import … with { type: 'json' }).
  for (const f of sources.filter((s) => s.endsWith('.json'))) {
    await mkdir(path.dirname(path.join(tmp, path.relative(root, f))), { recursive: true });
    await cp(f, path.join(tmp, path.relative(root, f)));
  }
  // history-ui finds its page two folders above its own file, as in the sources.
  await symlink(path.join(root, 'ui'), path.join(tmp, 'ui'));
  await rename(tmp, dir).catch(async (e: NodeJS.ErrnoException) => {
    await rm(tmp, { recursive: true, force: true });
    if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
  });
  await prune(cache, dir);
  return dir;
}

async function prune(cache: string, current: string): Promise<void> {
  const builds = await Promise.all((await readdir(cache)).filter((n) => !n.endsWith('.tmp')).map(async (n) => {
    const p = path.join(cache, n);
    return { p, at: (await stat(p)).mtimeMs };
  }));
  const old = builds.filter((b) => b.p !== current).sort((a, b) => b.at - a.at).slice(KEEP - 1);
  for (const b of old) await rm(b.p, { recursive: true, force: true });
}
