import autocannon from 'autocannon';

export interface LoadResult { reqPerSec: number; p50ms: number; p99ms: number; errors: number; ok2xx: number; total: number }

/** Drives one endpoint with autocannon for a fixed time: requests/s, latency p50/p99, and what went wrong. */
export async function loadTest(opts: { url: string; method?: 'POST' | 'GET'; headers?: Record<string, string>;
  body?: string; connections?: number; seconds?: number }): Promise<LoadResult> {
  const result = await autocannon({
    url: opts.url, method: opts.method ?? 'POST', headers: opts.headers, body: opts.body,
    connections: opts.connections ?? 8, duration: opts.seconds ?? 5,
  });
  return {
    reqPerSec: result.requests.average,
    p50ms: result.latency.p50,
    p99ms: result.latency.p99,
    errors: result.non2xx + result.errors + result.timeouts,
    ok2xx: result['2xx'],
    total: result.requests.total,
  };
}
