import test from 'ava';
import { startFunction, type RunningFunction } from '../helpers/function-process.js';
import { postEvent, replyEvent, event } from '../helpers/cloudevents.js';
import { COIN_FLIP_REQUESTED, COIN_FLIPPED, MAX_HEADS } from '../../lib/contract/index.js';

// One real functions-framework process for the whole file: starting one costs seconds.
let fn: RunningFunction;
test.before(async () => {
  fn = await startFunction('coin-flip');
});
test.after.always(async () => {
  await fn?.stop();
});

/** POSTs to /compute; `null` sends no content type at all (bytes, which fetch leaves untyped). */
const compute = (body: string, contentType: string | null = 'application/json') =>
  fetch(`${fn.url}/compute`, {
    method: 'POST',
    headers: contentType === null ? {} : { 'content-type': contentType },
    body: contentType === null ? new Uint8Array(Buffer.from(body)) : body,
  });

const isFlipCount = (x: unknown, heads: number) => typeof x === 'number' && Number.isInteger(x) && x >= heads;

for (const heads of [1, 7, MAX_HEADS]) {
  test(`POST /compute {"heads":${heads}} answers 200 with exactly heads_required and total_flips`, async (t) => {
    const res = await compute(JSON.stringify({ heads }));
    t.is(res.status, 200);
    t.regex(res.headers.get('content-type') ?? '', /^application\/json/);
    const body = await res.json() as Record<string, unknown>;
    t.deepEqual(Object.keys(body).sort(), ['heads_required', 'total_flips']);
    t.is(body.heads_required, heads);
    t.true(isFlipCount(body.total_flips, heads), `total_flips ${String(body.total_flips)}`);
  });
}

test('POST /compute accepts a media type in any case with a charset', async (t) => {
  const res = await compute('{"heads":4}', 'Application/JSON; charset=utf-8');
  t.is(res.status, 200);
  t.is((await res.json() as { heads_required: number }).heads_required, 4);
});

const JSON_TYPE = 'application/json';
for (const [name, body, contentType] of [
  ['a missing heads', '{}', JSON_TYPE],
  ['heads = 0', '{"heads":0}', JSON_TYPE],
  ['heads = 51', '{"heads":51}', JSON_TYPE],
  ['heads = 1.5', '{"heads":1.5}', JSON_TYPE],
  ['heads = "3"', '{"heads":"3"}', JSON_TYPE],
  ['heads = null', '{"heads":null}', JSON_TYPE],
  ['an extra key', '{"heads":3,"tails":2}', JSON_TYPE],
  ['invalid JSON', '{"heads":', JSON_TYPE],
  ['a bare JSON number', '3', JSON_TYPE],
  ['an empty body', '', JSON_TYPE],
  ['text/plain', '{"heads":3}', 'text/plain'],
  ['a form body', 'heads=3', 'application/x-www-form-urlencoded'],
  ['no content type', '{"heads":3}', null],
  ['an unsupported charset', '{"heads":3}', 'application/json; charset=latin1'],
] as const) {
  test(`POST /compute with ${name} answers 400 naming heads`, async (t) => {
    const res = await compute(body, contentType);
    t.is(res.status, 400);
    t.regex(res.headers.get('content-type') ?? '', /^application\/json/);
    const out = await res.json() as { error: string; errors: Array<{ field: string; message: string }> };
    t.true(out.errors.length > 0);
    t.true(out.errors.every((e) => e.field === 'heads'), JSON.stringify(out));
    t.regex(out.error, /heads/);
  });
}

for (const mode of ['binary', 'structured'] as const) {
  test(`a ${mode}-mode flip request is answered 200 with a binary-mode coin.flipped reply`, async (t) => {
    const res = await postEvent(fn.url, event(COIN_FLIP_REQUESTED, { heads: 6 }), mode);
    t.is(res.status, 200);
    // Binary mode: the attributes are headers, the body is the data alone.
    t.is(res.headers.get('ce-type'), COIN_FLIPPED);
    t.is(res.headers.get('ce-source'), '/pingpong/coin-flip');
    t.regex(res.headers.get('content-type') ?? '', /^application\/json/);
    const reply = await replyEvent(res);
    const data = reply.data as Record<string, unknown>;
    t.deepEqual(Object.keys(data).sort(), ['heads_required', 'total_flips']);
    t.is(data.heads_required, 6);
    t.true(isFlipCount(data.total_flips, 6), `total_flips ${String(data.total_flips)}`);
  });
}

test('a redelivered request gets the same reply id and data; another request gets another id', async (t) => {
  const request = event(COIN_FLIP_REQUESTED, { heads: 20 });
  const first = await replyEvent(await postEvent(fn.url, request));
  const again = await replyEvent(await postEvent(fn.url, request, 'structured'));
  t.is(again.id, first.id);
  t.deepEqual(again.data, first.data);
  const other = await replyEvent(await postEvent(fn.url, event(COIN_FLIP_REQUESTED, { heads: 20 })));
  t.not(other.id, first.id);
});

for (const [name, data] of [
  ['a missing heads', {}],
  ['heads = 0', { heads: 0 }],
  ['heads = 51', { heads: 51 }],
  ['heads = "3"', { heads: '3' }],
  ['heads = 2.5', { heads: 2.5 }],
] as const) {
  test(`a flip request with ${name} answers 400 naming data.heads`, async (t) => {
    const res = await postEvent(fn.url, event(COIN_FLIP_REQUESTED, data));
    t.is(res.status, 400);
    const out = await res.json() as { errors: Array<{ field: string }> };
    t.deepEqual(out.errors.map((e) => e.field), ['data.heads']);
  });
}

test('an event of another type answers 400 naming type', async (t) => {
  const res = await postEvent(fn.url, event(COIN_FLIPPED, { heads_required: 1, total_flips: 2 }));
  t.is(res.status, 400);
  const out = await res.json() as { errors: Array<{ field: string }> };
  t.deepEqual(out.errors.map((e) => e.field), ['type']);
});

test('GET /healthz answers 200', async (t) => {
  const res = await fetch(`${fn.url}/healthz`);
  t.is(res.status, 200);
});
