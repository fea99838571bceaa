import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const require = createRequire(import.meta.url);
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The command that runs one function as a real functions-framework process: `node` on the
 * framework's own main (never `npx`, which leaves a wrapper process behind), with tsx loaded so
 * the TypeScript sources run as they are. The image runs the same main on the compiled `dist/`.
 */
export function functionCommand(target: string): { command: string; args: string[]; env: Record<string, string> } {
  // The package's exports map hides main.js; it sits beside the exported index.js.
  const main = path.join(path.dirname(require.resolve('@google-cloud/functions-framework', { paths: [ROOT] })), 'main.js');
  return {
    command: process.execPath,
    args: ['--import', 'tsx', '--import', path.join(ROOT, 'lib', 'process', 'exit-with-parent.ts'), main, `--target=${target}`, '--signature-type=http', `--source=${path.join(ROOT, 'functions', 'index.ts')}`],
    env: { FUNCTION_TARGET: target, NODE_ENV: 'production' },
  };
}
