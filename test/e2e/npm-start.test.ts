import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { CloudEvent } from 'cloudevents';
import { historyReaderOf, type Instance, npmStart, processesMentioning, stopInstance } from '../helpers/pingpong-up.js';
import { postEvent } from '../helpers/cloudevents.js';
import { waitFor } from '../helpers/wait.js';
import { request } from '../helpers/http.js';
import { ROOT } from '../../lib/process/function-command.js';
import type { RuntimeStatus } from '../../local/runtime/status-view.js';

const run = promisify(execFile);
let pp: Instance;
let db: pg.Client;

const status = async (): Promise<RuntimeStatus> => {
  const info = JSON.parse(await readFile(path.join(pp.dataDir, 'runtime.json'), 'utf8'));
  return (await fetch(`${info.controlUrl}/status`)).json() as Promise<RuntimeStatus>;
};
const podsOf = (s: RuntimeStatus, service: string) => s.pods.filter((p) => p.service === service && !p.terminating);

test.before(async () => {
  pp = await npmStart(['--stable-window', '3s', '-f', path.join(ROOT, 'test/fixtures/manifests/serve-balls-fast.yaml')]);
  db = await historyReaderOf(pp);
});

test.after.always(() => stopInstance(pp, db));

test.serial('npm start reports each step, then the Services with their URLs, the Broker and the UI (one JSON record off a terminal)', (t) => {
  const out = pp.output();
  for (const want of ['PostgreSQL ready', 'Kubernetes API on', 'Broker ingress on', 'Serving 7 Knative Services', 'PingSource(s) scheduled']) {
    t.true(out.includes(want), `missing "${want}"`);
  }
  const ready = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((r) => r.msg === 'ready; Ctrl-C stops everything.') as { services: { url: string }[]; brokers: string[]; ui: string } | undefined;
  t.truthy(ready);
  t.deepEqual(ready!.services.map((v) => v.url).filter((u) => /coin-flip|forward/.test(u)).sort(),
    ['http://coin-flip.pingpong.127.0.0.1.sslip.io', 'http://forward.pingpong.svc.cluster.local']);
  t.deepEqual(ready!.brokers, [`http://localhost:${pp.broker}/pingpong/default`]);
  t.is(ready!.ui, `http://localhost:${pp.gateway}/`);
});

test.serial('served balls bounce among forward pods through the Broker and land, each recorded once', async (t) => {
  // Several ticks of 3 balls; with two workers some ball must be thrown on before it lands.
  const rows = await waitFor(async () => {
    const r = await db.query(`SELECT id, target, status, hops, path, landed_by FROM ball WHERE status = 'landed'`);
    return r.rows.length >= 6 && r.rows.some((b) => b.hops > 0) ? r.rows : undefined;
  }, 'six landed balls, one that bounced', { timeoutMs: 90_000, intervalMs: 500 });
  const forwardPods = new Set((await status()).pods.filter((p) => p.service === 'forward').map((p) => p.name));
  t.true(forwardPods.size >= 2, `forward pods: ${[...forwardPods]}`);
  for (const b of rows) {
    t.is(b.landed_by, b.target, `ball ${b.id} landed on its target`);
    t.is(b.path.at(-1), b.target);
    t.is(b.path.length, b.hops + 1);
  }
  const bounced = rows.find((b) => b.hops > 0)!;
  // A ball that bounced was first caught by a worker it was not aimed at.
  t.not(bounced.path[0], bounced.target);
  // Exactly once: one landing and one hop row per hop, per ball, whatever the redeliveries.
  const dupLandings = await db.query(`SELECT data->'ball'->>'id' AS ball, count(*) FROM event
    WHERE type = 'dev.pingpong.ball.landed' GROUP BY 1 HAVING count(*) > 1`);
  t.is(dupLandings.rows.length, 0);
  const hopCounts = await db.query(`SELECT b.id, b.hops, count(h.*)::int AS n FROM ball b JOIN hop h ON h.ball_id = b.id
    WHERE b.status = 'landed' GROUP BY b.id, b.hops`);
  for (const r of hopCounts.rows) t.is(r.n, r.hops + 1, `ball ${r.id}: one hop row per hop`);
});

test.serial('ping aims at live forward pods it finds through the Kubernetes API', async (t) => {
  const { stdout } = await run('kubectl', ['--kubeconfig', path.join(pp.dataDir, 'kubeconfig'), 'get', 'pods', '-n', 'pingpong',
    '-l', 'serving.knative.dev/service=forward', '-o', 'jsonpath={.items[*].metadata.name}']);
  const apiPods = new Set(stdout.trim().split(/\s+/));
  const targets = await db.query(`SELECT DISTINCT target FROM ball WHERE served_at > now() - interval '20 seconds'`);
  t.true(targets.rows.length > 0);
  for (const { target } of targets.rows) t.true(apiPods.has(target), `${target} is a forward pod in the API (${[...apiPods]})`);
});

test.serial('a ball requested with a named target lands on that pod', async (t) => {
  const target = podsOf(await status(), 'forward').find((p) => p.ready)!.name;
  const res = await postEvent(`http://127.0.0.1:${pp.broker}/pingpong/default`, new CloudEvent({
    type: 'dev.pingpong.ball.requested', source: '/e2e', id: `aimed-${Date.now()}`, datacontenttype: 'application/json',
    data: { count: 2, target },
  }));
  t.is(res.status, 202);
  const rows = await waitFor(async () => {
    const r = await db.query(`SELECT b.id, b.landed_by FROM ball b WHERE b.status = 'landed' AND b.target = $1
      AND b.id IN (SELECT data->'ball'->>'id' FROM event WHERE type = 'dev.pingpong.ball.thrown' AND source = '/pingpong/ping'
        AND (data->>'hop')::int = 0 AND received_at > now() - interval '60 seconds')`, [target]);
    return r.rows.length >= 2 ? r.rows : undefined;
  }, `two balls aimed at ${target} to land`, { timeoutMs: 60_000, intervalMs: 300 });
  for (const r of rows) t.is(r.landed_by, target);
});

const compute = (heads: number) => request(`http://127.0.0.1:${pp.gateway}/compute`, {
  method: 'POST', headers: { host: 'coin-flip.pingpong.127.0.0.1.sslip.io', 'content-type': 'application/json' },
  body: JSON.stringify({ heads }),
});

test.serial('an idle Service scales to zero, kubectl get pods -w follows it, the next request is buffered and answered', async (t) => {
  t.is((await compute(2)).status, 200, 'coin-flip answers (waking it if it was already at zero)');
  const [pod] = podsOf(await status(), 'coin-flip');
  t.truthy(pod);
  // kubectl follows the pods as a user would, in its own process group, with its own HOME.
  const watch = spawn('kubectl', ['--kubeconfig', path.join(pp.dataDir, 'kubeconfig'), '--cache-dir', path.join(pp.dataDir, 'kubectl-cache'),
    'get', 'pods', '-n', 'pingpong', '-w', '--output-watch-events'], { env: { ...process.env, HOME: pp.dataDir, KUBECONFIG: '' }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let seen = '';
  watch.stdout!.on('data', (d) => (seen += d));
  watch.stderr!.on('data', (d) => (seen += d));
  t.teardown(() => { try { process.kill(-watch.pid!, 'SIGKILL'); } catch { /* gone */ } });
  await waitFor(async () => podsOf(await status(), 'coin-flip').length === 0, 'coin-flip to scale to zero', { timeoutMs: 60_000, intervalMs: 250 });
  await waitFor(() => new RegExp(`DELETED\\s+${pod!.name}`).test(seen), `kubectl -w to show ${pod!.name} deleted`, { timeoutMs: 20_000 });
  t.regex(seen, new RegExp(`ADDED\\s+${pod!.name}`));

  const res = await compute(4);
  t.is(res.status, 200, res.body);
  const body = JSON.parse(res.body) as { heads_required: number; total_flips: number };
  t.is(body.heads_required, 4);
  t.true(body.total_flips >= 4);
  t.true(podsOf(await status(), 'coin-flip').length >= 1);
});

test.serial('pingpong status --json shows Services, revisions, pods and Triggers of the running instance', async (t) => {
  const { stdout } = await run(process.execPath, [path.join(ROOT, 'bin/pingpong.js'), 'status', '--json', '--data-dir', pp.dataDir]);
  const s = JSON.parse(stdout) as RuntimeStatus;
  t.deepEqual(s.services.map((v) => v.name).sort(), ['coin-flip', 'forward', 'history-ui', 'list-pods', 'ping', 'record-hop', 'scale-workers']);
  t.true(s.services.find((v) => v.name === 'forward')!.revisions.some((r) => r.name === 'forward-00001' && r.ready >= 2));
  t.true(s.pods.some((p) => p.service === 'record-hop' && p.ready));
  t.true(s.triggers.some((tr) => tr.name === 'forward' && tr.subscriber === 'http://forward.pingpong.svc.cluster.local/'));
  const text = (await run(process.execPath, [path.join(ROOT, 'bin/pingpong.js'), 'status', '--data-dir', pp.dataDir])).stdout;
  t.regex(text, /forward-00001\s+100%/);
});

test.serial('stdout is JSON lines when it is not a terminal: every line parses, events carry pod, id and type', async (t) => {
  await waitFor(() => pp.stdout().includes('"msg":"handled"'), 'a handled event on stdout', { timeoutMs: 30_000 });
  // npm's own header ("> knative-ping-pong@… start") precedes ours; `npm start --silent` drops it.
  const records = pp.stdout().split('\n').filter((l) => l.trim() !== '' && !l.startsWith('> ')).map((l) => JSON.parse(l) as Record<string, unknown>);
  t.true(records.some((r) => r.msg === 'pod born' && typeof r.pod === 'string' && typeof r.port === 'number' && r.ip === '127.0.0.1'));
  t.true(records.some((r) => r.msg === 'handled' && typeof r.pod === 'string' && typeof r.id === 'string' && r.type === 'dev.pingpong.ball.thrown'));
  t.true(records.some((r) => r.msg === 'ready; Ctrl-C stops everything.' && Array.isArray(r.services) && typeof r.gateway === 'string'),
    'the banner is one JSON record');
});

test.serial('Ctrl-C stops everything and leaves no process behind', async (t) => {
  const before = await processesMentioning(pp.dataDir);
  t.true(before.length >= 5, `pods and PostgreSQL run: ${before.length}`);
  await db.end();
  const code = await pp.interrupt();
  t.true(pp.exited());
  t.true(code === 0 || code === 130 || code === null, `exit code ${code}`);
  t.regex(pp.output(), /stopped\./);
  await waitFor(async () => (await processesMentioning(pp.dataDir)).length === 0, 'every process of the instance to exit', { timeoutMs: 30_000 });
  t.pass();
});
