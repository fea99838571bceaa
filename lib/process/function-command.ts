import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const require = createRequire(import.meta.url);
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** functions-framework's main.js: the package's exports map hides it; it sits beside the exported index.js. */
export const frameworkMain = (root = ROOT): string =>
  path.join(path.dirname(require.resolve('@google-cloud/functions-framework', { paths: [root] })), 'main.js');

/**
 * The command that runs one function as a real functions-framework process: `node` on the
 * framework's own main (never `npx`, which leaves a wrapper process behind). With `compiled` (a
 * folder from compiledFunctions) it runs the function's bundle, framework included, on node
 * alone, as the image runs dist/; without, tsx is loaded so the TypeScript sources run as they are.
 */
export function functionCommand(target: string, compiled?: string): { command: string; args: string[]; env: Record<string, string> } {
  const env = { FUNCTION_TARGET: target, NODE_ENV: 'production' };
  if (compiled) {
    // The bundle is both main and the source main loads (already evaluated: one module instance).
    const pod = path.join(compiled, 'functions', target, 'pod.mjs');
    return {
      command: process.execPath, env,
      args: ['--import', path.join(compiled, 'lib', 'process', 'exit-with-parent.mjs'), pod, `--target=${target}`, '--signature-type=http', `--source=${pod}`],
    };
  }
  return {
    command: process.execPath, env,
    args: ['--import', 'tsx', '--import', path.join(ROOT, 'lib', 'process', 'exit-with-parent.ts'), frameworkMain(),
      `--target=${target}`, '--signature-type=http', `--source=${path.join(ROOT, 'functions', 'index.ts')}`],
  };
}
