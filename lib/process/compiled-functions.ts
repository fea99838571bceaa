/**
 * The functions as the local runtime's pods run them: for each function one JavaScript bundle,
 * `functions/<name>/pod.mjs`, holding functions-framework's main, the function and every
 * dependency, built by esbuild once per change of the sources or the lock file (a few seconds)
 * into node_modules/.cache. A pod starts it on node alone, as the image starts dist/.
 *
 * Why one file, measured from spawn to the first answer of a coin-flip pod: the sources through
 * tsx ~0.9–1.4 s (tsx's loader was 40 % of it); transpiled modules ~0.43 s, most of it node's
 * module loader resolving and compiling hundreds of small files (a forward pod imported in
 * 0.6–0.9 s); the function bundled ~0.38 s; the framework bundled with it ~0.30 s. The `.mjs`
 * matters too: for any other extension the framework's loader reads package.json through
 * read-package-up (and its spdx license tables) to learn whether it is an ES module (~50 ms).
 * Bundling the framework is safe because the function registers itself in the framework's
 * registry, and main reads it there: both are in the one bundle, one instance.
 */
import { symlink } from 'node:fs/promises';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';
import { cachedBuild, sourcesUnder } from './build-cache.js';
import { frameworkMain } from './function-command.js';

/** Not bundled: pg's optional native binding, which pg loads only if asked. */
const EXTERNAL = ['pg-native'];

/** CommonJS dependencies inside an ESM bundle still call require(). */
const REQUIRE_BANNER = "import { createRequire as __pingpongRequire } from 'node:module'; const require = __pingpongRequire(import.meta.url);";

/** The pod entry of one function, as a module esbuild reads from memory: the function, then main. */
function podEntries(root: string, main: string): Plugin {
  return {
    name: 'pod-entries',
    setup(b) {
      b.onResolve({ filter: /^pod:/ }, (a) => ({ path: a.path.slice('pod:'.length), namespace: 'pod' }));
      b.onLoad({ filter: /.*/, namespace: 'pod' }, (a) => ({
        resolveDir: root, loader: 'ts',
        contents: `import ${JSON.stringify(path.join(root, 'functions', a.path, 'index.ts'))};\nimport ${JSON.stringify(main)};\n`,
      }));
    },
  };
}

/**
 * The build for the sources as they are now: made if missing, else reused. Returns its folder,
 * which holds functions/<name>/pod.mjs, lib/process/exit-with-parent.mjs and a link to ui/, in
 * the layout the sources have (history-ui finds its page two folders above its own file).
 */
export async function compiledFunctions(root: string): Promise<string> {
  const sources = await sourcesUnder(root, ['functions', 'lib']);
  const targets = sources.map((f) => /^functions\/([^/]+)\/index\.ts$/.exec(path.relative(root, f))?.[1]).filter((t): t is string => !!t);
  const main = frameworkMain(root);
  return cachedBuild(root, 'pingpong-pods', sources, 'pods: framework and function in one bundle, no source maps', path.join('lib', 'process', 'exit-with-parent.mjs'), async (tmp) => {
    await build({
      entryPoints: {
        ...Object.fromEntries(targets.map((t) => [`functions/${t}/pod`, `pod:${t}`])),
        'lib/process/exit-with-parent': path.join(root, 'lib', 'process', 'exit-with-parent.ts'),
      },
      outdir: tmp, outExtension: { '.js': '.mjs' }, plugins: [podEntries(root, main)],
      bundle: true, external: EXTERNAL, banner: { js: REQUIRE_BANNER },
      format: 'esm', platform: 'node', target: 'node20', logLevel: 'silent',
    });
    await symlink(path.join(root, 'ui'), path.join(tmp, 'ui'));
  });
}
