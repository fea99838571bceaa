/**
 * One table of CloudEvents over HTTP, valid and invalid, in both content modes, for every
 * receiver to be checked against: the Broker's ingress and a real function. Each valid case is a
 * coin-flip request coin-flip can answer; each invalid one names the attribute a 400 must name.
 */
import { randomUUID } from 'node:crypto';
import { COIN_FLIP_REQUESTED } from '../../lib/contract/index.js';

export interface EventCase {
  name: string;
  headers: Record<string, string>;
  body: Buffer;
  /** The attribute (or `body`/`content-type`) a refusal names; absent for a valid event. */
  refuses?: string;
}

const DATA = '{"heads":3}';
const STRUCTURED = 'application/cloudevents+json; charset=utf-8';

function binary(name: string, change: Record<string, string | undefined>, refuses?: string, body = DATA): EventCase {
  const headers: Record<string, string | undefined> = {
    'ce-specversion': '1.0', 'ce-id': randomUUID(), 'ce-source': '/test/validation', 'ce-type': COIN_FLIP_REQUESTED,
    'content-type': 'application/json', ...change,
  };
  const present = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) as Record<string, string>;
  return { name: `binary: ${name}`, headers: present, body: Buffer.from(body, 'latin1'), ...(refuses ? { refuses } : {}) };
}

function structured(name: string, change: Record<string, unknown>, refuses?: string): EventCase {
  const event: Record<string, unknown> = {
    specversion: '1.0', id: randomUUID(), source: '/test/validation', type: COIN_FLIP_REQUESTED,
    datacontenttype: 'application/json', data: { heads: 3 }, ...change,
  };
  for (const [k, v] of Object.entries(event)) if (v === undefined) delete event[k];
  return structuredText(name, JSON.stringify(event), refuses);
}

function structuredText(name: string, text: string | Buffer, refuses?: string): EventCase {
  return { name: `structured: ${name}`, headers: { 'content-type': STRUCTURED }, body: Buffer.from(text), ...(refuses ? { refuses } : {}) };
}

const deep = (n: number) => `{"specversion":"1.0","id":"${randomUUID()}","source":"/t","type":"${COIN_FLIP_REQUESTED}","data":{"heads":3,"x":${'['.repeat(n)}${']'.repeat(n)}}}`;

/** Fresh ids on every call, so a receiver that deduplicates sees each case as new. */
export function eventCases(): EventCase[] {
  return [
    // Binary mode, valid.
    binary('the four required attributes and a JSON body', {}),
    binary('time in UTC with a fraction', { 'ce-time': '2026-12-02T10:00:00.123456Z' }),
    binary('time with an offset', { 'ce-time': '2026-12-02T15:30:00+05:30' }),
    binary('time in lower case', { 'ce-time': '2026-12-02t10:00:00z' }),
    binary('a leap second', { 'ce-time': '2016-12-31T23:59:60Z' }),
    binary('a percent-encoded UTF-8 subject', { 'ce-subject': 'Euro%20%E2%82%AC%20%F0%9F%98%80' }),
    binary('lower-case hex and needless encoding', { 'ce-subject': '%e2%82%ac%41' }),
    binary('a double-quoted value', { 'ce-subject': '"a \\"quoted\\" subject"' }),
    binary('an absolute dataschema', { 'ce-dataschema': 'https://pingpong.dev/schemas/coin-flip-requested.json' }),
    binary('a URN source', { 'ce-source': 'urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66' }),
    binary('a content type with a charset', { 'content-type': 'application/json; charset=utf-8' }),
    binary('a content type with a +json suffix', { 'content-type': 'application/vnd.pingpong+json' }),
    binary('extensions, one of them empty', { 'ce-traceparent': '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'ce-color': '' }),
    // Binary mode, refused.
    binary('no ce- headers at all', { 'ce-specversion': undefined, 'ce-id': undefined, 'ce-source': undefined, 'ce-type': undefined }, 'specversion'),
    binary('no id', { 'ce-id': undefined }, 'id'),
    binary('an empty id', { 'ce-id': '' }, 'id'),
    binary('no source', { 'ce-source': undefined }, 'source'),
    binary('a source that is not a URI-reference', { 'ce-source': 'not%20a%20uri' }, 'source'),
    binary('an empty type', { 'ce-type': '' }, 'type'),
    binary('specversion 2.0', { 'ce-specversion': '2.0' }, 'specversion'),
    binary('time without a zone', { 'ce-time': '2026-12-02T10:00:00' }, 'time'),
    binary('time with a space for T', { 'ce-time': '2026-12-02%2010:00:00Z' }, 'time'),
    binary('time with an offset lacking its colon', { 'ce-time': '2026-12-02T10:00:00+0100' }, 'time'),
    binary('time on February 30th', { 'ce-time': '2026-02-30T10:00:00Z' }, 'time'),
    binary('time at hour 24', { 'ce-time': '2026-12-02T24:00:00Z' }, 'time'),
    binary('time that is a word', { 'ce-time': 'yesterday' }, 'time'),
    binary('an empty time', { 'ce-time': '' }, 'time'),
    binary('a relative dataschema', { 'ce-dataschema': '/schemas/flip.json' }, 'dataschema'),
    binary('an empty dataschema', { 'ce-dataschema': '' }, 'dataschema'),
    binary('an empty subject', { 'ce-subject': '' }, 'subject'),
    binary('a content type without a subtype', { 'content-type': 'json' }, 'datacontenttype'),
    binary('a content type with a broken parameter', { 'content-type': 'application/json; charset' }, 'datacontenttype'),
    binary('a lone % in a value', { 'ce-subject': '100%' }, 'subject'),
    binary('%zz in a value', { 'ce-subject': 'a%zzb' }, 'subject'),
    binary('an overlong UTF-8 encoding', { 'ce-subject': '%C0%A0' }, 'subject'),
    binary('a byte that is never UTF-8', { 'ce-subject': 'a%FFb' }, 'subject'),
    binary('raw bytes that are not UTF-8', { 'ce-subject': 'caf\u00e9' }, 'subject'),
    binary('a NUL character', { 'ce-subject': 'a%00b' }, 'subject'),
    binary('a noncharacter', { 'ce-subject': '%EF%BF%BE' }, 'subject'),
    binary('an extension name with an underscore', { 'ce-my_ext': 'x' }, 'my_ext'),
    binary('an extension named data', { 'ce-data': 'x' }, 'data'),
    // Structured mode, valid.
    structured('the four required attributes and JSON data', {}),
    structured('null optional attributes, which mean absent', { subject: null, time: null, dataschema: null, color: null }),
    structured('time with a negative offset', { time: '2026-12-02T05:00:00.5-05:00' }),
    structured('integer, boolean and string extensions', { hop: 42, min: -(2 ** 31), sampled: true, color: 'red' }),
    structured('no datacontenttype (JSON is implied)', { datacontenttype: undefined }),
    structured('JSON data as data_base64', { data: undefined, data_base64: Buffer.from(DATA).toString('base64') }),
    structured('a unicode subject', { subject: 'Euro € 😀' }),
    // Structured mode, refused.
    structuredText('a body that is not JSON', '{nope', 'body'),
    structuredText('a body that is a JSON array', '[]', 'body'),
    structuredText('a body that is not UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), 'body'),
    structured('a numeric id', { id: 5 }, 'id'),
    structured('an empty id', { id: '' }, 'id'),
    structured('a null id', { id: null }, 'id'),
    structured('no specversion', { specversion: undefined }, 'specversion'),
    structured('a numeric time', { time: 1764669600 }, 'time'),
    structured('a time that is not RFC 3339', { time: '02/12/2026 10:00' }, 'time'),
    structured('an empty subject', { subject: '' }, 'subject'),
    structured('a control character in subject', { subject: 'a\u0001b' }, 'subject'),
    structured('an unpaired surrogate in subject', { subject: 'a\ud800b' }, 'subject'),
    structured('a datacontenttype that is not a media type', { datacontenttype: 'text' }, 'datacontenttype'),
    structured('a dataschema that is not a URI', { dataschema: 'not a uri' }, 'dataschema'),
    structured('both data and data_base64', { data_base64: Buffer.from(DATA).toString('base64') }, 'data_base64'),
    structured('data_base64 that is not base64', { data: undefined, data_base64: 'not base64!' }, 'data_base64'),
    structured('an extension that is a fraction', { ratio: 1.5 }, 'ratio'),
    structured('an extension past 32 bits', { big: 2 ** 31 }, 'big'),
    structured('an extension that is an object', { meta: { a: 1 } }, 'meta'),
    structured('an extension that is an array', { tags: ['a'] }, 'tags'),
    structured('an extension name in upper case', { Color: 'red' }, 'Color'),
    structured('non-JSON datacontenttype with object data', { datacontenttype: 'text/plain' }, 'data'),
    structuredText('data nested 5,000 levels deep', deep(5000), 'data'),
    { name: 'batch: a JSON batch', headers: { 'content-type': 'application/cloudevents-batch+json' }, body: Buffer.from('[]'), refuses: 'content-type' },
  ];
}
