/**
 * `/compute` through the gateway (Host header → activator/autoscaler proxy → a coin-flip pod)
 * against the same pod posted to directly: what the local Knative data path costs a request.
 * Runs interleaved (gateway, direct, gateway, …) so a slow moment hits both alike.
 *
 * "The same pod" is taken literally: coin-flip is pinned to one pod for these runs, and the load
 * keeps as many requests in flight as its containerConcurrency (4). Otherwise the gateway figure
 * measures something else: Knative's hard limit queueing the excess in the activator, and a
 * scale-out to more pods fighting for the same 2 cores, where the direct run has one pod take 8 at once.
 */
import { loadTest, type LoadResult } from './http.js';
import { waitFor } from '../test/helpers/wait.js';
import type { BenchInstance } from './instance.js';
import { num, ratio, sampleOf, show, times, type Row } from './measure.js';

const RUNS = 3;
const SECONDS = 5;
const BODY = '{"heads":20}';

/** coin-flip's scale bounds, as a template annotation patch (a new revision rolls out). */
async function scaleBounds(b: BenchInstance, min: string, max: string): Promise<void> {
  const revision = async () => JSON.parse(await b.kubectl('get', 'ksvc', 'coin-flip', '-n', 'pingpong', '-o', 'json')).status?.latestReadyRevisionName as string;
  const before = await revision();
  await b.kubectl('patch', 'ksvc', 'coin-flip', '-n', 'pingpong', '--type', 'merge', '-p',
    JSON.stringify({ spec: { template: { metadata: { annotations: { 'autoscaling.knative.dev/min-scale': min, 'autoscaling.knative.dev/max-scale': max } } } } }));
  await waitFor(async () => (await revision()) !== before, 'coin-flip\'s new revision to be ready', { timeoutMs: 60_000, intervalMs: 200 });
}

export async function gatewayRows(b: BenchInstance, progress: (line: string) => void): Promise<Row[]> {
  const ksvc = JSON.parse(await b.kubectl('get', 'ksvc', 'coin-flip', '-n', 'pingpong', '-o', 'json'));
  const annotations = ksvc.spec.template.metadata?.annotations ?? {};
  const concurrency = Number(ksvc.spec.template.spec.containerConcurrency) || 8;
  await scaleBounds(b, '1', '1');
  try {
    return await measure(b, concurrency, progress);
  } finally {
    // As the manifest has it, for the cold-start runs after.
    await scaleBounds(b, annotations['autoscaling.knative.dev/min-scale'] ?? '0', annotations['autoscaling.knative.dev/max-scale'] ?? '0');
  }
}

async function measure(b: BenchInstance, connections: number, progress: (line: string) => void): Promise<Row[]> {
  // One pod of the new revision and nothing else of coin-flip: the old revision's pods gone.
  await waitFor(async () => {
    const all = (await b.status()).pods.filter((p) => p.service === 'coin-flip');
    return all.length === 1 && all[0]!.ready;
  }, 'coin-flip at exactly one ready pod', { timeoutMs: 120_000, intervalMs: 200 });
  const [pod] = await b.podsOf('coin-flip');
  const headers = { 'content-type': 'application/json' };
  const viaGateway = { url: `http://127.0.0.1:${b.pp.gateway}/compute`, headers: { ...headers, host: 'coin-flip.pingpong.127.0.0.1.sslip.io' }, body: BODY, connections };
  const toPod = { url: `http://127.0.0.1:${pod!.port}/compute`, headers, body: BODY, connections };
  // Unrecorded: JIT warm on both paths.
  await loadTest({ ...viaGateway, seconds: 2 });
  await loadTest({ ...toPod, seconds: 2 });
  const gateway: LoadResult[] = [];
  const direct: LoadResult[] = [];
  for (let i = 0; i < RUNS; i++) {
    gateway.push(await loadTest({ ...viaGateway, seconds: SECONDS }));
    direct.push(await loadTest({ ...toPod, seconds: SECONDS }));
    progress(`/compute run ${i + 1}/${RUNS}: gateway ${num(gateway.at(-1)!.reqPerSec)} req/s, direct ${num(direct.at(-1)!.reqPerSec)} req/s`);
  }
  const pods = (await b.status()).pods.filter((p) => p.service === 'coin-flip').map((p) => p.name);
  const rps = (rs: LoadResult[]) => sampleOf(rs.map((r) => r.reqPerSec), 'req/s');
  const p50 = (rs: LoadResult[]) => sampleOf(rs.map((r) => r.p50ms), 'ms');
  const p99 = (rs: LoadResult[]) => sampleOf(rs.map((r) => r.p99ms), 'ms');
  const errors = [...gateway, ...direct].reduce((n, r) => n + r.errors, 0);
  const note = `autocannon, ${connections} connections (coin-flip's containerConcurrency), ${SECONDS} s a run after an unrecorded warm-up, {"heads":20}; coin-flip pinned to one pod (min-scale = max-scale = 1) and both paths hit it (${pod!.name}; pods after the runs: ${pods.join(', ')}). ${errors} non-2xx or errors in all.`;
  const rpsRatio = ratio(rps(gateway), rps(direct));
  const p50Ratio = ratio(p50(gateway), p50(direct));
  return [
    { figure: '/compute through the gateway: req/s', measured: show(rps(gateway)), reference: `direct: ${show(rps(direct))}`, versus: times(rpsRatio), goal: '≥ 0.7× direct', met: rpsRatio >= 0.7, note },
    { figure: '/compute through the gateway: p50', measured: show(p50(gateway)), reference: `direct: ${show(p50(direct))}`, versus: times(p50Ratio), goal: '≤ 1.3× direct', met: p50Ratio <= 1.3 },
    { figure: '/compute through the gateway: p99', measured: show(p99(gateway)), reference: `direct: ${show(p99(direct))}`, versus: times(ratio(p99(gateway), p99(direct))), goal: '—' },
  ];
}
