/**
 * history-ui as a real functions-framework process (a real PostgreSQL as its reader, the local
 * API as its ServiceAccount, a recording K_SINK), fed generated bad input on the page's
 * endpoints: the actions' JSON bodies, every query parameter of the history endpoints, and the
 * stream's resume point. A refusal is a 400 naming the field; what is valid is answered 2xx.
 */
import test from 'ava';
import fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { loadKustomization } from '../../lib/manifests/index.js';
import { ROOT } from '../../lib/process/function-command.js';
import { flipBody, serveBody, tableBody } from '../../functions/history-ui/actions.js';
import { LocalApiServer } from '../../local/apiserver/index.js';
import { startRbacController } from '../../local/controllers/rbac.js';
import { applyObjects, knativeCrds } from '../../local/runtime/apply.js';
import { startFunction, type RunningFunction } from '../helpers/function-process.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { anyJson, badEscape, brokenJson, check, deepJson, getUntilHead, keepAlive, namesField, refused, send } from './arbitraries.js';

const agent = keepAlive();
let db: TestPostgres;
let api: LocalApiServer;
let dir: string;
let sink: Sink;
let ui: RunningFunction;
let stopRbac: (() => void) | undefined;
let cases = 0;

test.before(async () => {
  db = await startTestPostgres();
  api = new LocalApiServer({ log: pino({ level: 'silent' }) });
  const url = await api.listen(0, '127.0.0.1');
  applyObjects(api, [...await knativeCrds(), ...(await loadKustomization(ROOT)).map((r) => r.object)]);
  stopRbac = startRbacController(api);
  dir = await mkdtemp(path.join(os.tmpdir(), 'property-history-ui-'));
  const files = await api.writeKubeconfigs({ dataDir: dir, serverUrl: url, serviceAccounts: [{ namespace: 'pingpong', name: 'history-ui' }] });
  sink = await startSink();
  ui = await startFunction('history-ui', { KUBECONFIG: files.serviceAccounts['pingpong/history-ui']!, DATABASE_URL: db.readerUrl, K_SINK: sink.url, LOG_LEVEL: 'silent' });
});

test.after.always(async () => {
  agent.destroy();
  await ui?.stop();
  await sink?.close();
  stopRbac?.();
  await api?.close();
  await db?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const get = (p: string) => send(ui.port, agent, { method: 'GET', path: p });

async function stillServes(t: { is: (a: unknown, b: unknown, m?: string) => void }) {
  t.is((await get('/api/balls?limit=5')).status, 200, 'GET /api/balls after the property');
  const a = await send(ui.port, agent, { path: '/api/actions/flip', headers: { 'content-type': 'application/json' }, body: '{"heads":2}' });
  t.is(a.status, 202, `POST /api/actions/flip after the property: ${a.body.slice(0, 200)}`);
}

const ACTIONS = { serve: serveBody, flip: flipBody, table: tableBody } as const;

test.serial('the actions: a body that is broken, deep or of the wrong shape is a 400 naming the field; a valid one is done', async (t) => {
  const body = fc.oneof(
    brokenJson.map((text) => ({ text, json: false })),
    deepJson.map((text) => ({ text, json: false })),
    anyJson.map((v) => ({ text: JSON.stringify(v), json: true })),
    fc.dictionary(fc.constantFrom('count', 'target', 'heads', 'mode', 'min', 'max', 'replicas', 'extra'), anyJson, { maxKeys: 4 })
      .map((v) => ({ text: JSON.stringify(v), json: true })),
    fc.record({ mode: fc.constantFrom('Random', 'Fixed', 'random', ''), min: fc.integer({ min: -2, max: 12 }), max: fc.integer({ min: -2, max: 12 }), replicas: fc.integer({ min: -2, max: 12 }) }, { requiredKeys: ['mode'] })
      .map((v) => ({ text: JSON.stringify(v), json: true })),
  );
  const type = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', '');
  cases += await check(fc.tuple(fc.constantFrom('serve', 'flip', 'table') as fc.Arbitrary<keyof typeof ACTIONS>, body, type), 900, async ([action, b, contentType]) => {
    const a = await send(ui.port, agent, { path: `/api/actions/${action}`, headers: contentType ? { 'content-type': contentType } : {}, body: b.text });
    const valid = b.json && ACTIONS[action](JSON.parse(b.text)).ok;
    // The table's own rules (CEL, the admission policy) may still refuse a well-shaped change: a 400 naming body.
    if (valid && a.status < 300) return;
    refused(a, /"field":"[^"]+"/, [400]);
  });
  await stillServes(t);
});

test.serial('the history endpoints: a query parameter that is unknown, repeated or malformed is a 400 naming it', async (t) => {
  const endpoint = fc.constantFrom('balls', 'ball', 'scale-changes', 'pod-events', 'pod-snapshots', 'pongs', 'coin-flips', 'dead-letters');
  const key = fc.oneof(fc.constantFrom('limit', 'before', 'status', 'worker', 'pod', 'kind', 'ok', 'type', 'id', 'since'), fc.stringMatching(/^[a-z[\]]{1,8}$/));
  const value = fc.oneof(fc.stringMatching(/^[0-9a-z-]{0,6}$/), fc.integer({ min: -5, max: 100_000 }).map(String), fc.string({ maxLength: 8 }).map(encodeURIComponent),
    badEscape, fc.constant('x'.repeat(300)));
  const query = fc.array(fc.tuple(key, value), { maxLength: 3 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));
  cases += await check(fc.tuple(endpoint, query), 1200, async ([e, q]) => {
    const a = await get(`/api/${e}?${q}`);
    if (a.status === 200 || (e === 'ball' && a.status === 404 && /no ball/.test(a.body))) return;
    refused(a, /"field":"[^"]+"/, [400]);
  });
  await stillServes(t);
});

test.serial('the stream: a resume point that is not a feed position is a 400 naming Last-Event-ID or since', async (t) => {
  const resume = fc.oneof(
    // HTTP trims a header value, and an empty Last-Event-ID means none.
    fc.string({ minLength: 1, maxLength: 12 }).filter((v) => v.trim() !== '' && !/^\d{1,15}$/.test(v.trim()) && /^[\t -~]*$/.test(v)).map((v) => ({ header: v, names: 'Last-Event-ID' })),
    fc.string({ minLength: 1, maxLength: 12 }).filter((v) => !/^\d{1,15}$/.test(v)).map((v) => ({ since: encodeURIComponent(v), names: 'since' })),
    fc.stringMatching(/^\d{16,20}$/).map((v) => ({ since: v, names: 'since' })),
  );
  cases += await check(resume, 300, async (r) => {
    const a = await getUntilHead(ui.port, `/api/stream${'since' in r ? `?since=${r.since}` : ''}`, 'header' in r ? { 'last-event-id': r.header! } : {});
    refused(a, namesField(r.names), [400]);
  });
  t.is((await getUntilHead(ui.port, '/api/stream?since=0', {})).status, 200, 'a stream from position 0 opens');
  await stillServes(t);
});

test.serial('the cases of this file add up', (t) => {
  t.log(`history-ui: ${cases} generated cases`);
  t.true(cases >= 2000);
});
