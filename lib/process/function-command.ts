import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const require = createRequire(import.meta.url);
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The command that runs one function as a real functions-framework process: `node` on the
 * framework's own main (never `npx`, which leaves a wrapper process behind). With `compiled` (a
 * folder from compiledFunctions) it runs that JavaScript on node alone, as the image runs dist/;
 * without, tsx is loaded so the TypeScript sources run as they are.
 */
export function functionCommand(target: string, compiled?: string): { command: string; args: string[]; env: Record<string, string> } {
  // The package's exports map hides main.js; it sits beside the exported index.js.
  const main = path.join(path.dirname(require.resolve('@google-cloud/functions-framework', { paths: [ROOT] })), 'main.js');
  const from = compiled ?? ROOT;
  const ext = compiled ? 'js' : 'ts';
  return {
    command: process.execPath,
    args: [...(compiled ? [] : ['--import', 'tsx']), '--import', path.join(from, 'lib', 'process', `exit-with-parent.${ext}`), main,
      `--target=${target}`, '--signature-type=http', `--source=${path.join(from, 'functions', `index.${ext}`)}`],
    env: { FUNCTION_TARGET: target, NODE_ENV: 'production' },
  };
}
