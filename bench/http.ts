import autocannon from 'autocannon';
import type { BenchResult } from './coin-flip.js';

/** Drives one endpoint with autocannon for a fixed time and reports requests/s and p99 latency. */
export async function loadTest(name: string, opts: { url: string; method?: 'POST' | 'GET'; headers?: Record<string, string>;
  body?: string; connections?: number; seconds?: number }): Promise<BenchResult & { errors: number; ok2xx: number }> {
  const result = await autocannon({
    url: opts.url, method: opts.method ?? 'POST', headers: opts.headers, body: opts.body,
    connections: opts.connections ?? 16, duration: opts.seconds ?? 5,
  });
  const wrong = result.non2xx + result.errors + result.timeouts;
  return {
    name,
    opsPerSec: Math.round(result.requests.average),
    p99us: result.latency.p99 * 1000,
    errors: wrong,
    ok2xx: result['2xx'],
  };
}
