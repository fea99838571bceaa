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

/**
 * The path of `entry` (relative to root) bundled, built if the sources under `dirs` changed since
 * the last build; split where it imports lazily, so what it loads only on demand stays apart.
 */
export async function bundledEntry(root, entry, dirs) {
  const sources = await sourcesUnder(root, dirs);
  const out = path.basename(entry).replace(/\.ts$/, '.js');
  const dir = await cachedBuild(root, 'pingpong-bundles', sources, `${entry} split`, out, (tmp) => build({
    entryPoints: [path.join(root, entry)], outdir: tmp, splitting: true, bundle: true, packages: 'external',
    define: { 'import.meta.url': '__sourceUrl' }, plugins: [sourceUrl],
    format: 'esm', platform: 'node', target: 'node20', logLevel: 'silent',
  }).then(() => undefined));
  return path.join(dir, out);
}

/** local/cli.ts bundled: what bin/pingpong.js runs. `status` and `--help` never load what `up` needs. */
export const cliBundle = (root) => bundledEntry(root, 'local/cli.ts', ['local', 'lib']);
