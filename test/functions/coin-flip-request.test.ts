import test from 'ava';
import { parseComputeRequest } from '../../functions/coin-flip/request.js';
import { BadRequest } from '../../lib/cloudevents/errors.js';

const json = { 'content-type': 'application/json' };

for (const [name, headers, body, want] of [
  ['the smallest N', json, '{"heads":1}', 1],
  ['the largest N', json, '{"heads":50}', 50],
  ['whitespace around the JSON', json, ' { "heads" : 7 }\n', 7],
  ['an integral number written as 3.0', json, '{"heads":3.0}', 3],
  ['a media type in any case, with a charset', { 'content-type': 'Application/JSON; charset=utf-8' }, '{"heads":5}', 5],
  ['a header name in any case', { 'Content-Type': 'application/json' }, '{"heads":2}', 2],
] as const) {
  test(`accepts ${name}`, (t) => {
    t.is(parseComputeRequest({ headers: { ...headers }, body }), want);
  });
}

for (const [name, headers, body] of [
  ['a missing heads', json, '{}'],
  ['heads = 0', json, '{"heads":0}'],
  ['heads = -3', json, '{"heads":-3}'],
  ['heads = 51 (past MAX_HEADS)', json, '{"heads":51}'],
  ['a fractional heads', json, '{"heads":1.5}'],
  ['heads as a string', json, '{"heads":"3"}'],
  ['heads = null', json, '{"heads":null}'],
  ['heads = true', json, '{"heads":true}'],
  ['heads as an array', json, '{"heads":[3]}'],
  ['an extra key', json, '{"heads":3,"tails":1}'],
  ['the key in another case', json, '{"Heads":3}'],
  ['a JSON array', json, '[{"heads":3}]'],
  ['a bare number', json, '3'],
  ['JSON null', json, 'null'],
  ['invalid JSON', json, '{heads: 3}'],
  ['an empty body', json, ''],
  ['text/plain', { 'content-type': 'text/plain' }, '{"heads":3}'],
  ['no content type', {}, '{"heads":3}'],
  ['a JSON-like but different media type', { 'content-type': 'application/json-patch+json' }, '{"heads":3}'],
  ['a structured CloudEvent media type', { 'content-type': 'application/cloudevents+json' }, '{"heads":3}'],
] as const) {
  test(`rejects ${name}, naming heads`, (t) => {
    const err = t.throws(() => parseComputeRequest({ headers: { ...headers }, body }), { instanceOf: BadRequest }) as BadRequest;
    t.true(err.errors.length > 0);
    t.deepEqual(err.errors.map((e) => e.field), err.errors.map(() => 'heads'));
    // The message tells the caller what the body must look like.
    t.regex(err.message, /"heads": N/);
  });
}

test('names each unexpected key in the message', (t) => {
  const err = t.throws(() => parseComputeRequest({ headers: json, body: '{"heads":3,"tails":1,"edge":0}' }), { instanceOf: BadRequest }) as BadRequest;
  t.regex(err.message, /"tails"/);
  t.regex(err.message, /"edge"/);
});
