/**
 * The local Broker under load, each figure beside a reference from the same run: delivered
 * events/s with 1 and 4 Triggers against the same sink posted to directly and a bare Node server,
 * and the hop's latency at a fixed rate against a direct POST to the same sink.
 *
 * The Broker, the sink and the bare server each run in their own process (bench/broker-process.ts):
 * in one event loop the load generator and the Broker would take turns, and the figure would be
 * theirs together. Every process is in its own group, stopped when the benchmark ends, failed or not.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import autocannon from 'autocannon';
import type { BrokerStatsSnapshot } from '../local/broker/index.js';
import { bundledEntry } from '../lib/process/cli-bundle.js';
import { ROOT } from '../lib/process/function-command.js';
import { commandsOf } from '../test/helpers/commands.js';
import { freePort } from '../test/helpers/ports.js';
import type { Role, SinkReport } from './broker-process.js';
import { num, quantile, ratio, sampleOf, show, times, type Benchmark, type Row } from './measure.js';

const RUNS = 3;
const CONNECTIONS = 8;
const SECONDS = 4;
const RATE = 500;

/** Same clock as the sink's: wall-clock milliseconds with sub-millisecond resolution. */
const now = (): number => performance.timeOrigin + performance.now();

/** 1 KiB of JSON data, binary mode: what a ball looks like to the Broker, give or take. */
const BODY = (() => {
  const bare = JSON.stringify({ n: 1, pad: '' });
  return JSON.stringify({ n: 1, pad: 'x'.repeat(1024 - bare.length) });
})();
const HEADERS = { 'content-type': 'application/json', 'ce-specversion': '1.0', 'ce-type': 'dev.pingpong.bench', 'ce-source': '/bench', 'ce-id': 'bench' };

interface Child {
  url: string;
  call<T = unknown>(cmd: string, args?: Record<string, unknown>): Promise<T>;
}

/**
 * Starts one role on a free port and resolves once it listens. Its stop goes into `stops` as soon
 * as it is spawned, so a child that never gets ready is stopped too.
 */
async function startChild(role: Role, stops: Array<() => Promise<void>>): Promise<Child> {
  const port = await freePort();
  // node, never npx: a wrapper process would survive the group kill's target.
  // BENCH_CPU_PROF=<dir>: the Broker writes a CPU profile there when it stops (for bench/profiles.md).
  const profile = role === 'broker' && process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  // Bundled, as the runtime runs the Broker (bin/pingpong.js), not through tsx.
  const script = await bundledEntry(ROOT, 'bench/broker-process.ts', ['bench', 'local', 'lib', 'test/helpers']);
  // The Broker with the V8 flag npm start gives the runtime (package.json), so it runs as it runs there.
  const v8 = role === 'broker' ? ['--max-semi-space-size=4'] : [];
  const child = spawn(process.execPath, [...v8, ...profile, script, role, String(port)], {
    cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  stops.push(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try { process.kill(-child.pid!, 'SIGTERM'); } catch { /* already gone */ }
    const t = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 3000);
    await exited;
    clearTimeout(t);
  });
  const { ready, call } = commandsOf(child, `bench ${role} process`, () => out);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([ready, new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`bench ${role} process not listening after 30 s:\n${out}`)), 30_000);
  })]).finally(() => clearTimeout(timer));
  return { url: `http://127.0.0.1:${port}`, call };
}

/** Runs `body` with the given processes started, and stops every one of them however it ends. */
async function withChildren<T>(roles: Role[], body: (children: Child[]) => Promise<T>): Promise<T> {
  const stops: Array<() => Promise<void>> = [];
  try {
    // Settled, not Promise.all: one failing must not leave the finally before the others spawn.
    const started = await Promise.allSettled(roles.map((r) => startChild(r, stops)));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    return await body(started.map((s) => (s as PromiseFulfilledResult<Child>).value));
  } finally {
    await Promise.all(stops.map((s) => s()));
  }
}

/** autocannon on one URL, the event as body: the closed-loop load of figure 1. */
async function hammer(url: string, headers = HEADERS, seconds = SECONDS) {
  return autocannon({ url, method: 'POST', headers, body: BODY, connections: CONNECTIONS, duration: seconds });
}

interface Through { perSecond: number; accepted: number; refused: number; lost: number[]; backlogMs: number }

/**
 * One run through the Broker: hammer its ingress, wait until it is idle, count what the sink got.
 * The rate is deliveries over first send → last arrival, so a backlog drained after the load
 * stops counts against the Broker, not for it.
 */
async function throughBroker(broker: Child, sink: Child, name: string, triggers: number, seconds = SECONDS): Promise<Through> {
  await sink.call('reset');
  const ingress = await broker.call<string>('setup', { name, triggers, sink: sink.url });
  const start = now();
  const r = await hammer(broker.url + ingress, HEADERS, seconds);
  const stopped = now();
  // The Broker's count, not autocannon's: answers still in flight at the deadline are not in it.
  const stats = await broker.call<BrokerStatsSnapshot>('drain');
  const seen = await sink.call<SinkReport>('report');
  const accepted = stats.brokers[0]?.received ?? 0;
  const arrived = stats.triggers.map((t) => seen.counts[`/${t.name}`] ?? 0);
  const deliveries = arrived.reduce((a, b) => a + b, 0);
  return {
    perSecond: deliveries === 0 ? 0 : deliveries / ((seen.last - start) / 1000),
    accepted,
    refused: r.non2xx + r.errors + r.timeouts,
    lost: arrived.map((n) => accepted - n),
    // How long deliveries went on once the load stopped: the backlog the Broker had built.
    backlogMs: Math.max(0, seen.last - stopped),
  };
}

/**
 * POSTs `perSecond` events for `seconds`, paced by the clock rather than by the answers, each
 * stamped with its send time in the `senttime` extension. autocannon's rate limit is no use
 * here: it sends a second's quota in one burst, then waits for the next second.
 */
function paced(url: string, perSecond: number, seconds: number): Promise<{ sent: number; ok: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const total = perSecond * seconds;
  let sent = 0;
  let ok = 0;
  let done = 0;
  return new Promise((resolve) => {
    const settle = () => {
      if (++done < total) return;
      agent.destroy();
      resolve({ sent, ok });
    };
    const post = (i: number) => {
      const req = http.request(url, {
        method: 'POST', agent,
        headers: { ...HEADERS, 'ce-id': `lat-${i}`, 'ce-senttime': now().toFixed(3), 'content-length': Buffer.byteLength(BODY) },
      }, (res) => {
        if (res.statusCode === 202) ok++;
        res.resume();
        res.once('end', settle);
      });
      req.once('error', settle);
      req.end(BODY);
    };
    const start = now();
    const tick = () => {
      const due = Math.min(total, Math.floor(((now() - start) * perSecond) / 1000) + 1);
      while (sent < due) post(sent++);
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
}

interface Latency { p50: number; p99: number; sent: number; arrived: number }

async function latencyRun(url: string, sink: Child, broker?: Child): Promise<Latency> {
  await sink.call('reset');
  const { sent } = await paced(url, RATE, SECONDS);
  if (broker) await broker.call('drain');
  const { latencies } = await sink.call<SinkReport>('report');
  return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), sent, arrived: latencies.length };
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

export const brokerBenchmarks: Benchmark[] = [{
  name: 'Broker throughput: 1 and 4 Triggers vs the sink direct and a bare Node server',
  run: (progress) => withChildren(['broker', 'sink', 'bare'], async ([broker, sink, bare]) => {
    // One unrecorded second through the Broker, so the first run is not the JIT's.
    await throughBroker(broker!, sink!, 'warmup', 1, 1);
    const direct: number[] = [];
    const plain: number[] = [];
    const through: Record<1 | 4, Through[]> = { 1: [], 4: [] };
    // Rounds interleave the four, so a neighbour's burst of load spreads over all of them.
    for (let i = 0; i < RUNS; i++) {
      const at = `run ${i + 1}/${RUNS}`;
      await sink!.call('reset');
      direct.push((await hammer(`${sink!.url}/direct`)).requests.average);
      progress(`sink direct ${at}: ${num(direct.at(-1)!)} req/s`);
      plain.push((await hammer(bare!.url)).requests.average);
      progress(`bare Node server ${at}: ${num(plain.at(-1)!)} req/s`);
      for (const n of [1, 4] as const) {
        const r = await throughBroker(broker!, sink!, `r${i}x${n}`, n);
        through[n].push(r);
        progress(`broker ${n} trigger${n > 1 ? 's' : ''} ${at}: ${num(r.perSecond)} delivered/s, ${num(r.accepted)} accepted, `
          + `lost ${r.lost.join('/')}, ${num(r.refused)} not 202, last delivery ${num(r.backlogMs)} ms after the load`);
      }
    }
    const directS = sampleOf(direct, 'req/s');
    const plainS = sampleOf(plain, 'req/s');
    const reference = `sink direct ${show(directS)}; bare Node server ${show(plainS)}`;
    return ([1, 4] as const).map((n): Row => {
      const runs = through[n];
      const s = sampleOf(runs.map((r) => r.perSecond), 'delivered/s');
      const lost = sum(runs.flatMap((r) => r.lost));
      const noneLost = runs.every((r) => r.lost.every((l) => l === 0));
      return {
        figure: `Broker: delivered events/s, ${n} Trigger${n > 1 ? 's' : ''}, 1 KiB events`,
        measured: show(s),
        reference,
        versus: `${times(ratio(s, directS))} direct, ${times(ratio(s, plainS))} bare`,
        goal: n === 1 ? '≥ 5,000 delivered/s with 1 Trigger on these 2 cores, load generator included; none lost' : 'none lost',
        met: noneLost && (n === 1 ? s.median >= 5000 : true),
        note: `autocannon, ${CONNECTIONS} connections × ${SECONDS} s, POSTs binary-mode events (1 KiB JSON data) to the Broker's ingress; `
          + `the Broker, the sink and the bare server each in a process of their own, autocannon in the runner's. `
          + `delivered/s = deliveries${n > 1 ? ` summed over the ${n} Triggers (events/s = ÷ ${n})` : ''} ÷ (first send → last arrival at the sink, the drain included). `
          + `Accepted (202) per run: ${runs.map((r) => num(r.accepted)).join(', ')}; lost (accepted − arrived, per Trigger): ${lost === 0 ? 'none' : num(lost)}; `
          + `answered other than 202 (503 once 10,000 deliveries wait: back-pressure, not loss): ${runs.map((r) => num(r.refused)).join(', ')}. `
          + 'References: autocannon req/s, same connections and duration.',
      };
    });
  }),
}, {
  name: `Broker hop latency at ${RATE} events/s vs a direct POST to the sink`,
  run: (progress) => withChildren(['broker', 'sink'], async ([broker, sink]) => {
    const ingress = await broker!.call<string>('setup', { name: 'latency', triggers: 1, sink: sink!.url });
    // Unrecorded: opens the connections and warms both paths.
    await paced(broker!.url + ingress, RATE, 1);
    await paced(`${sink!.url}/direct`, RATE, 1);
    await broker!.call('drain');
    const direct: Latency[] = [];
    const hop: Latency[] = [];
    for (let i = 0; i < RUNS; i++) {
      const at = `run ${i + 1}/${RUNS}`;
      direct.push(await latencyRun(`${sink!.url}/direct`, sink!));
      hop.push(await latencyRun(broker!.url + ingress, sink!, broker));
      for (const [what, l] of [['direct', direct.at(-1)!], ['broker', hop.at(-1)!]] as const) {
        progress(`latency ${what} ${at}: p50 ${num(l.p50)} ms, p99 ${num(l.p99)} ms, ${num(l.arrived)}/${num(l.sent)} arrived`);
      }
    }
    const p = (ls: Latency[], q: 'p50' | 'p99') => sampleOf(ls.map((l) => l[q]), 'ms');
    const [hop50, hop99, direct50, direct99] = [p(hop, 'p50'), p(hop, 'p99'), p(direct, 'p50'), p(direct, 'p99')];
    const missing = sum(hop.map((l) => l.sent - l.arrived)) + sum(direct.map((l) => l.sent - l.arrived));
    return [{
      figure: `Broker hop latency p50/p99 at ${RATE} events/s, 1 Trigger`,
      measured: `p50 ${show(hop50)}; p99 ${show(hop99)}`,
      reference: `direct POST to the sink: p50 ${show(direct50)}; p99 ${show(direct99)}`,
      versus: `p50 ${times(ratio(hop50, direct50))} direct, p99 ${times(ratio(hop99, direct99))}`,
      goal: 'p50 ≤ 1.5× direct',
      met: ratio(hop50, direct50) <= 1.5,
      note: `${RATE} events/s for ${SECONDS} s per run, paced by the clock from the runner's process (not autocannon, whose rate limit bursts), `
        + 'each stamped with its send time in the senttime extension; latency = arrival at the sink (headers read) − send, both on the '
        + 'machine\'s wall clock (performance.timeOrigin + now()) in separate processes. Through the Broker that is ingress, queue and delivery, '
        + `not the 202 round trip. Events missing at the sink: ${missing === 0 ? 'none' : num(missing)}.`,
    }];
  }),
}];
