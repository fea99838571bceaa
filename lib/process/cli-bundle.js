// Plain JavaScript on purpose: bin/pingpong.js runs it before anything can load TypeScript.
/**
 * The CLI and the runtime (local/ and the lib/ it uses) as one JavaScript bundle, so `pingpong up`
 * runs on node alone: under tsx the runtime held about 30 MiB more, for tsx's loader and the
 * source it keeps. Packages stay outside the bundle and load from node_modules as they are.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { cachedBuild, sourcesUnder } from './build-cache.js';

/**
 * Each bundled module keeps its own import.meta.url (the source file's), so paths found from it
 * (the project root, db/migrations) are what they are when the sources run.
 */
const sourceUrl = {
  name: 'source-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (a) => {
      const src = await readFile(a.path, 'utf8');
      const uses = src.includes('import.meta.url');
      return { contents: uses ? `const __sourceUrl = ${JSON.stringify(pathToFileURL(a.path).href)};\n${src}` : src, loader: 'ts' };
    });
  },
};

/** The path of local/cli.ts bundled, built if its sources changed since the last build. */
export async function cliBundle(root) {
  const sources = await sourcesUnder(root, ['local', 'lib']);
  const dir = await cachedBuild(root, 'pingpong-cli', sources, 'cli split', 'cli.js', (tmp) => build({
    // Split where the CLI imports lazily, so `status` or `--help` never load what `up` needs.
    entryPoints: [path.join(root, 'local', 'cli.ts')], outdir: tmp, splitting: true, bundle: true, packages: 'external',
    define: { 'import.meta.url': '__sourceUrl' }, plugins: [sourceUrl],
    format: 'esm', platform: 'node', target: 'node20', logLevel: 'silent',
  }).then(() => undefined));
  return path.join(dir, 'cli.js');
}
