#!/usr/bin/env -S node --max-semi-space-size=4
// --max-semi-space-size=4 (MiB; V8's default lets the young generation grow to 16 per semi-space): the
// runtime's RSS at rest 144 → 120 MiB, with no loss of Broker throughput measured (bench/profiles.md).
// The published entry: runs the CLI as one JavaScript bundle of its TypeScript sources, built once
// per change of them (lib/process/cli-bundle.js), on node alone. Should that build fail, tsx is
// registered in this same process (no wrapper process left behind) and the sources run as they are.
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let bundle;
try {
  bundle = await (await import('../lib/process/cli-bundle.js')).cliBundle(root);
} catch (e) {
  if (process.env.LOG_LEVEL === 'debug') process.stderr.write(`pingpong: running from the sources through tsx (the bundle failed: ${e.message})\n`);
}
if (bundle) {
  await import(pathToFileURL(bundle).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../local/cli.ts');
}
