/**
 * The Broker's ingress fed generated bad input: paths, methods, binary-mode headers, structured
 * bodies, sizes (with and without a Content-Length) and request heads Node's parser refuses.
 * Every answer is a 4xx naming the problem, and a good event is still accepted afterwards.
 */
import test from 'ava';
import fc from 'fast-check';
import { pino } from 'pino';
import { LocalBroker } from '../../local/broker/index.js';
import type { KubeObject } from '../../lib/kube/object.js';
import { badSegment, binaryFault, check, GOOD, keepAlive, malformedHead, methodsBut, namesField, refused, send, sendBody, sendRaw, STRUCTURED, structuredFault } from './arbitraries.js';

const NS = 'pingpong';
const LIMIT = 256 * 1024;
const agent = keepAlive();
let broker: LocalBroker;
let port: number;
let cases = 0;

test.before(async () => {
  broker = new LocalBroker({ resolve: () => undefined, log: pino({ level: 'silent' }), maxBodyBytes: LIMIT });
  const brokers: KubeObject[] = [{ apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name: 'default', namespace: NS }, spec: {} }];
  broker.setResources(brokers, []);
  port = await broker.listen(0);
});

test.after.always(async () => {
  agent.destroy();
  await broker?.close();
});

const post = (o: { path?: string; headers?: Record<string, string>; body?: string | Buffer; chunked?: boolean; method?: string }) =>
  send(port, agent, { path: `/${NS}/default`, ...o });

/** The ingress still takes a good event, in both modes: run after every property. */
async function stillServes(t: { is: (a: unknown, b: unknown, m?: string) => void }) {
  t.is((await post({ headers: GOOD, body: '{"ok":true}' })).status, 202, 'a good binary event after the property');
  const structured = JSON.stringify({ specversion: '1.0', id: 'good-s', source: '/test/property', type: 'dev.test.good', data: { ok: true } });
  t.is((await post({ headers: STRUCTURED, body: structured })).status, 202, 'a good structured event after the property');
}

test.serial('regression: a path with broken percent-encoding is a 400 naming the path, not a 500 "URI malformed"', async (t) => {
  for (const path of ['/pingpong/%zz', '/pingpong/default%2', '/%zz/default', '/pingpong/%e2%82']) {
    const a = await post({ path, headers: GOOD, body: '{}' });
    t.is(a.status, 400, path);
    t.regex(a.body, /malformed path/, path);
    t.true(a.body.includes(path), a.body);
  }
  await stillServes(t);
});

test.serial('regression: structured data nested 5,000 levels deep is a 400 naming data, not a 500 stack overflow', async (t) => {
  const nested = `${'['.repeat(5000)}${']'.repeat(5000)}`;
  const body = `{"specversion":"1.0","id":"deep","source":"/t","type":"dev.test.deep","data":{"x":${nested}}}`;
  const a = await post({ headers: STRUCTURED, body });
  t.is(a.status, 400);
  t.regex(a.body, /"field":"data".*nested deeper than 512/);
  await stillServes(t);
});

test.serial('regression: a specversion named like an Object method ("valueOf", "constructor") is a 400, not accepted', async (t) => {
  for (const v of ['valueOf', 'constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    const a = await post({ headers: { ...GOOD, 'ce-specversion': v }, body: '{}' });
    t.is(a.status, 400, v);
    t.regex(a.body, /"field":"specversion"/, v);
  }
  await stillServes(t);
});

test.serial('any path but /<namespace>/<broker> of a Broker that exists is a 4xx naming the path or the broker', async (t) => {
  const path = fc.oneof(
    fc.tuple(badSegment, fc.stringMatching(/^[a-z0-9-]{1,8}$/)).map(([a, b]) => `/${a}/${b}`),
    fc.tuple(fc.stringMatching(/^[a-z0-9-]{1,8}$/), badSegment).map(([a, b]) => `/${a}/${b}`),
    fc.array(fc.stringMatching(/^[a-z%0-9.-]{0,6}$/), { minLength: 0, maxLength: 5 }).map((parts) => `/${parts.join('/')}`),
    fc.stringMatching(/^[a-z0-9-]{1,10}$/).map((b) => `/${NS}/${b}x`),
    fc.stringMatching(/^[a-z0-9-]{1,10}$/).map((n) => `/${n}x/default`),
  ).filter((p) => p !== `/${NS}/default` && p !== `/${NS}/default/`);
  cases += await check(path, 600, async (p) => {
    refused(await post({ path: p, headers: GOOD, body: '{}' }), /path|not found|broker|namespace/, [400, 404]);
  });
  await stillServes(t);
});

test.serial('any method but POST and OPTIONS is a 405 naming the method', async (t) => {
  cases += await check(fc.tuple(methodsBut('POST', 'OPTIONS'), fc.option(badSegment)), 300, async ([method, seg]) => {
    const a = await post({ method, path: seg ? `/${NS}/${seg}` : `/${NS}/default`, headers: GOOD, body: '{}' });
    refused(a, new RegExp(`method ${method}`), [405]);
    if (a.headers.allow !== 'POST, OPTIONS') throw new Error(`Allow: ${a.headers.allow}`);
  });
  await stillServes(t);
});

test.serial('binary mode: a missing, empty, mistyped or badly encoded attribute is a 400 naming it', async (t) => {
  cases += await check(fc.tuple(binaryFault, fc.string({ maxLength: 30 })), 1500, async ([{ headers, names }, body]) => {
    refused(await post({ headers, body }), namesField(names), [400]);
  });
  await stillServes(t);
});

test.serial('structured mode: broken JSON, wrong types, missing members and deep data are a 400 naming the member', async (t) => {
  cases += await check(structuredFault, 1500, async ({ body, names }) => {
    refused(await post({ headers: STRUCTURED, body }), namesField(names), [400]);
  });
  await stillServes(t);
});

test.serial('a body past the limit is a 413 naming the body, with a Content-Length or chunked', async (t) => {
  const big = fc.record({ extra: fc.integer({ min: 1, max: 3 * LIMIT }), chunked: fc.boolean(), structured: fc.boolean() });
  cases += await check(big, 60, async ({ extra, chunked, structured }) => {
    const body = Buffer.alloc(LIMIT + extra, 'a');
    refused(await sendBody(port, { path: `/${NS}/default`, headers: structured ? STRUCTURED : GOOD, body, chunked }), /body: larger than/, [413]);
  });
  await stillServes(t);
});

test.serial('a request head Node cannot parse is a 400 or 431 with a body naming the request', async (t) => {
  cases += await check(malformedHead(`/${NS}/default`), 400, async (raw) => {
    refused(await sendRaw(port, raw), /"field":"request"/, [400, 431]);
  });
  await stillServes(t);
});

test.serial('the cases of this file add up', (t) => {
  t.log(`broker ingress: ${cases} generated cases`);
  t.true(cases >= 4000);
});
