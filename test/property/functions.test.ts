/**
 * Every function but history-ui (test/property/history-ui.test.ts) as a real functions-framework
 * process, fed generated bad input: CloudEvents broken in either mode, data that breaks the
 * contract, wrong methods, bodies past the limit (chunked too), request heads Node cannot parse,
 * and each function's own routes (coin-flip's POST /compute, forward's /ping and /peers). One
 * local API server (the project's manifests and RBAC) and one PostgreSQL serve them all.
 */
import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import {
  APISERVER_UPDATE, BALL_REQUESTED, BALL_THROWN, COIN_FLIP_REQUESTED, COIN_FLIPPED, PEER_PONGED, PING_SOURCE_TICK, PODS_LISTED, WORKERS_SCALED,
  parseData, type EventType,
} from '../../lib/contract/index.js';
import { DEFAULT_BODY_LIMIT } from '../../lib/config.js';
import { loadKustomization } from '../../lib/manifests/index.js';
import { ROOT } from '../../lib/process/function-command.js';
import { LocalApiServer } from '../../local/apiserver/index.js';
import { startRbacController } from '../../local/controllers/rbac.js';
import { applyObjects, knativeCrds } from '../../local/runtime/apply.js';
import { knativeWebhook } from '../../local/runtime/webhook.js';
import type { PodRecord } from '../../local/types.js';
import { startFunction, type RunningFunction } from '../helpers/function-process.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startSink, type Sink } from '../helpers/sink.js';
import {
  anyJson, badEscape, badSegment, binaryFault, brokenJson, check, deepJson, keepAlive, malformedHead, methodsBut, namesField, refused, send, sendBody, sendRaw,
  STRUCTURED, structuredFault, type Answer,
} from './arbitraries.js';

const LIMIT = 256 * 1024;
/** coin-flip takes no BODY_LIMIT: its limit is the default. */
const limitOf = (name: string) => (name === 'coin-flip' ? DEFAULT_BODY_LIMIT : LIMIT);
const agent = keepAlive();
let api: LocalApiServer;
let db: TestPostgres;
let dir: string;
let stopRbac: (() => void) | undefined;
let sink: Sink;
const fns: Record<string, RunningFunction> = {};
let cases = 0;

/** Each function, the types whose data it checks, and a request it must still answer well. */
const FUNCTIONS: Record<string, { types: EventType[]; good: () => { path: string; headers: Record<string, string>; body: string; status: number[] } }> = {
  'coin-flip': { types: [COIN_FLIP_REQUESTED], good: () => ({ path: '/compute', headers: { 'content-type': 'application/json' }, body: '{"heads":2}', status: [200] }) },
  forward: { types: [BALL_THROWN], good: () => ce(BALL_THROWN, { ball: { id: 'b', target: 'forward-test', maxHops: 5, servedAt: '2026-01-01T00:00:00Z' }, path: [], hop: 0 }, 200) },
  'record-hop': { types: [BALL_THROWN, COIN_FLIPPED, WORKERS_SCALED, PODS_LISTED, PEER_PONGED], good: () => ce(COIN_FLIPPED, { heads_required: 2, total_flips: 4 }, 202) },
  ping: { types: [BALL_REQUESTED], good: () => ce(PING_SOURCE_TICK, {}, [200, 202], '/apis/v1/namespaces/pingpong/pingsources/serve-balls') },
  'list-pods': { types: [APISERVER_UPDATE], good: () => ce(PING_SOURCE_TICK, {}, 200, '/apis/v1/namespaces/pingpong/pingsources/list-pods') },
  // A change made, or nothing to change: a tick is 200 or 202.
  'scale-workers': { types: [APISERVER_UPDATE], good: () => ce(PING_SOURCE_TICK, {}, [200, 202], '/apis/v1/namespaces/pingpong/pingsources/shuffle-workers') },
};

let seq = 0;
function ce(type: string, data: unknown, status: number | number[], source = '/test/property') {
  return { path: '/', status: [status].flat(), body: JSON.stringify(data), headers: {
    'ce-specversion': '1.0', 'ce-id': `good-${++seq}-${Date.now()}`, 'ce-source': source, 'ce-type': type, 'content-type': 'application/json',
  } };
}

test.before(async () => {
  const worker = (name: string, port: number): PodRecord => ({ name, namespace: 'pingpong', service: 'forward', configuration: 'forward',
    revision: 'forward-00001', ip: '127.0.0.1', port, phase: 'Running', ready: true, terminating: false, inFlight: 0, startedAt: new Date() });
  api = new LocalApiServer({ log: pino({ level: 'silent' }), webhook: knativeWebhook });
  const url = await api.listen(0, '127.0.0.1');
  applyObjects(api, [...await knativeCrds(), ...(await loadKustomization(ROOT)).map((l) => l.object)]);
  stopRbac = startRbacController(api);
  api.upsertPod(worker('forward-a', 40001));
  api.upsertPod(worker('forward-b', 40002));
  dir = await mkdtemp(path.join(os.tmpdir(), 'property-functions-'));
  const names = ['forward', 'ping', 'list-pods', 'scale-workers'];
  const files = await api.writeKubeconfigs({ dataDir: dir, serverUrl: url, serviceAccounts: names.map((name) => ({ namespace: 'pingpong', name })) });
  db = await startTestPostgres();
  // ping serves the table's balls per tick; all but a single one go to K_SINK.
  sink = await startSink();
  const common = { BODY_LIMIT: String(LIMIT), LOG_LEVEL: 'silent' };
  const started = await Promise.all(Object.keys(FUNCTIONS).map(async (name) => [name, await startFunction(name, {
    ...common,
    ...(name === 'record-hop' ? { DATABASE_URL: db.writerUrl } : { KUBECONFIG: files.serviceAccounts[`pingpong/${name}`]! }),
    ...(name === 'forward' ? { POD_NAME: 'forward-test' } : {}),
    ...(name === 'ping' ? { K_SINK: sink.url } : {}),
    ...(name === 'scale-workers' ? { REVISION_WAIT_MS: '100' } : {}),
  })] as const));
  for (const [name, fn] of started) fns[name] = fn;
});

test.after.always(async () => {
  agent.destroy();
  await Promise.all(Object.values(fns).map((f) => f.stop()));
  stopRbac?.();
  await sink?.close();
  await api?.close();
  await db?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const to = (name: string, o: Parameters<typeof send>[2]) => send(fns[name]!.port, agent, { path: '/', ...o });

/** A function still answers its good request as it should, after a property. */
async function stillServes(t: ExecutionContext, name: string) {
  const g = FUNCTIONS[name]!.good();
  const a = await to(name, g);
  t.true(g.status.includes(a.status), `${name} after the property: ${a.status} ${a.body.slice(0, 200)}`);
}

/** Not a 5xx, and a 4xx says what is wrong: what any answer to anything must be. */
function noServerError(a: Answer): void {
  if (a.status >= 500) throw new Error(`a ${a.status}: ${a.body.slice(0, 300)}`);
  if (a.status >= 400 && !/"field":"[^"]*"|error/.test(a.body)) throw new Error(`a ${a.status} that names nothing: ${a.body.slice(0, 300)}`);
}

test.serial('regression: a chunked body past the limit is a 413 naming body, not a 400 after reading it all as JSON', async (t) => {
  const headers = { 'ce-specversion': '1.0', 'ce-id': 'big', 'ce-source': '/t', 'ce-type': BALL_THROWN, 'content-type': 'application/json' };
  const a = await sendBody(fns.forward!.port, { path: '/', headers, body: Buffer.alloc(LIMIT + 1, 'a'), chunked: true });
  t.is(a.status, 413, a.body);
  t.regex(a.body, /"field":"body"/);
  await stillServes(t, 'forward');
});

test.serial('regression: a path Express cannot decode is a 400 naming path, not "request body is not valid JSON"', async (t) => {
  const a = await to('coin-flip', { path: '/compute%zz', headers: { 'content-type': 'application/json' }, body: '{"heads":2}' });
  t.is(a.status, 400);
  t.regex(a.body, /"field":"path".*%zz/);
  await stillServes(t, 'coin-flip');
});

for (const name of Object.keys(FUNCTIONS)) {
  test.serial(`${name}: a broken CloudEvent, in either mode, is a 400 naming the attribute`, async (t) => {
    const fault = fc.oneof(
      binaryFault.map((f) => ({ headers: f.headers, body: '{}', names: f.names })),
      structuredFault.map((f) => ({ headers: STRUCTURED, body: f.body, names: f.names })),
    );
    cases += await check(fault, 300, async ({ headers, body, names }) => {
      refused(await to(name, { headers, body }), namesField(names), [400]);
    });
    await stillServes(t, name);
  });

  test.serial(`${name}: data that breaks the contract is a 400 naming the field; JSON past 512 levels names data`, async (t) => {
    const { types } = FUNCTIONS[name]!;
    const data = fc.oneof(
      { weight: 4, arbitrary: anyJson.map((d) => ({ text: JSON.stringify(d), value: d as unknown })) },
      { weight: 4, arbitrary: fc.dictionary(fc.constantFrom('heads', 'ball', 'path', 'hop', 'count', 'target', 'apiVersion', 'kind', 'metadata', 'pods', 'service'), anyJson, { maxKeys: 4 })
        .map((d) => ({ text: JSON.stringify(d), value: d as unknown })) },
      { weight: 1, arbitrary: brokenJson.map((text) => ({ text, value: undefined as unknown, broken: true })) },
      { weight: 1, arbitrary: deepJson.map((text) => ({ text, value: undefined as unknown, deep: true })) },
    );
    cases += await check(fc.tuple(fc.constantFrom(...types), data, fc.boolean()), 200, async ([type, d, structured]) => {
      const id = `p-${++seq}`;
      const valid = !('broken' in d) && !('deep' in d) && parseData(type, d.value).ok;
      const a = structured
        ? await to(name, { headers: STRUCTURED, body: `{"specversion":"1.0","id":"${id}","source":"/test/property","type":"${type}","data":${d.text}}` })
        : await to(name, { headers: { 'ce-specversion': '1.0', 'ce-id': id, 'ce-source': '/test/property', 'ce-type': type, 'content-type': 'application/json' }, body: d.text });
      if (valid) return noServerError(a);
      // Structured mode cannot hold broken JSON as data: the whole body is what is broken.
      refused(a, 'deep' in d ? namesField('data') : 'broken' in d && structured ? namesField('body') : /"field":"(data|heads)/, [400]);
    });
    await stillServes(t, name);
  });

  test.serial(`${name}: a method it does not take on / is a 405 naming the method; the size limit holds with or without a Content-Length`, async (t) => {
    cases += await check(methodsBut('POST', 'OPTIONS'), 40, async (method) => {
      refused(await to(name, { method, headers: { 'content-type': 'application/json' }, body: method === 'GET' || method === 'DELETE' ? undefined : '{}' }),
        new RegExp(`method ${method}`), [405]);
    });
    const big = fc.record({ extra: fc.integer({ min: 1, max: 2 * limitOf(name) }), chunked: fc.boolean(), structured: fc.boolean() });
    cases += await check(big, 12, async ({ extra, chunked, structured }) => {
      const body = Buffer.alloc(limitOf(name) + extra, 'a');
      const headers = structured ? STRUCTURED : { 'ce-specversion': '1.0', 'ce-id': 'big', 'ce-source': '/t', 'ce-type': 'dev.t', 'content-type': 'application/json' };
      refused(await sendBody(fns[name]!.port, { path: '/', headers, body, chunked }), /"field":"body"/, [413]);
    });
    await stillServes(t, name);
  });

  test.serial(`${name}: a request head Node cannot parse is a 400 or 431 naming the request`, async (t) => {
    cases += await check(malformedHead('/'), 60, async (raw) => {
      refused(await sendRaw(fns[name]!.port, raw), /"field":"request"/, [400, 431]);
    });
    await stillServes(t, name);
  });
}

test.serial('coin-flip POST /compute: anything but {"heads": N} in range is a 400 naming heads', async (t) => {
  const body = fc.oneof(
    brokenJson,
    deepJson,
    anyJson.map((v) => JSON.stringify(v)),
    fc.record({ heads: anyJson }).map((v) => JSON.stringify(v)),
    fc.record({ heads: fc.integer({ min: 1, max: 10 }), extra: anyJson }).map((v) => JSON.stringify(v)),
    fc.constant(''),
  );
  const type = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/cloudevents+json', '');
  cases += await check(fc.tuple(body, type), 600, async ([b, contentType]) => {
    const a = await to('coin-flip', { path: '/compute', headers: contentType ? { 'content-type': contentType } : {}, body: b });
    let valid = false;
    try { valid = /^application\/json/.test(contentType) && parseData(COIN_FLIP_REQUESTED, JSON.parse(b)).ok && Object.keys(JSON.parse(b)).length === 1; } catch { /* not JSON */ }
    if (valid) return noServerError(a);
    refused(a, namesField('heads'), [400]);
  });
  await stillServes(t, 'coin-flip');
});

test.serial('forward /ping and /peers: bad methods, queries, Accept headers and percent-encoding never break them', async (t) => {
  const req = fc.record({
    route: fc.constantFrom('/ping', '/peers'),
    method: fc.constantFrom('GET', 'GET', 'PUT', 'DELETE', 'PATCH', 'POST'),
    query: fc.option(fc.oneof(badEscape.map((e) => `a=${e}`), fc.stringMatching(/^[a-z=&%0-9[\]]{0,20}$/)), { nil: undefined }),
    accept: fc.option(fc.oneof(fc.constantFrom('text/html', 'application/json', '*/*', 'text/html;q=0', ',,,;;', 'text/*;q=abc'), fc.stringMatching(/^[ -~]{0,30}$/)), { nil: undefined }),
  });
  cases += await check(req, 400, async ({ route, method, query, accept }) => {
    const a = await to('forward', { method, path: `${route}${query === undefined ? '' : `?${query}`}`, headers: accept === undefined ? {} : { accept }, body: method === 'GET' ? undefined : '{}' });
    if (method === 'GET') {
      if (a.status !== 200) throw new Error(`GET ${route} answered ${a.status}: ${a.body.slice(0, 200)}`);
      if (route === '/ping' && a.body !== 'pong\n') throw new Error(`GET /ping answered ${JSON.stringify(a.body)}`);
    } else if (method === 'POST') {
      // A POST to any path is a CloudEvent delivery; {} without ce- headers is not one.
      refused(a, namesField('specversion'), [400]);
    } else refused(a, new RegExp(`method ${method}`), [405]);
  });
  cases += await check(fc.tuple(fc.constantFrom('/ping', '/peers'), badSegment), 100, async ([route, seg]) => {
    noServerError(await to('forward', { method: 'GET', path: `${route}/${seg}` }));
  });
  await stillServes(t, 'forward');
});

test.serial('the cases of this file add up', (t) => {
  t.log(`functions: ${cases} generated cases`);
  t.true(cases >= 4000);
});
