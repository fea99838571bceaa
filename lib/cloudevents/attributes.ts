/**
 * The context attributes of one CloudEvent checked against the CloudEvents 1.0 spec (and 0.3,
 * which the Broker still carries): required attributes, the type of each, extension names and
 * the type system (String, Integer, Boolean, URI, URI-reference, Timestamp). Pure: no I/O.
 */
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { test as isMediaTypeName } from 'media-typer';
import type { FieldError } from '../contract/index.js';

/** An attribute's value as an event format carries it: JSON has numbers and booleans, headers text. */
export type AttributeValue = string | number | boolean;

export const SPEC_VERSIONS = ['1.0', '0.3'] as const;

type Kind = 'string' | 'uri' | 'uri-reference' | 'timestamp' | 'media-type';

/** The spec's own attributes and their types, per version; anything else is an extension. */
const KNOWN: Record<(typeof SPEC_VERSIONS)[number], Record<string, Kind>> = {
  '1.0': {
    id: 'string', source: 'uri-reference', specversion: 'string', type: 'string',
    datacontenttype: 'media-type', dataschema: 'uri', subject: 'string', time: 'timestamp',
  },
  '0.3': {
    id: 'string', source: 'uri-reference', specversion: 'string', type: 'string',
    datacontenttype: 'media-type', schemaurl: 'uri-reference', subject: 'string', time: 'timestamp',
    datacontentencoding: 'string',
  },
};
const REQUIRED = ['id', 'source', 'specversion', 'type'];

const NAME = /^[a-z0-9]+$/;
// The spec's String excludes control characters, noncharacters and unpaired surrogates (with
// the u flag a proper pair is one code point, so \p{Cs} only matches a lone half).
// eslint-disable-next-line no-control-regex
const DISALLOWED = /[\u0000-\u001f\u007f-\u009f]|\p{Noncharacter_Code_Point}|\p{Cs}/u;
// RFC 3339 §5.6's shape (offsets need their colon); the calendar is checked below.
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const isDateTime = (fullFormats['date-time'] as { validate: (s: string) => boolean }).validate;
const isUriReference = (s: string) => (fullFormats['uri-reference'] as RegExp).test(s);
const isUri = fullFormats.uri as (s: string) => boolean;
// RFC 2045 token, and a parameter value that is a token or a quoted-string.
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const PARAMETERS = new RegExp(`^(\\s*;\\s*${TOKEN}=(${TOKEN}|"([^"\\\\]|\\\\.)*"))*\\s*$`);

/** RFC 2046: `type/subtype`, optionally `+suffix`, then `; name=value` parameters. */
export function isMediaType(value: string): boolean {
  const semi = value.indexOf(';');
  const name = (semi < 0 ? value : value.slice(0, semi)).trim();
  return isMediaTypeName(name) && PARAMETERS.test(semi < 0 ? '' : value.slice(semi));
}

/** A value quoted for a message, cut short: refusals echo input and must stay one readable line. */
export function quoted(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}

function kindError(kind: Kind, value: string): string | undefined {
  switch (kind) {
    case 'timestamp':
      return RFC3339.test(value) && isDateTime(value) ? undefined
        : `${quoted(value)} is not an RFC 3339 timestamp (e.g. 2026-12-02T10:00:00Z or 2026-12-02T11:00:00.5+01:00)`;
    case 'uri':
      return isUri(value) ? undefined : `${quoted(value)} is not an absolute URI (RFC 3986 §4.3)`;
    case 'uri-reference':
      return isUriReference(value) ? undefined : `${quoted(value)} is not a URI-reference (RFC 3986 §4.1)`;
    case 'media-type':
      return isMediaType(value) ? undefined : `${quoted(value)} is not an RFC 2046 media type (e.g. application/json)`;
    case 'string':
      return undefined;
  }
}

/** Why one value is not of the CloudEvents type system, or undefined when it is. */
function valueError(value: unknown, kind: Kind | undefined): string | undefined {
  if (kind !== undefined && typeof value !== 'string') return `must be a string, not ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value} ${quoted(value)}`;
  if (typeof value === 'boolean') return undefined;
  if (typeof value === 'number') {
    return Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31 ? undefined
      : `${quoted(value)} is not an Integer (a whole number from -2147483648 to 2147483647)`;
  }
  if (typeof value !== 'string') return `must be a string, integer or boolean, not ${Array.isArray(value) ? 'an array' : typeof value}`;
  // The spec's own attributes may not be empty; an extension is a plain String, which may.
  if (value === '') return kind ? 'must not be empty' : undefined;
  if (DISALLOWED.test(value)) {
    return 'contains a character CloudEvents strings may not hold (a control character, a noncharacter or an unpaired surrogate)';
  }
  return kind ? kindError(kind, value) : undefined;
}

/**
 * Every problem with one event's attributes, each naming its attribute; empty when valid.
 * Absent means absent: a JSON `null` must be dropped before, as the JSON format says.
 */
export function attributeErrors(attrs: Readonly<Record<string, unknown>>): FieldError[] {
  const errors: FieldError[] = [];
  const sv = attrs.specversion;
  // Own keys only: "valueOf" or "constructor" is no spec version.
  const supported = typeof sv === 'string' && Object.hasOwn(KNOWN, sv);
  const known = supported ? KNOWN[sv as keyof typeof KNOWN] : KNOWN['1.0'];
  for (const name of REQUIRED) {
    if (attrs[name] === undefined) errors.push({ field: name, message: 'required attribute is missing' });
  }
  if (typeof sv === 'string' && sv !== '' && !supported) {
    errors.push({ field: 'specversion', message: `unsupported specversion ${quoted(sv)} (${SPEC_VERSIONS.join(' or ')})` });
  }
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined) continue;
    if (!NAME.test(name)) {
      errors.push({ field: name, message: 'attribute names are lowercase ASCII letters and digits only' });
      continue;
    }
    if (name === 'data') {
      errors.push({ field: name, message: '"data" is reserved for the event data and cannot be an attribute' });
      continue;
    }
    const problem = valueError(value, Object.hasOwn(known, name) ? known[name] : undefined);
    if (problem) errors.push({ field: name, message: problem });
  }
  if (known.datacontentencoding && attrs.datacontentencoding !== undefined && attrs.datacontentencoding !== 'base64') {
    errors.push({ field: 'datacontentencoding', message: 'the only encoding CloudEvents 0.3 defines is "base64"' });
  }
  return errors;
}

/** The canonical string of a valid attribute value (what a header carries). */
export const canonical = (value: AttributeValue): string => (typeof value === 'string' ? value : String(value));
