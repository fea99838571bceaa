/**
 * The one entry point of the one image: functions-framework loads this module, and it loads only
 * the function FUNCTION_TARGET names, which registers itself under that name.
 */
const FUNCTIONS = ['ping', 'forward', 'record-hop', 'coin-flip', 'list-pods', 'scale-workers', 'history-ui'] as const;

const target = process.env.FUNCTION_TARGET ?? '';
if (!(FUNCTIONS as readonly string[]).includes(target)) {
  throw new Error(`FUNCTION_TARGET: "${target}" is not one of ${FUNCTIONS.join(', ')}`);
}
await import(`./${target}/index.js`);
