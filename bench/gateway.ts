/**
 * `/compute` through the gateway (Host header → activator/autoscaler proxy → a coin-flip pod)
 * against the same pod posted to directly: what the local Knative data path costs a request.
 * Runs interleaved (gateway, direct, gateway, …) so a slow moment hits both alike.
 */
import { loadTest, type LoadResult } from './http.js';
import { waitFor } from '../test/helpers/wait.js';
import type { BenchInstance } from './instance.js';
import { num, ratio, sampleOf, show, times, type Row } from './measure.js';

const RUNS = 3;
const SECONDS = 5;
const BODY = '{"heads":20}';

export async function gatewayRows(b: BenchInstance, progress: (line: string) => void): Promise<Row[]> {
  // A pod to post to directly: wake coin-flip through the gateway, then pin the count for the runs.
  const wake = await b.viaGateway('coin-flip', '/compute', BODY);
  if (wake.status !== 200) throw new Error(`coin-flip answered ${wake.status} through the gateway`);
  const [pod] = await b.podsOf('coin-flip');
  if (!pod) throw new Error('coin-flip has no ready pod after a request');
  const headers = { 'content-type': 'application/json' };
  const viaGateway = { url: `http://127.0.0.1:${b.pp.gateway}/compute`, headers: { ...headers, host: 'coin-flip.pingpong.127.0.0.1.sslip.io' }, body: BODY };
  const toPod = { url: `http://127.0.0.1:${pod.port}/compute`, headers, body: BODY };
  // Unrecorded: the pods the load scales out to started, JIT warm on both paths.
  await loadTest({ ...viaGateway, seconds: 3 });
  await loadTest({ ...toPod, seconds: 2 });
  // A pod starting takes a core for a second (tsx compiles the sources): measure once none is.
  await waitFor(async () => (await b.status()).pods.every((p) => p.service !== 'coin-flip' || p.ready || p.terminating), 'coin-flip\'s new pods to be ready', { timeoutMs: 60_000, intervalMs: 200 });
  const gateway: LoadResult[] = [];
  const direct: LoadResult[] = [];
  for (let i = 0; i < RUNS; i++) {
    gateway.push(await loadTest({ ...viaGateway, seconds: SECONDS }));
    direct.push(await loadTest({ ...toPod, seconds: SECONDS }));
    progress(`/compute run ${i + 1}/${RUNS}: gateway ${num(gateway.at(-1)!.reqPerSec)} req/s, direct ${num(direct.at(-1)!.reqPerSec)} req/s`);
  }
  const pods = (await b.podsOf('coin-flip')).length;
  const rps = (rs: LoadResult[]) => sampleOf(rs.map((r) => r.reqPerSec), 'req/s');
  const p50 = (rs: LoadResult[]) => sampleOf(rs.map((r) => r.p50ms), 'ms');
  const p99 = (rs: LoadResult[]) => sampleOf(rs.map((r) => r.p99ms), 'ms');
  const errors = [...gateway, ...direct].reduce((n, r) => n + r.errors, 0);
  const note = `autocannon, 8 connections, ${SECONDS} s a run after an unrecorded warm-up, {"heads":20}; the direct runs hit one pod (${pod.name}); through the gateway the autoscaler may spread over more (${pods} ready after the runs). ${errors} non-2xx or errors in all.`;
  const rpsRatio = ratio(rps(gateway), rps(direct));
  const p50Ratio = ratio(p50(gateway), p50(direct));
  return [
    { figure: '/compute through the gateway: req/s', measured: show(rps(gateway)), reference: `direct: ${show(rps(direct))}`, versus: times(rpsRatio), goal: '≥ 0.7× direct', met: rpsRatio >= 0.7, note },
    { figure: '/compute through the gateway: p50', measured: show(p50(gateway)), reference: `direct: ${show(p50(direct))}`, versus: times(p50Ratio), goal: '≤ 1.3× direct', met: p50Ratio <= 1.3 },
    { figure: '/compute through the gateway: p99', measured: show(p99(gateway)), reference: `direct: ${show(p99(direct))}`, versus: times(ratio(p99(gateway), p99(direct))), goal: '—' },
  ];
}
