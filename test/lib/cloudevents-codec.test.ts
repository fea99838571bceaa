import test from 'ava';
import { CloudEvent } from 'cloudevents';
import { decodeHeaderValue, encodeHeaderValue, HeaderValueError } from '../../lib/cloudevents/header-value.js';
import { attributeErrors, isMediaType } from '../../lib/cloudevents/attributes.js';
import { binaryOf, receive, toWire } from '../../lib/cloudevents/receive.js';
import { decodeMessage, structuredMessage } from '../../lib/cloudevents/message.js';
import { nestsDeeperThan } from '../../lib/json-depth.js';

test('encoding: the binding example, upper-case hex, printable ASCII left alone', (t) => {
  t.is(encodeHeaderValue('Euro \u20ac \u{1f600}'), 'Euro%20%E2%82%AC%20%F0%9F%98%80');
  t.is(encodeHeaderValue('a"b%c'), 'a%22b%25c');
  t.is(encodeHeaderValue('/apis/v1/namespaces/default/pingsources/x?y=1&z=~'), '/apis/v1/namespaces/default/pingsources/x?y=1&z=~');
  t.is(encodeHeaderValue('tab\there'), 'tab%09here');
});

for (const value of ['plain', 'Euro \u20ac \u{1f600}', '100%', '%25 literally', 'a "quoted" word', 'caf\u00e9', '']) {
  test(`decoding undoes encoding exactly once: ${JSON.stringify(value)}`, (t) => {
    // Node hands header values over as latin1 text; the encoded form is ASCII, so it is the same.
    t.is(decodeHeaderValue(encodeHeaderValue(value)), value);
  });
}

test('decoding: one round only, quoted strings unescaped first, raw UTF-8 bytes accepted', (t) => {
  t.is(decodeHeaderValue('%2541'), '%41');
  t.is(decodeHeaderValue('"a \\"b\\" c"'), 'a "b" c');
  t.is(decodeHeaderValue('"%20"'), ' ');
  t.is(decodeHeaderValue(Buffer.from('caf\u00e9', 'utf8').toString('latin1')), 'caf\u00e9');
});

for (const raw of ['%', '%4', '%g0', '%C0%A0', '%ED%A0%80', '%FF', 'caf\u00e9', '"a"b"']) {
  test(`decoding refuses ${JSON.stringify(raw)}`, (t) => {
    t.throws(() => decodeHeaderValue(raw), { instanceOf: HeaderValueError });
  });
}

test('media types: RFC 2046 names and well-formed parameters', (t) => {
  for (const ok of ['application/json', 'application/json; charset=utf-8', 'text/plain;charset="utf-8"', 'application/vnd.a+json']) t.true(isMediaType(ok), ok);
  for (const bad of ['json', 'application/', '/json', 'a/b c', 'application/json; charset', 'application/json; =x', '*/*']) t.false(isMediaType(bad), bad);
});

test('attributes: every problem is named, not only the first', (t) => {
  const errors = attributeErrors({ specversion: '1.0', id: '', time: 'soon', dataschema: 'x', Bad: 1 });
  t.deepEqual(errors.map((e) => e.field).sort(), ['Bad', 'dataschema', 'id', 'source', 'time', 'type']);
});

test('attributes: version 0.3 has schemaurl (a URI-reference) and datacontentencoding', (t) => {
  const base = { specversion: '0.3', id: '1', source: '/s', type: 't' };
  t.deepEqual(attributeErrors({ ...base, schemaurl: '/relative/ok', datacontentencoding: 'base64' }), []);
  t.deepEqual(attributeErrors({ ...base, datacontentencoding: 'gzip' }).map((e) => e.field), ['datacontentencoding']);
});

test('a long bad value is cut short in the message', (t) => {
  const [error] = attributeErrors({ specversion: '1.0', id: '1', source: '/s', type: 't', time: 'x'.repeat(10_000) });
  t.true(error!.message.length < 200, error!.message);
});

test('replies leave in binary mode with percent-encoded values, and read back the same', (t) => {
  const event = new CloudEvent({ type: 't', source: '/s', id: 'x', subject: 'Euro \u20ac', hop: 3, data: { a: 1 } });
  const msg = binaryOf(event);
  t.is(msg.headers['ce-subject'], 'Euro%20%E2%82%AC');
  t.is(msg.headers['ce-hop'], '3');
  t.is(msg.headers['content-type'], 'application/json');
  const back = receive(msg.headers, msg.body);
  t.is(back.subject, 'Euro \u20ac');
  t.deepEqual(back.data, { a: 1 });
  t.is(back.time, event.time);
});

test('structured in, binary out: the implied application/json is stated and the data kept', (t) => {
  const body = Buffer.from(JSON.stringify({ specversion: '1.0', id: '1', source: '/s', type: 't', data: 'just a string' }));
  const wire = decodeMessage({ 'content-type': 'application/cloudevents+json' }, body);
  t.is(wire.attributes.datacontenttype, 'application/json');
  t.is(wire.data.toString(), '"just a string"');
});

test('structured out: data too deep for JSON.stringify goes as data_base64', (t) => {
  const deep = `${'['.repeat(6000)}${']'.repeat(6000)}`;
  const msg = structuredMessage({ attributes: { specversion: '1.0', id: '1', source: '/s', type: 't', datacontenttype: 'application/json' }, data: Buffer.from(deep) });
  const json = JSON.parse(msg.body.toString()) as Record<string, string>;
  t.is(Buffer.from(json.data_base64!, 'base64').toString(), deep);
});

test('toWire keeps a binary payload as bytes', (t) => {
  const wire = toWire(new CloudEvent({ type: 't', source: '/s', id: 'x', datacontenttype: 'application/octet-stream', data: Buffer.from([0, 255]) }));
  t.deepEqual([...wire.data], [0, 255]);
});

test('nesting depth is counted outside strings only', (t) => {
  t.false(nestsDeeperThan('{"a":"[[[[[[[[[["}', 2));
  t.true(nestsDeeperThan('[[[1]]]', 2));
  t.false(nestsDeeperThan('[[1],[2],[3]]', 2));
  t.false(nestsDeeperThan('"\\"[[["', 1));
});
