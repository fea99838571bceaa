/**
 * How deeply a JSON text nests, found without parsing it. JSON.parse copes with any depth but
 * JSON.stringify and every recursive walk overflow the stack a few thousand levels down, so
 * input is refused past a depth no event of ours comes near. Pure.
 */

/** Deeper than this, event data is refused (ours nests 4 levels). */
export const MAX_JSON_DEPTH = 512;

/** True when the JSON text nests `[`/`{` deeper than `limit` (strings are skipped). */
export function nestsDeeperThan(text: string, limit = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
