import test from 'ava';
import { startFunction, type RunningFunction } from '../helpers/function-process.js';
import { postEvent, replyEvent, event } from '../helpers/cloudevents.js';
import { BALL_THROWN, BALL_LANDED, BALL_DROPPED } from '../../lib/contract/index.js';

let fn: RunningFunction;
const SELF = 'forward-test-pod';
const LIMIT = 4096;

test.before(async () => {
  fn = await startFunction('forward', { POD_NAME: SELF, BODY_LIMIT: String(LIMIT) });
});
test.after.always(async () => fn?.stop());

const flight = (target: string, hop = 0, maxHops = 5) => ({
  ball: { id: 'ball-1', target, maxHops, servedAt: '2026-01-01T00:00:00Z' }, path: [] as string[], hop,
});

test('GET /ping answers pong', async (t) => {
  const res = await fetch(`${fn.url}/ping`);
  t.is(res.status, 200);
  t.is(await res.text(), 'pong\n');
});

test('GET /healthz answers 200 for probes', async (t) => {
  t.is((await fetch(`${fn.url}/healthz`)).status, 200);
});

for (const mode of ['binary', 'structured'] as const) {
  test(`${mode}: a ball aimed elsewhere is thrown on, replied in binary mode with 200`, async (t) => {
    const res = await postEvent(fn.url, event(BALL_THROWN, flight('someone-else', 2), { id: `t-${mode}` }), mode);
    t.is(res.status, 200);
    t.regex(res.headers.get('ce-id') ?? '', /^ball-1\.3$/);
    const reply = await replyEvent(res);
    t.is(reply.type, BALL_THROWN);
    t.is(reply.source, '/pingpong/forward');
    t.deepEqual((reply.data as { path: string[] }).path, [SELF]);
    t.is((reply.data as { hop: number }).hop, 3);
    t.is(reply['ballid'], 'ball-1');
  });
}

test('a ball aimed at me lands; past max hops it drops', async (t) => {
  const landed = await replyEvent(await postEvent(fn.url, event(BALL_THROWN, flight(SELF))));
  t.is(landed.type, BALL_LANDED);
  const dropped = await replyEvent(await postEvent(fn.url, event(BALL_THROWN, flight('x', 5, 5))));
  t.is(dropped.type, BALL_DROPPED);
  t.is((dropped.data as { reason: string }).reason, 'max-hops');
});

test('a redelivered ball yields the same reply id', async (t) => {
  const e = event(BALL_THROWN, flight('x', 1), { id: 'same' });
  const a = await postEvent(fn.url, e);
  const b = await postEvent(fn.url, e);
  t.is(a.headers.get('ce-id'), b.headers.get('ce-id'));
});

test('content type is matched case-insensitively', async (t) => {
  const body = JSON.stringify({ specversion: '1.0', id: 'ci', source: '/t', type: BALL_THROWN, datacontenttype: 'application/json', data: flight('x') });
  const res = await fetch(fn.url, { method: 'POST', headers: { 'Content-Type': 'Application/CloudEvents+JSON; charset=UTF-8' }, body });
  t.is(res.status, 200);
});

const binaryHeaders = (over: Record<string, string | undefined> = {}) => {
  const h: Record<string, string | undefined> = {
    'ce-specversion': '1.0', 'ce-id': 'm1', 'ce-source': '/t', 'ce-type': BALL_THROWN, 'content-type': 'application/json', ...over,
  };
  return Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) as Record<string, string>;
};
const good = JSON.stringify(flight('x'));

for (const [name, headers, body, field] of [
  ['no CloudEvent at all', { 'content-type': 'application/json' }, good, 'specversion'],
  ['missing id', binaryHeaders({ 'ce-id': undefined }), good, 'id'],
  ['missing source', binaryHeaders({ 'ce-source': undefined }), good, 'source'],
  ['missing type', binaryHeaders({ 'ce-type': undefined }), good, 'type'],
  ['empty id', binaryHeaders({ 'ce-id': '' }), good, 'id'],
  ['unsupported specversion', binaryHeaders({ 'ce-specversion': '2.0' }), good, 'specversion'],
  ['bad time', binaryHeaders({ 'ce-time': 'noon' }), good, 'time'],
  ['a type forward does not handle', binaryHeaders({ 'ce-type': 'dev.pingpong.coin.flip.requested' }), '{"heads":1}', 'type'],
  ['data that is not JSON', binaryHeaders(), '{"ball":', 'data'],
  ['data missing the ball', binaryHeaders(), '{"path":[],"hop":0}', 'data.ball'],
  ['a negative hop', binaryHeaders(), JSON.stringify({ ...flight('x'), hop: -2 }), 'data.hop'],
  ['structured body that is not JSON', { 'content-type': 'application/cloudevents+json' }, '{nope', 'body'],
  ['structured without type', { 'content-type': 'application/cloudevents+json' }, JSON.stringify({ specversion: '1.0', id: '1', source: '/t' }), 'type'],
  ['a batch', { 'content-type': 'application/cloudevents-batch+json' }, '[]', 'content-type'],
] as const) {
  test(`400 naming ${field}: ${name}`, async (t) => {
    const res = await fetch(fn.url, { method: 'POST', headers, body });
    t.is(res.status, 400);
    const json = await res.json() as { error: string; errors: Array<{ field: string }> };
    t.true(json.errors.some((e) => e.field === field), JSON.stringify(json));
    t.true(json.error.includes(field));
  });
}

test('413 past the body limit, before and after reading the body', async (t) => {
  const big = JSON.stringify({ ...flight('x'), pad: 'x'.repeat(LIMIT) });
  const res = await fetch(fn.url, { method: 'POST', headers: binaryHeaders(), body: big });
  t.is(res.status, 413);
  t.regex(((await res.json()) as { error: string }).error, /limit of 4096 bytes/);
  // Still serving after refusing it.
  t.is((await fetch(`${fn.url}/healthz`)).status, 200);
});

test('405 for methods other than POST on the event path', async (t) => {
  const res = await fetch(fn.url, { method: 'GET' });
  t.is(res.status, 405);
  t.regex(res.headers.get('allow') ?? '', /POST/);
});
