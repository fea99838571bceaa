import test from 'ava';
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { commandsOf } from '../helpers/commands.js';
import { ROOT } from '../../lib/process/function-command.js';
import type { BrokerStatsSnapshot } from '../../local/broker/index.js';
import { waitFor } from '../helpers/wait.js';

// Drives a Broker, alone in its own process, far past its bounds with slow subscribers, a reply
// chain and a flaky subscriber with a dead-letter sink, and checks what the bounds promise
// (local/broker/README.md, "Bounds"): every event is either accepted (202) or refused with a status
// the sender retries (503/429); every accepted event reaches each Trigger's subscriber or its
// dead-letter sink; the Broker's RSS stays under a stated ceiling though the events sent weigh
// several times that.

const NS = 'soak';
const EVENTS = 12_000;
const DATA_BYTES = 8 * 1024;
const SENDERS = 32;
const LIMITS = { maxQueued: 2_000, maxQueuedPerTrigger: 1_000, maxQueuedBytes: 16 * 1024 * 1024 };
/**
 * The Broker process's peak RSS must stay below this. Idle, the process (Node, tsx, the Broker)
 * takes about 90 MiB here; the bounds let it hold 16 MiB of events plus what that many deliveries
 * and connections cost. Unbounded, this run queues the ~94 MiB sent (three times over with replies).
 */
const RSS_CEILING_MIB = 200;

/** Each subscriber answers after this long, so deliveries pile up faster than they drain. */
const SUBSCRIBER_MS = 15;

interface Seen { all: Set<string>; echo: Set<string>; replies: Set<string>; flaky: Set<string>; dead: Map<string, Set<string>> }

async function startSubscribers(brokerName: string) {
  const seen: Seen = { all: new Set(), echo: new Set(), replies: new Set(), flaky: new Set(), dead: new Map() };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => setTimeout(() => {
      const id = String(req.headers['ce-id']);
      const route = (req.url ?? '/').slice(1);
      if (route === 'dls') {
        const from = String(req.headers['ce-knativeerrordest']);
        const trigger = from.includes(`/${NS}/${brokerName}`) ? 'echo' : 'flaky';
        if (!seen.dead.has(trigger)) seen.dead.set(trigger, new Set());
        seen.dead.get(trigger)!.add(id);
      } else if (route === 'flaky' && id.endsWith('7')) {
        res.writeHead(500, { 'content-length': 0 }).end();
        return;
      } else {
        (seen[route as 'all' | 'echo' | 'replies' | 'flaky'] ?? new Set()).add(id);
      }
      if (route === 'echo') {
        res.writeHead(200, { 'ce-specversion': '1.0', 'ce-id': `${id}.r`, 'ce-source': '/soak/echo', 'ce-type': 'soak.reply', 'content-length': 0 }).end();
        return;
      }
      res.writeHead(202, { 'content-length': 0 }).end();
    }, SUBSCRIBER_MS));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { seen, url, close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }) };
}

/** The Broker process, driven over its IPC channel. */
function startBroker(): { child: ChildProcess; call: (cmd: string, args?: unknown) => Promise<unknown>; ready: Promise<void> } {
  const child = fork(path.join(ROOT, 'test/helpers/broker-process.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return { child, ...commandsOf(child, 'the Broker process') };
}

function rssMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

test('past its bounds the Broker refuses with a retryable status, delivers or dead-letters all it accepted, and its RSS stays under the ceiling', async (t) => {
  const name = 'default';
  const subs = await startSubscribers(name);
  const { child, call, ready } = startBroker();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  t.teardown(async () => {
    child.kill('SIGTERM');
    await exited;
    await subs.close();
  });
  await ready;
  const fast = { retry: 1, backoffPolicy: 'linear', backoffDelay: 'PT0.01S', deadLetterSink: { uri: `${subs.url}/dls` } };
  const trigger = (tname: string, type: string | undefined, delivery: Record<string, unknown> = fast) => ({
    apiVersion: 'eventing.knative.dev/v1', kind: 'Trigger', metadata: { name: tname, namespace: NS },
    spec: { broker: name, ...(type ? { filter: { attributes: { type } } } : {}), subscriber: { uri: `${subs.url}/${tname}` }, delivery },
  });
  const port = await call('start', {
    options: LIMITS,
    brokers: [{ apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name, namespace: NS }, spec: {} }],
    triggers: [
      trigger('all', 'soak.request'),
      // A refused reply waits out up to ~2 s of backoff before its delivery is dead-lettered.
      trigger('echo', 'soak.request', { ...fast, retry: 20, backoffDelay: 'PT0.1S', backoffPolicy: 'linear' }),
      trigger('replies', 'soak.reply'),
      trigger('flaky', 'soak.request'),
    ],
  }) as number;
  const idleRss = rssMiB(child.pid!, 'VmRSS');

  let peakWaiting = 0;
  let peakBytes = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const s = await call('stats') as BrokerStatsSnapshot;
      peakWaiting = Math.max(peakWaiting, s.load!.waiting);
      peakBytes = Math.max(peakBytes, s.load!.bytes);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();

  const agent = new http.Agent({ keepAlive: true, maxSockets: SENDERS });
  const data = Buffer.from(JSON.stringify({ pad: 'x'.repeat(DATA_BYTES) }));
  const statuses = new Map<number, number>();
  const accepted: string[] = [];
  const post = (id: string) => new Promise<number>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: `/${NS}/${name}`, method: 'POST', agent, headers: {
      'ce-specversion': '1.0', 'ce-id': id, 'ce-source': '/soak', 'ce-type': 'soak.request', 'content-type': 'application/json', 'content-length': data.length,
    } }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
    req.on('error', reject);
    req.end(data);
  });
  const started = Date.now();
  let sent = 0;
  await Promise.all(Array.from({ length: SENDERS }, async () => {
    while (sent < EVENTS) {
      const id = `e${sent++}`;
      const status = await post(id);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status === 202) accepted.push(id);
    }
  }));
  const sendMs = Date.now() - started;
  agent.destroy();
  await waitFor(() => call('idle'), 'the Broker to deliver what it accepted', { timeoutMs: 60_000 });
  sampling = false;
  await sampler;
  const peakRss = rssMiB(child.pid!, 'VmHWM');
  const stats = await call('stats') as BrokerStatsSnapshot;

  const refused = (statuses.get(503) ?? 0) + (statuses.get(429) ?? 0);
  t.log(`sent ${sent} (${(sent * data.length / 2 ** 20).toFixed(0)} MiB) in ${sendMs} ms: accepted ${accepted.length}, refused ${refused}; ` +
    `statuses ${JSON.stringify(Object.fromEntries(statuses))}; peak waiting ${peakWaiting}/${LIMITS.maxQueued}, ` +
    `peak bytes ${(peakBytes / 2 ** 20).toFixed(1)}/${LIMITS.maxQueuedBytes / 2 ** 20} MiB; RSS idle ${idleRss.toFixed(0)} MiB, ` +
    `peak ${peakRss.toFixed(0)} MiB, ceiling ${RSS_CEILING_MIB} MiB; dead-lettered echo ${subs.seen.dead.get('echo')?.size ?? 0}, flaky ${subs.seen.dead.get('flaky')?.size ?? 0}`);

  t.is(sent, EVENTS);
  t.is(accepted.length + refused, sent, 'every answer is 202 or a status the sender retries');
  t.true(refused > 0, 'the run went past the bounds');
  t.true(accepted.length > 0);
  t.true(peakWaiting <= LIMITS.maxQueued, `waiting peaked at ${peakWaiting}`);
  t.true(peakBytes <= LIMITS.maxQueuedBytes, `bytes peaked at ${peakBytes}`);
  t.true(peakRss < RSS_CEILING_MIB, `peak RSS ${peakRss.toFixed(0)} MiB`);
  t.is(stats.brokers[0]!.received, accepted.length + subs.seen.replies.size, 'the Broker counts what it accepted, replies included');

  const dead = (trigger: string) => subs.seen.dead.get(trigger) ?? new Set<string>();
  const missing = (what: string, ok: (id: string) => boolean) => {
    const lost = accepted.filter((id) => !ok(id));
    t.deepEqual(lost.slice(0, 5), [], `${what}: ${lost.length} accepted events neither delivered nor dead-lettered`);
  };
  missing('all', (id) => subs.seen.all.has(id));
  missing('echo, its reply included', (id) => (subs.seen.echo.has(id) && subs.seen.replies.has(`${id}.r`)) || dead('echo').has(id));
  missing('flaky', (id) => subs.seen.flaky.has(id) || dead('flaky').has(id));
  t.true(dead('flaky').size > 0, 'the flaky subscriber’s failures reached the dead-letter sink');
});
