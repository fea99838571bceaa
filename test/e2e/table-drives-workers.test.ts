/**
 * The PingPongTable drives the workers, through `npm start` and kubectl: Fixed 5 gives five
 * workers that list each other on /peers and pong each other; a new peering interval applies with
 * no pod restarted; a ball whose target dies in flight drops target-gone; Fixed 1 leaves one,
 * every death recorded with its port; Random mode on a fast shuffle changes the count and records
 * each change.
 */
import test from 'ava';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { historyReaderOf, type Instance, kubectlOn, npmStart, stopInstance } from '../helpers/pingpong-up.js';
import { waitFor } from '../helpers/wait.js';

let pp: Instance;
let db: pg.Client;

test.before(async () => {
  // A short stable window, so the replaced revisions' pods go within seconds.
  pp = await npmStart(['--stable-window', '6s']);
  db = await historyReaderOf(pp);
});
test.after.always(() => stopInstance(pp, db));

const kubectl = (...args: string[]) => kubectlOn(pp)(...args); // pp is set in before()
const patchTable = (spec: unknown) => kubectl('patch', 'ppt', 'default', '--type=merge', '-p', JSON.stringify({ spec }));

interface Worker { name: string; port: number; revision: string; uid: string }
/** The forward pods that serve now: Ready and not being deleted. */
async function workers(): Promise<Worker[]> {
  const list = JSON.parse(await kubectl('get', 'pods', '-l', 'serving.knative.dev/service=forward', '-o', 'json')) as { items: any[] };
  return list.items.filter((p) => !p.metadata.deletionTimestamp && p.status.conditions.some((c: any) => c.type === 'Ready' && c.status === 'True'))
    .map((p) => ({ name: p.metadata.name, port: p.spec.containers[0].ports[0].containerPort, revision: p.metadata.labels['serving.knative.dev/revision'], uid: p.metadata.uid }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
/** Every forward pod there is, serving or on its way out. */
const allForwardPods = async () => (await kubectl('get', 'pods', '-l', 'serving.knative.dev/service=forward', '-o', 'name')).trim().split('\n').filter(Boolean);
const table = async () => JSON.parse(await kubectl('get', 'ppt', 'default', '-o', 'json'));

let five: Worker[] = [];

test.serial('Fixed 5: five workers, each listing the same five on /peers, all twenty pairs ponging', async (t) => {
  const t0 = new Date();
  await patchTable({ workers: { mode: 'Fixed', min: 1, max: 5, replicas: 5 }, peering: { intervalSeconds: 2 } });
  await waitFor(async () => {
    const w = await workers();
    return w.length === 5 && new Set(w.map((x) => x.revision)).size === 1 && (await allForwardPods()).length === 5;
  }, 'five workers of one revision, and no other pod', { timeoutMs: 90_000, intervalMs: 500 });
  five = await workers();
  const status = (await table()).status;
  t.like(status, { workers: 5, revision: five[0]!.revision });
  t.is(status.conditions[0].status, 'True');

  for (const w of five) {
    const peers = await (await fetch(`http://127.0.0.1:${w.port}/peers`)).json() as Array<{ name: string; port: number }>;
    t.deepEqual(peers.map((p) => p.name), five.map((x) => x.name), `/peers of ${w.name}`);
  }
  const pairs = async () => (await db.query('SELECT DISTINCT from_pod, to_pod FROM pong WHERE ok AND at > $1 AND from_pod = ANY($2) AND to_pod = ANY($2)',
    [t0, five.map((w) => w.name)])).rows.length;
  await waitFor(async () => (await pairs()) === 20, 'all 20 pairs to pong', { timeoutMs: 30_000, intervalMs: 500 });
  // Every worker pings all the others each round, so some span of two intervals (2 × 2 s) holds all 20 pairs.
  const pongs = (await db.query('SELECT from_pod, to_pod, at FROM pong WHERE ok AND at > $1 AND from_pod = ANY($2) AND to_pod = ANY($2) ORDER BY at',
    [t0, five.map((w) => w.name)])).rows.map((r) => ({ pair: `${r.from_pod}>${r.to_pod}`, at: new Date(r.at).getTime() }));
  const spans = pongs.map((p, i) => new Set(pongs.slice(i).filter((q) => q.at - p.at <= 4000).map((q) => q.pair)).size);
  t.is(Math.max(...spans), 20, 'all twenty pairs within two intervals');
  for (const w of five) t.regex(pp.output(), new RegExp(`pong from ${w.name} \\(127\\.0\\.0\\.1:${w.port}\\) in [\\d.]+ ms`));
  const scaled = await db.query("SELECT from_scale, to_scale, reason FROM scale_change WHERE to_scale = 5 AND reason = 'fixed'");
  t.true(scaled.rows.length >= 1, 'the scale change is in the history');
});

test.serial('a new peering interval applies with no pod restarted', async (t) => {
  await patchTable({ peering: { intervalSeconds: 4 } });
  const changed = new Date();
  const [a, b] = five;
  // Rounds of one pair after the change, once one at the old interval has gone by.
  const rounds = async () => (await db.query('SELECT at FROM pong WHERE from_pod = $1 AND to_pod = $2 AND at > $3 ORDER BY at', [a!.name, b!.name, changed])).rows.map((r) => new Date(r.at).getTime());
  await waitFor(async () => (await rounds()).length >= 4, 'four rounds after the change', { timeoutMs: 40_000, intervalMs: 500 });
  const at = (await rounds()).slice(1);
  for (let i = 1; i < at.length; i++) t.true(at[i]! - at[i - 1]! >= 3000, `rounds ${at[i]! - at[i - 1]!} ms apart at a 4 s interval`);
  t.deepEqual((await workers()).map((w) => w.uid), five.map((w) => w.uid), 'the same five pods: none restarted, no new revision');
});

test.serial('a ball aimed at a worker that died in flight drops with target-gone', async (t) => {
  // ping asked directly answers with the ball it serves instead of sending it to the Broker: the
  // test holds it while its target dies, then throws it, as if it had been in the air meanwhile.
  const pingPods = JSON.parse(await kubectl('get', 'pods', '-l', 'serving.knative.dev/service=ping', '-o', 'json')).items as any[];
  await waitFor(async () => JSON.parse(await kubectl('get', 'pods', '-l', 'serving.knative.dev/service=ping', '-o', 'json')).items
    .some((p: any) => p.status.conditions.some((c: any) => c.type === 'Ready' && c.status === 'True')), 'a ready ping pod', { timeoutMs: 60_000 });
  const ping = (JSON.parse(await kubectl('get', 'pods', '-l', 'serving.knative.dev/service=ping', '-o', 'json')).items as any[])
    .find((p) => p.status.conditions.some((c: any) => c.type === 'Ready' && c.status === 'True')) ?? pingPods[0];
  const target = five[0]!;
  const served = await fetch(`http://127.0.0.1:${ping.spec.containers[0].ports[0].containerPort}/`, {
    method: 'POST',
    headers: { 'ce-specversion': '1.0', 'ce-type': 'dev.pingpong.ball.requested', 'ce-source': '/e2e/target-gone', 'ce-id': `gone-${Date.now()}`, 'content-type': 'application/json' },
    body: JSON.stringify({ count: 1, target: target.name, maxHops: 50 }),
  });
  t.is(served.status, 200, await served.clone().text());
  const held: Record<string, string> = {};
  served.headers.forEach((v, k) => { if (k.startsWith('ce-') || k === 'content-type') held[k] = v; });
  const body = await served.text();
  const ballId = (JSON.parse(body) as { ball: { id: string } }).ball.id;
  await kubectl('delete', 'pod', target.name);
  await waitFor(async () => !(await allForwardPods()).includes(`pod/${target.name}`) && (await workers()).length === 5, 'the target gone and replaced', { timeoutMs: 60_000, intervalMs: 250 });
  const thrown = await fetch(`http://127.0.0.1:${pp.broker}/pingpong/default`, { method: 'POST', headers: held, body });
  t.is(thrown.status, 202);
  await waitFor(async () => (await db.query('SELECT status FROM ball WHERE id = $1', [ballId])).rows[0]?.status === 'dropped', 'the ball to end', { timeoutMs: 30_000, intervalMs: 250 });
  const ball = (await db.query('SELECT status, reason, hops FROM ball WHERE id = $1', [ballId])).rows[0];
  t.like(ball, { status: 'dropped', reason: 'target-gone' });
  five = await workers();
});

test.serial('Fixed 1: one worker; the four others, and the old revision, die with their ports recorded', async (t) => {
  await patchTable({ workers: { replicas: 1 } });
  await waitFor(async () => (await workers()).length === 1 && (await allForwardPods()).length === 1, 'one worker and no other pod', { timeoutMs: 90_000, intervalMs: 500 });
  const [one] = await workers();
  t.like((await table()).status, { workers: 1, revision: one!.revision });
  await waitFor(async () => (await db.query("SELECT 1 FROM pod_event WHERE kind = 'died' AND name = ANY($1)", [five.map((w) => w.name)])).rows.length === 5,
    'the five old pods to be recorded dead', { timeoutMs: 30_000, intervalMs: 500 });
  const deaths = (await db.query("SELECT name, ip, port FROM pod_event WHERE kind = 'died' AND name = ANY($1)", [five.map((w) => w.name)])).rows;
  for (const w of five) t.true(deaths.some((d) => d.name === w.name && d.port === w.port && d.ip === '127.0.0.1'), `${w.name} died on port ${w.port}`);
  const born = (await db.query("SELECT port FROM pod_event WHERE kind = 'born' AND name = $1", [one!.name])).rows;
  t.deepEqual(born.map((r) => r.port), [one!.port], 'its birth, with its port');
});

test.serial('Random mode on a fast shuffle changes the count within [min, max] and records each change', async (t) => {
  const since = new Date();
  const shuffle = path.join(pp.dataDir, 'shuffle-fast.yaml');
  await writeFile(shuffle, `apiVersion: sources.knative.dev/v1
kind: PingSource
metadata: { name: shuffle-workers, namespace: pingpong }
spec:
  schedule: "*/3 * * * * *"
  contentType: application/json
  data: '{"reason":"e2e-fast"}'
  sink: { ref: { apiVersion: eventing.knative.dev/v1, kind: Broker, name: default } }
`);
  await patchTable({ workers: { mode: 'Random', min: 1, max: 2 } });
  t.regex(await kubectl('apply', '-f', shuffle), /configured/);
  const changes = async () => (await db.query("SELECT from_scale, to_scale FROM scale_change WHERE reason = 'shuffle' AND at > $1 ORDER BY at", [since])).rows;
  await waitFor(async () => (await changes()).length >= 2, 'two shuffles that changed the count', { timeoutMs: 90_000, intervalMs: 500 });
  for (const c of await changes()) {
    t.true(c.to_scale >= 1 && c.to_scale <= 2, `to ${c.to_scale}`);
    t.not(c.from_scale, c.to_scale, 'a change is recorded only when the count changes');
  }
  await kubectl('delete', 'pingsource', 'shuffle-workers');
});
