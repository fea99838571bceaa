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
import { cp, mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import { cachedBuild, sourcesUnder } from './build-cache.js';

/** Not bundled: the framework (one shared instance, see above) and pg's optional native binding. */
const EXTERNAL = ['@google-cloud/functions-framework', 'pg-native'];

/** CommonJS dependencies inside an ESM bundle still call require(). */
const REQUIRE_BANNER = "import { createRequire as __pingpongRequire } from 'node:module'; const require = __pingpongRequire(import.meta.url);";

/**
 * The build for the sources as they are now: made if missing, else reused. Returns its folder,
 * which holds functions/, lib/ and a link to ui/ in the layout the sources have.
 */
export async function compiledFunctions(root: string): Promise<string> {
  const sources = await sourcesUnder(root, ['functions', 'lib']);
  return cachedBuild(root, 'pingpong-pods', sources, 'pods bundled', path.join('functions', 'index.js'), async (tmp) => {
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
  });
}
