import { sampleTotalFlips } from '../functions/coin-flip/sampler.js';
import { seededRandom } from '../functions/coin-flip/random.js';

/** One benchmark's result, as the bench runner reports it. */
export interface BenchResult {
  name: string;
  opsPerSec: number;
  /** 99th percentile of one call, in microseconds. */
  p99us: number;
}

/**
 * The exact coin-flip sampler at its worst case, N = MAX_HEADS = 50 (~2^50 failed attempts per
 * draw, ~50 binomial draws): throughput over the whole run, and the p99 latency of single calls.
 * A seeded source keeps runs comparable; the result is summed so the work cannot be optimised away.
 */
export async function benchCoinFlip({ heads = 50, iterations = 50_000, warmup = 5_000 } = {}): Promise<BenchResult> {
  const random = seededRandom('bench-coin-flip');
  let sink = 0;
  for (let i = 0; i < warmup; i++) sink += sampleTotalFlips(heads, random);
  const samples = new Float64Array(iterations);
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    sink += sampleTotalFlips(heads, random);
    samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  const elapsedSec = Number(process.hrtime.bigint() - started) / 1e9;
  if (!Number.isFinite(sink)) throw new Error('coin-flip sampler returned a non-finite total');
  samples.sort();
  return {
    name: `coin-flip sampler (N=${heads})`,
    opsPerSec: Math.round(iterations / elapsedSec),
    p99us: Number(samples[Math.min(iterations - 1, Math.ceil(iterations * 0.99) - 1)]!.toFixed(2)),
  };
}
