import autocannon from 'autocannon';
import { quantile } from './measure.js';

export interface LoadResult { reqPerSec: number; p50ms: number; p99ms: number; errors: number; ok2xx: number; total: number }

/**
 * Drives one endpoint with autocannon for a fixed time: requests/s, latency p50/p99, and what went
 * wrong. The latencies are each 2xx answer's own, in fractions of a millisecond, from autocannon's
 * `response` event: its histogram keeps whole milliseconds, too coarse for a 1–3 ms round trip.
 */
export async function loadTest(opts: { url: string; method?: 'POST' | 'GET'; headers?: Record<string, string>;
  body?: string; connections?: number; seconds?: number }): Promise<LoadResult> {
  const times: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const run = autocannon({
      url: opts.url, method: opts.method ?? 'POST', headers: opts.headers, body: opts.body,
      connections: opts.connections ?? 8, duration: opts.seconds ?? 5,
    }, (err, r) => (err ? reject(err) : resolve(r)));
    run.on('response', (_client, status, _bytes, ms) => { if (status >= 200 && status < 300) times.push(ms); });
  });
  return {
    reqPerSec: result.requests.average,
    p50ms: quantile(times, 0.5),
    p99ms: quantile(times, 0.99),
    errors: result.non2xx + result.errors + result.timeouts,
    ok2xx: result['2xx'],
    total: result.requests.total,
  };
}
