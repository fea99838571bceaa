/**
 * Attribute values in HTTP headers, as the CloudEvents HTTP binding (§3.1.3.2) defines them:
 * percent-encoded UTF-8 on the way out; on the way in, a double-quoted string unescaped, then
 * exactly one round of percent-decoding, and byte sequences that are not UTF-8 refused. Pure.
 */

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Why a header value cannot be an attribute value. */
export class HeaderValueError extends Error {}

/**
 * Space, `"`, `%` and everything outside printable ASCII (U+0021–U+007E) become `%XY` of their
 * UTF-8 bytes, upper-case; a surrogate pair is one character.
 */
export function encodeHeaderValue(value: string): string {
  let out = '';
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    if (c > 0x20 && c < 0x7f && c !== 0x22 && c !== 0x25) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** RFC 7230 §3.2.6: `"a \"b\""` → `a "b"`. */
function unquote(bytes: Buffer): Buffer {
  if (bytes.length < 2 || bytes[0] !== 0x22 || bytes[bytes.length - 1] !== 0x22) return bytes;
  const out: number[] = [];
  for (let i = 1; i < bytes.length - 1; i++) {
    const b = bytes[i]!;
    if (b === 0x5c && i + 1 < bytes.length - 1) out.push(bytes[++i]!);
    else if (b === 0x22 || b === 0x5c) throw new HeaderValueError('a quoted value has an unescaped " or \\ inside');
    else out.push(b);
  }
  return Buffer.from(out);
}

const HEX = /^[0-9a-fA-F]{2}$/;

/**
 * The attribute value a header carries. `raw` is the value as Node reads it (each byte one
 * latin1 character). Throws HeaderValueError for a `%` not followed by two hex digits or for
 * bytes that are not UTF-8 (overlong forms such as `%C0%A0` included).
 */
export function decodeHeaderValue(raw: string): string {
  const bytes = unquote(Buffer.from(raw, 'latin1'));
  if (!bytes.includes(0x25) && bytes.every((b) => b < 0x80)) return bytes.toString('latin1');
  const out = Buffer.alloc(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b !== 0x25) {
      out[n++] = b;
      continue;
    }
    const hex = bytes.subarray(i + 1, i + 3).toString('latin1');
    if (!HEX.test(hex)) throw new HeaderValueError(`${JSON.stringify(`%${hex}`)} is not percent-encoding (a % must be followed by two hex digits; send a literal % as %25)`);
    out[n++] = parseInt(hex, 16);
    i += 2;
  }
  try {
    return utf8.decode(out.subarray(0, n));
  } catch {
    throw new HeaderValueError('the percent-decoded value is not valid UTF-8');
  }
}
