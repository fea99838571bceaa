/**
 * history-ui as a real functions-framework process: reading a real embedded PostgreSQL as the
 * reader user (record-hop's store writing as the writer), and the worker pods from the local API
 * as its own ServiceAccount. The page's files, the JSON endpoints and their 400s, and the live
 * stream: resumed with Last-Event-ID, it sends exactly what was missed, once, in order.
 */
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { APISERVER_ADD, APISERVER_DELETE, BALL_LANDED, BALL_THROWN, COIN_FLIP_REQUESTED, COIN_FLIPPED, hopEventId, PEER_PONGED, PODS_LISTED, WORKERS_SCALED, type BallInFlight } from '../../lib/contract/index.js';
import { createPool } from '../../lib/db/pool.js';
import { loadKustomization } from '../../lib/manifests/index.js';
import { ROOT } from '../../lib/process/function-command.js';
import { planDeadLetter, planEvent } from '../../functions/record-hop/rows.js';
import { pgHistoryStore, type HistoryStore } from '../../functions/record-hop/store.js';
import { LocalApiServer } from '../../local/apiserver/index.js';
import { applyObjects, knativeCrds } from '../../local/runtime/apply.js';
import type { PodRecord } from '../../local/types.js';
import { startFunction, type RunningFunction } from '../helpers/function-process.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { waitFor } from '../helpers/wait.js';

let db: TestPostgres;
let store: HistoryStore;
let api: LocalApiServer;
let dir: string;
let ui: RunningFunction;

test.before(async () => {
  db = await startTestPostgres();
  store = pgHistoryStore(createPool(db.writerUrl, { max: 4 }));
  api = new LocalApiServer({ log: pino({ level: 'silent' }) });
  const url = await api.listen(0, '127.0.0.1');
  const manifests = (await loadKustomization(ROOT)).map((r) => r.object);
  applyObjects(api, [...await knativeCrds(), ...manifests]);
  api.setRbac(manifests.filter((o) => ['ServiceAccount', 'Role', 'RoleBinding'].includes(o.kind)));
  dir = await mkdtemp(path.join(os.tmpdir(), 'history-ui-'));
  const files = await api.writeKubeconfigs({ dataDir: dir, serverUrl: url, serviceAccounts: [{ namespace: 'pingpong', name: 'history-ui' }] });
  const pod = (name: string, port: number): PodRecord => ({ name, namespace: 'pingpong', service: 'forward', configuration: 'forward', revision: 'forward-00001',
    ip: '127.0.0.1', port, phase: 'Running', ready: true, terminating: false, inFlight: 0, startedAt: new Date('2026-12-03T08:00:00Z') });
  api.upsertPod(pod('forward-00001-deployment-aaaaa', 41001));
  api.upsertPod(pod('forward-00001-deployment-bbbbb', 41002));
  ui = await startFunction('history-ui', { KUBECONFIG: files.serviceAccounts['pingpong/history-ui']!, DATABASE_URL: db.readerUrl });
});

test.after.always(async () => {
  await ui?.stop();
  await store?.close();
  await api?.close();
  await db?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const flight = (id: string, hop: number, path: string[]): BallInFlight => ({ ball: { id, target: 'forward-00001-deployment-aaaaa', maxHops: 5, servedAt: '2026-12-03T08:00:00.000Z' }, path, hop });
const throwBall = (id: string) => store.record(planEvent(BALL_THROWN, { source: '/pingpong/ping', id: hopEventId(id, 0) }, flight(id, 0, [])));
const landBall = (id: string) => store.record(planEvent(BALL_LANDED, { source: '/pingpong/forward', id: hopEventId(id, 0, 'landed') }, flight(id, 0, ['forward-00001-deployment-aaaaa'])));
const flip = (id: string) => store.record(planEvent(COIN_FLIPPED, { source: '/pingpong/coin-flip', id }, { heads_required: 2, total_flips: 4 }));

/** An SSE client over fetch: the events it parsed so far, and a way to stop. */
function listen(url: string, headers: Record<string, string> = {}) {
  const events: Array<{ id: number; event: string; data: any }> = [];
  /** The system pictures the stream sent (events without an id, apart from the history). */
  const systems: any[] = [];
  let opened = 0;
  let opening: number | undefined;
  const abort = new AbortController();
  const done = (async () => {
    const res = await fetch(url, { headers, signal: abort.signal });
    opened = res.status;
    if (!res.ok || !res.body) return;
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const field = (name: string) => block.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
        const data = field('data');
        if (data !== undefined && field('event') === 'position') opening = JSON.parse(data).seq;
        else if (data !== undefined && field('event') === 'system') systems.push(JSON.parse(data));
        else if (data !== undefined) events.push({ id: Number(field('id')), event: field('event') ?? 'message', data: JSON.parse(data) });
      }
    }
  })().catch(() => undefined);
  return { events, systems, status: () => opened, position: () => opening, stop: async () => { abort.abort(); await done; } };
}

test.serial('the page, its script and its style are served with their media types', async (t) => {
  for (const [p, type] of [['/', /^text\/html/], ['/index.html', /^text\/html/], ['/app.js', /^text\/javascript/], ['/style.css', /^text\/css/]] as const) {
    const res = await fetch(`${ui.url}${p}`);
    t.is(res.status, 200, p);
    t.regex(res.headers.get('content-type') ?? '', type, p);
  }
  t.regex(await (await fetch(`${ui.url}/`)).text(), /<script src="app\.js" type="module"><\/script>/);
});

test.serial('players are the live worker pods from the API; balls come from the history, filtered and bounded', async (t) => {
  const players = await (await fetch(`${ui.url}/api/players`)).json() as Array<{ name: string; port: number }>;
  t.deepEqual(players.map((p) => [p.name, p.port]), [['forward-00001-deployment-aaaaa', 41001], ['forward-00001-deployment-bbbbb', 41002]]);
  await throwBall('ui-b1');
  await throwBall('ui-b2');
  await landBall('ui-b2');
  const landed = await (await fetch(`${ui.url}/api/balls?status=landed&limit=10`)).json() as Array<{ id: string; status: string }>;
  t.deepEqual(landed.map((b) => [b.id, b.status]), [['ui-b2', 'landed']]);
  t.is((await (await fetch(`${ui.url}/api/balls?limit=1`)).json() as unknown[]).length, 1);
  for (const [q, field] of [['limit=0', 'limit'], ['limit=abc', 'limit'], ['limit=501', 'limit'], ['status=lost', 'status'], ['colour=red', 'colour'], ['limit=1&limit=2', 'limit']] as const) {
    const res = await fetch(`${ui.url}/api/balls?${q}`);
    t.is(res.status, 400, q);
    const body = await res.json() as { errors: Array<{ field: string }> };
    t.is(body.errors[0]!.field, field, q);
  }
});

test.serial('the stream sends what is recorded next, live, in feed order', async (t) => {
  const live = listen(`${ui.url}/api/stream`);
  await waitFor(() => live.status() === 200, 'the stream to open');
  await new Promise((r) => setTimeout(r, 200));
  await flip('ui-f1');
  await throwBall('ui-b3');
  await waitFor(() => live.events.length >= 2, 'two live events', { timeoutMs: 10_000 });
  await live.stop();
  t.deepEqual(live.events.map((e) => e.event), [COIN_FLIPPED, BALL_THROWN]);
  t.true(live.events[1]!.id > live.events[0]!.id);
  t.like(live.events[1]!.data, { table: 'hop', ballId: 'ui-b3', data: { hop: 0, ball: { id: 'ui-b3' } } });
});

test.serial('resumed with Last-Event-ID, the stream sends exactly what was missed, once and in order', async (t) => {
  const first = listen(`${ui.url}/api/stream?since=0`);
  await waitFor(() => first.events.some((e) => e.data.id === 'ui-f1'), 'the catch-up from the start', { timeoutMs: 10_000 });
  const seenUpTo = first.events.at(-1)!.id;
  await first.stop();
  // While nobody listens (a page whose history-ui went to zero), more is recorded.
  await flip('ui-f2');
  await throwBall('ui-b4');
  await landBall('ui-b4');
  const resumed = listen(`${ui.url}/api/stream`, { 'last-event-id': String(seenUpTo) });
  await waitFor(() => resumed.events.length >= 3, 'the three missed events', { timeoutMs: 10_000 });
  await flip('ui-f3');
  await waitFor(() => resumed.events.length >= 4, 'then the live one', { timeoutMs: 10_000 });
  await resumed.stop();
  t.is(resumed.position(), seenUpTo, 'the stream opens by saying where it resumes');
  t.deepEqual(resumed.events.map((e) => e.data.id), ['ui-f2', hopEventId('ui-b4', 0), hopEventId('ui-b4', 0, 'landed'), 'ui-f3']);
  const ids = [...first.events, ...resumed.events].map((e) => e.id);
  t.is(new Set(ids).size, ids.length, 'nothing twice');
  t.deepEqual(ids, [...ids].sort((a, b) => a - b), 'in order');
});

test.serial('a bad resume position is a 400 naming it', async (t) => {
  for (const [headers, q, field] of [[{ 'last-event-id': 'yesterday' }, '', 'Last-Event-ID'], [{}, '?since=-1', 'since'], [{}, '?from=3', 'from']] as const) {
    const res = await fetch(`${ui.url}/api/stream${q}`, { headers });
    t.is(res.status, 400);
    t.is(((await res.json()) as { errors: Array<{ field: string }> }).errors[0]!.field, field);
  }
});

test.serial('the actions refuse what the page would not send, naming the field', async (t) => {
  for (const [path, body, field] of [
    ['/api/actions/serve', '{"count":0}', 'body.count'],
    ['/api/actions/serve', '{"colour":"red"}', 'body.colour'],
    ['/api/actions/serve', '[1]', 'body'],
    ['/api/actions/serve', 'not json', 'body'],
    ['/api/actions/flip', '{"heads":0}', 'body.heads'],
    ['/api/actions/flip', '{}', 'body.heads'],
    ['/api/actions/flip', '{"heads":"many"}', 'body.heads'],
    ['/api/actions/table', '{"mode":"Sometimes"}', 'body.mode'],
    ['/api/actions/table', '{"mode":"Fixed"}', 'body.replicas'],
    ['/api/actions/table', '{"mode":"Fixed","replicas":99}', 'body.replicas'],
    ['/api/actions/table', '{"mode":"Random","extra":1}', 'body.extra'],
  ] as const) {
    const res = await fetch(`${ui.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    t.is(res.status, 400, `${path} ${body}`);
    t.true(((await res.json()) as { errors: Array<{ field: string }> }).errors.some((e) => e.field === field), `${path} ${body} names ${field}`);
  }
});

test.serial('the system picture: Triggers with their filters, Services with their pods (or at zero), PingSources with their next tick', async (t) => {
  const res = await fetch(`${ui.url}/api/system`);
  t.is(res.status, 200, await res.clone().text());
  const system = await res.json() as { triggers: any[]; services: any[]; pingSources: any[]; table: any };
  t.like(system.triggers.find((x) => x.name === 'forward'), { broker: 'default', filter: 'type = dev.pingpong.ball.thrown', subscriber: 'Service/forward', takes: [BALL_THROWN] });
  const history = system.triggers.find((x) => x.name === 'record-hop-history');
  t.regex(history.filter, /dev\.pingpong\.ball\.landed/);
  // Its alternatives on type alone are what it surely takes; the pod events' also need kind = Pod.
  t.true(history.takes.includes(BALL_LANDED) && history.takes.includes(PEER_PONGED), history.takes.join());
  t.false(history.takes.some((x: string) => x.startsWith('dev.knative.apiserver')));
  t.deepEqual(system.triggers.find((x) => x.name === 'scale-workers').takes, []);
  // The table, as its spec asks (the shipped default: Random, 2 to 5).
  t.like(system.table, { name: 'default', mode: 'Random', min: 2, max: 5 });
  t.like(system.services.find((x) => x.name === 'forward'), { pods: 2, atZero: false });
  t.like(system.services.find((x) => x.name === 'coin-flip'), { pods: 0, atZero: true });
  const serve = system.pingSources.find((x) => x.name === 'serve-balls');
  t.is(serve.schedule, '*/10 * * * * *');
  const next = new Date(serve.next).getTime();
  t.true(next > Date.now() - 1000 && next <= Date.now() + 10_500, `next tick ${serve.next}`);
  t.is(serve.sink, 'Broker/default');
});

test.serial('the stream opens with the system picture, and sends it again when the cluster changes', async (t) => {
  const live = listen(`${ui.url}/api/stream`);
  await waitFor(() => live.systems.length >= 1, 'the system picture as the stream opens', { timeoutMs: 10_000 });
  t.like(live.systems[0].services.find((x: any) => x.name === 'forward'), { pods: 2 });
  const pod = { name: 'forward-00001-deployment-ccccc', namespace: 'pingpong', service: 'forward', configuration: 'forward', revision: 'forward-00001',
    ip: '127.0.0.1', port: 41003, phase: 'Running', ready: true, terminating: false, inFlight: 0, startedAt: new Date() } satisfies PodRecord;
  api.upsertPod(pod);
  await waitFor(() => live.systems.at(-1)?.services.find((x: any) => x.name === 'forward')?.pods === 3, 'a picture with the third worker', { timeoutMs: 10_000 });
  api.deletePod('pingpong', pod.name);
  await waitFor(() => live.systems.at(-1)?.services.find((x: any) => x.name === 'forward')?.pods === 2, 'a picture without it', { timeoutMs: 10_000 });
  await live.stop();
  // A picture is no history: it carries no id, so a resumed stream starts where the history left it.
  t.deepEqual(live.events, []);
});

test.serial('one ball\'s flight, hop by hop; an unknown ball is a 404 and a bad id a 400, each naming id', async (t) => {
  const res = await fetch(`${ui.url}/api/ball?id=ui-b4`);
  t.is(res.status, 200);
  const { ball, hops } = await res.json() as { ball: { id: string; status: string; path: string[] }; hops: Array<{ hop: number; target: string }> };
  t.like(ball, { id: 'ui-b4', status: 'landed', path: ['forward-00001-deployment-aaaaa'] });
  t.deepEqual(hops.map((h) => h.hop), [0]);
  const missing = await fetch(`${ui.url}/api/ball?id=nope`);
  t.is(missing.status, 404);
  t.is(((await missing.json()) as { errors: Array<{ field: string }> }).errors[0]!.field, 'id');
  for (const q of ['', '?id=', `?id=${'x'.repeat(200)}`, '?id=a&id=b', '?ball=1']) {
    const bad = await fetch(`${ui.url}/api/ball${q}`);
    t.is(bad.status, 400, q);
  }
});

const A = 'forward-00001-deployment-aaaaa';
const B = 'forward-00001-deployment-bbbbb';
const podObject = (name: string, port: number) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'pingpong', labels: { 'serving.knative.dev/revision': 'forward-00001' } },
  spec: { containers: [{ name: 'function', ports: [{ containerPort: port, name: 'http1' }] }] }, status: { phase: 'Running', podIP: '127.0.0.1' },
});
const get = async (q: string) => {
  const res = await fetch(`${ui.url}/api/${q}`);
  return { status: res.status, body: await res.json() as any };
};

test.serial('each history panel reads its own recordings, newest first, paged by feed position and filtered', async (t) => {
  const source = '/pingpong/test';
  await store.record(planEvent(WORKERS_SCALED, { source, id: 'sc1' }, { service: 'forward', from: 2, to: 5, revision: 'forward-00002', reason: 'fixed' }));
  await store.record(planEvent(PODS_LISTED, { source, id: 'pl1' }, { service: 'forward', cause: 'tick', pods: [{ name: A, ip: '127.0.0.1', port: 41001, phase: 'Running', revision: 'forward-00001' }] }));
  await store.record(planEvent(PEER_PONGED, { source, id: 'pp1' }, { from: A, to: B, address: '127.0.0.1:41002', ms: 1.5, ok: true }));
  await store.record(planEvent(PEER_PONGED, { source, id: 'pp2' }, { from: B, to: A, address: '127.0.0.1:41001', ms: 30, ok: false }));
  await store.record(planEvent(APISERVER_ADD, { source, id: 'pe1' }, podObject(A, 41001)));
  await store.record(planEvent(APISERVER_DELETE, { source, id: 'pe2' }, podObject(B, 41002)));
  // One event the Broker gave up on at two subscribers: two dead letters, each once.
  for (const dest of ['http://coin-flip.pingpong.svc.cluster.local', 'http://record-hop.pingpong.svc.cluster.local']) {
    await store.record(planDeadLetter({ type: COIN_FLIP_REQUESTED, source, id: 'dl1', data: { heads: 'many' }, knativeerrordest: dest, knativeerrorcode: '400',
      knativeerrordata: Buffer.from('data.heads: expected number').toString('base64') }));
  }

  const scale = await get('scale-changes');
  t.like(scale.body[0], { service: 'forward', from: 2, to: 5, revision: 'forward-00002', reason: 'fixed' });
  t.like((await get('pod-snapshots')).body[0], { service: 'forward', cause: 'tick', podCount: 1 });
  t.like((await get('coin-flips')).body[0], { headsRequired: 2, totalFlips: '4' });

  const pongs = (await get('pongs')).body as Array<{ seq: number; from: string; to: string; ms: number; ok: boolean }>;
  t.deepEqual(pongs.slice(0, 2).map((p) => [p.from, p.to, p.ms, p.ok]), [[B, A, 30, false], [A, B, 1.5, true]], 'newest first');
  t.deepEqual((await get('pongs?ok=false')).body.map((p: any) => p.from), [B]);
  t.deepEqual((await get(`pongs?pod=${B}`)).body.length, 2, 'a pod is either end');
  // The next page starts below the last position of this one.
  const first = (await get('pongs?limit=1')).body as typeof pongs;
  const next = (await get(`pongs?limit=1&before=${first[0]!.seq}`)).body as typeof pongs;
  t.deepEqual([first[0]!.from, next[0]!.from], [B, A]);

  const died = (await get('pod-events?kind=died')).body;
  t.deepEqual(died.map((e: any) => [e.name, e.port, e.revision]), [[B, 41002, 'forward-00001']]);
  t.deepEqual((await get(`pod-events?pod=${A}`)).body.map((e: any) => e.kind), ['born']);

  const letters = (await get(`dead-letters?type=${COIN_FLIP_REQUESTED}`)).body;
  t.deepEqual(letters.map((d: any) => d.dest).sort(), ['http://coin-flip.pingpong.svc.cluster.local', 'http://record-hop.pingpong.svc.cluster.local'], 'each destination once');
  t.like(letters[0], { id: 'dl1', code: 400, errorData: 'data.heads: expected number', data: { heads: 'many' } });
  t.deepEqual((await get('dead-letters?type=dev.pingpong.none')).body, []);

  for (const [q, field] of [['pongs?ok=yes', 'ok'], ['pod-events?kind=renamed', 'kind'], ['scale-changes?before=-1', 'before'], ['coin-flips?limit=0', 'limit'],
    ['pod-snapshots?pod=x', 'pod'], [`dead-letters?type=${'t'.repeat(300)}`, 'type'], ['pod-events?pod=', 'pod']] as const) {
    const res = await get(q);
    t.is(res.status, 400, q);
    t.is(res.body.errors[0].field, field, q);
  }
});

test.serial('balls page by serving order and filter by the worker that caught them', async (t) => {
  for (const id of ['ui-p1', 'ui-p2', 'ui-p3']) await throwBall(id);
  await landBall('ui-p2');
  const newest = (await get('balls?limit=2')).body as Array<{ id: string; servedAt: string }>;
  const cursor = newest.at(-1)!;
  const older = (await get(`balls?limit=2&before=${encodeURIComponent(cursor.id)}`)).body as typeof newest;
  const seen = [...newest, ...older].map((b) => b.id);
  t.is(new Set(seen).size, 4, 'two pages, no ball on both');
  t.deepEqual((await get(`balls?worker=${A}&limit=500`)).body.map((b: any) => b.id).filter((id: string) => id.startsWith('ui-p')), ['ui-p2']);
  for (const [q, field] of [['balls?worker=', 'worker'], [`balls?before=${'x'.repeat(200)}`, 'before']] as const) {
    const res = await get(q);
    t.is(res.status, 400, q);
    t.is(res.body.errors[0].field, field, q);
  }
});

test.serial('a dead letter comes down the stream as its own kind, not as the event that failed', async (t) => {
  const live = listen(`${ui.url}/api/stream`);
  await waitFor(() => live.status() === 200, 'the stream to open');
  await store.record(planDeadLetter({ type: BALL_THROWN, source: '/pingpong/test', id: 'dl2', data: null, knativeerrordest: 'http://forward', knativeerrorcode: '503' }));
  await waitFor(() => live.events.length >= 1, 'the dead letter', { timeoutMs: 10_000 });
  await live.stop();
  t.like(live.events[0], { event: 'dead-letter', data: { table: 'dead_letter', type: BALL_THROWN, id: 'dl2' } });
});
