/**
 * The coin-flip sampler against the obvious loop (flip one coin at a time until N heads in a
 * row), both on the same seeded source, at N = 10, 15, 20, 25: the loop's cost doubles with each
 * N (about 2^(N+1) flips a draw), the sampler's grows with N alone.
 */
import { seededRandom, type Random } from '../functions/coin-flip/random.js';
import { sampleTotalFlips } from '../functions/coin-flip/sampler.js';
import { num, ratio, repeat, show, times, type Benchmark, type Row } from './measure.js';

/** The reference: one flip at a time. */
function loopFlips(heads: number, random: Random): number {
  let flips = 0;
  for (let run = 0; run < heads; flips++) run = random() < 0.5 ? run + 1 : 0;
  return flips;
}

/** Draws per second of `draw`, over at least `budgetMs` (and at least one draw). */
function drawsPerSecond(draw: () => number, budgetMs: number): number {
  let sink = 0;
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    sink += draw();
    n++;
    if ((n & 63) === 0 || n < 64) elapsed = performance.now() - start;
  } while (elapsed < budgetMs);
  elapsed = performance.now() - start;
  // The sum is checked so the draws cannot be optimised away.
  if (!Number.isFinite(sink)) throw new Error('a draw was not a finite number');
  return (n / elapsed) * 1000;
}

export const coinFlipBenchmarks: Benchmark[] = [{
  name: 'coin-flip sampler vs a one-flip-at-a-time loop',
  async run(progress) {
    const rows: Row[] = [];
    for (const heads of [10, 15, 20, 25]) {
      const random = seededRandom(`bench-${heads}`);
      const sampler = await repeat(3, 'draws/s', () => drawsPerSecond(() => sampleTotalFlips(heads, random), 300), 1);
      // The loop at N ≥ 20 takes seconds a draw: no warm-up run there, and one run at N = 25.
      const loop = await repeat(heads >= 25 ? 1 : 3, 'draws/s', () => drawsPerSecond(() => loopFlips(heads, random), 300), heads >= 20 ? 0 : 1);
      const r = ratio(sampler, loop);
      progress(`coin-flip N=${heads}: sampler ${num(sampler.median)} draws/s, loop ${num(loop.median)} draws/s (${times(r)})`);
      rows.push({
        figure: `coin-flip sampler, N = ${heads}`, measured: show(sampler), reference: `loop: ${show(loop)}`, versus: times(r),
        goal: heads === 20 ? '≥ 1,000× at N = 20' : '—', ...(heads === 20 ? { met: r >= 1000 } : {}),
      });
    }
    return rows;
  },
}];
