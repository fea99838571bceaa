/**
 * `npm run bench`: the speed goals of the project, measured on real processes, printed as a table
 * and written to docs/benchmarks.md. Exits non-zero when a goal is missed.
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HTTP, CloudEvent } from 'cloudevents';
import { benchCoinFlip, type BenchResult } from './coin-flip.js';
import { loadTest } from './http.js';
import { startFunction } from '../test/helpers/function-process.js';
import { startSink } from '../test/helpers/sink.js';
import { freePort } from '../test/helpers/ports.js';
import { LocalBroker } from '../local/broker/index.js';
import { pino } from 'pino';
import { ROOT } from '../lib/process/function-command.js';

interface Row extends BenchResult { goal: string; ok: boolean }
const rows: Row[] = [];
const say = (s: string) => process.stdout.write(`${s}\n`);

function record(r: BenchResult, goal: string, ok: boolean) {
  rows.push({ ...r, goal, ok });
  say(`  ${ok ? 'ok  ' : 'MISS'} ${r.name}: ${r.opsPerSec.toLocaleString('en')} ops/s, p99 ${r.p99us.toFixed(1)} µs (goal: ${goal})`);
}

say('1/4 coin-flip sampler, N=50 (the worst case)…');
const n50 = await benchCoinFlip({ heads: 50 });
record(n50, 'p99 < 1000 µs', n50.p99us < 1000);
say('2/4 coin-flip sampler, N=8…');
const n8 = await benchCoinFlip({ heads: 8 });
record(n8, 'p99 < 100 µs', n8.p99us < 100);

say('3/4 POST /compute on a real coin-flip process (16 connections, 5 s)…');
const fn = await startFunction('coin-flip');
try {
  const r = await loadTest('coin-flip POST /compute {"heads":20}', {
    url: `${fn.url}/compute`, headers: { 'content-type': 'application/json' }, body: '{"heads":20}',
  });
  record(r, '≥ 1000 req/s, p99 < 50 ms, no errors', r.opsPerSec >= 1000 && r.p99us < 50_000 && r.errors === 0);
} finally {
  await fn.stop();
}

say('4/4 Broker ingress → one Trigger → a recording sink (16 connections, 5 s)…');
const sink = await startSink();
const broker = new LocalBroker({ resolve: (d) => (d.uri ? { url: d.uri } : undefined), log: pino({ level: 'silent' }) });
broker.setResources(
  [{ apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name: 'default', namespace: 'bench' }, spec: {} }],
  [{ apiVersion: 'eventing.knative.dev/v1', kind: 'Trigger', metadata: { name: 'all', namespace: 'bench' },
    spec: { broker: 'default', subscriber: { uri: sink.url } } }],
);
const port = await broker.listen(await freePort());
try {
  const msg = HTTP.binary(new CloudEvent({ type: 'dev.pingpong.bench', source: '/bench', id: 'x', data: { n: 1 } }));
  const headers = Object.fromEntries(Object.entries(msg.headers).map(([k, v]) => [k, String(v)]));
  const r = await loadTest('Broker ingress (202) with fan-out to one Trigger', {
    url: `http://127.0.0.1:${port}/bench/default`, headers, body: String(msg.body),
  });
  await broker.idle();
  const delivered = sink.requests.length;
  // The Broker's own count: autocannon stops counting answers still in flight when time is up.
  const accepted = broker.stats().brokers[0]!.received;
  record({ ...r, name: `${r.name}; ${accepted.toLocaleString('en')} accepted, ${delivered.toLocaleString('en')} delivered` },
    '≥ 1000 events/s accepted, every accepted event delivered once', r.opsPerSec >= 1000 && r.errors === 0 && delivered === accepted);
} finally {
  await broker.close();
  await sink.close();
}

const report = `# Benchmarks

\`npm run bench\` on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.
Speed goals live here, not in tests.

| benchmark | ops/s | p99 | goal | met |
|---|---:|---:|---|---|
${rows.map((r) => `| ${r.name} | ${r.opsPerSec.toLocaleString('en')} | ${r.p99us >= 1000 ? `${(r.p99us / 1000).toFixed(1)} ms` : `${r.p99us.toFixed(1)} µs`} | ${r.goal} | ${r.ok ? 'yes' : '**no**'} |`).join('\n')}
`;
await writeFile(path.join(ROOT, 'docs', 'benchmarks.md'), report);
say(`\nwrote docs/benchmarks.md`);
process.exit(rows.every((r) => r.ok) ? 0 : 1);
