import test from 'ava';
import { sampleTotalFlips } from '../../functions/coin-flip/sampler.js';
import { binomial, logPmfRatio } from '../../functions/coin-flip/binomial.js';
import { geometricFailures } from '../../functions/coin-flip/geometric.js';
import { seededRandom, type Random } from '../../functions/coin-flip/random.js';

// Every test draws from its own seeded stream, so a run is reproducible and a failure is real.
const DRAWS = 20_000;
// Chi-square tests reject at p < 0.001: a correct sampler passes, a wrong one fails by far
// (off-by-one samplers give statistics in the thousands at 20k draws).
const CHI_SQUARE_Z = 3.09;

const draw = (n: number, f: () => number): number[] => Array.from({ length: n }, f);

/** Wilson–Hilferty: a chi-square statistic with `df` degrees of freedom as a standard normal z. */
function chiSquareZ(stat: number, df: number): number {
  const v = 2 / (9 * df);
  return (Math.cbrt(stat / df) - (1 - v)) / Math.sqrt(v);
}

interface ChiSquare { stat: number; df: number; z: number }

/** One-sample test: counts of `sample` in the bins (−∞, b0], (b0, b1], …, (b_last, ∞) against the CDF. */
function chiSquareAgainstCdf(sample: number[], boundaries: number[], cdf: (x: number) => number): ChiSquare {
  const edges = [...new Set(boundaries)].sort((a, b) => a - b);
  const observed = new Array<number>(edges.length + 1).fill(0);
  for (const x of sample) {
    let i = 0;
    while (i < edges.length && x > edges[i]!) i++;
    observed[i]!++;
  }
  let stat = 0;
  let below = 0;
  for (let i = 0; i <= edges.length; i++) {
    const upTo = i < edges.length ? cdf(edges[i]!) : 1;
    const expected = sample.length * (upTo - below);
    below = upTo;
    stat += (observed[i]! - expected) ** 2 / expected;
  }
  const df = edges.length;
  return { stat, df, z: chiSquareZ(stat, df) };
}

/** Two-sample test: bins of consecutive values holding ≥ 200 pooled draws, then a 2×B table. */
function chiSquareTwoSample(xs: number[], ys: number[]): ChiSquare {
  const pooled = new Map<number, [number, number]>();
  for (const x of xs) { const c = pooled.get(x) ?? [0, 0]; c[0]++; pooled.set(x, c); }
  for (const y of ys) { const c = pooled.get(y) ?? [0, 0]; c[1]++; pooled.set(y, c); }
  const bins: Array<[number, number]> = [];
  let open: [number, number] = [0, 0];
  for (const v of [...pooled.keys()].sort((a, b) => a - b)) {
    const c = pooled.get(v)!;
    open[0] += c[0];
    open[1] += c[1];
    if (open[0] + open[1] >= 200) { bins.push(open); open = [0, 0]; }
  }
  if (open[0] + open[1] > 0) {
    const last = bins[bins.length - 1]!;
    last[0] += open[0];
    last[1] += open[1];
  }
  const total = xs.length + ys.length;
  let stat = 0;
  for (const [x, y] of bins) {
    const ex = (xs.length * (x + y)) / total;
    const ey = (ys.length * (x + y)) / total;
    stat += (x - ex) ** 2 / ex + (y - ey) ** 2 / ey;
  }
  const df = bins.length - 1;
  return { stat, df, z: chiSquareZ(stat, df) };
}

function meanAndSe(sample: number[], variance: number): { mean: number; se: number } {
  return { mean: sample.reduce((a, b) => a + b, 0) / sample.length, se: Math.sqrt(variance / sample.length) };
}

/** Exact mean and variance of the number of fair flips until N heads in a row. */
const flipsMean = (n: number) => 2 ** (n + 1) - 2;
const flipsVariance = (n: number) => 2 ** (2 * n + 2) - (2 * n + 1) * 2 ** (n + 1) - 2;

/** The reference: flip one coin at a time, exactly as the question is posed. */
function flipOneAtATime(heads: number, random: Random): number {
  let run = 0;
  let flips = 0;
  while (run < heads) {
    flips++;
    run = random() < 0.5 ? run + 1 : 0;
  }
  return flips;
}

/**
 * Quantile boundaries of the exact number-of-flips distribution, by its recurrence:
 * P(T = t) = 2^-(N+1)·P(T > t−N−1) for t > N (a tail, then N heads, and no earlier run), P(T = N) = 2^-N.
 */
function flipsQuantiles(heads: number, bins: number): { boundaries: number[]; cdf: (t: number) => number } {
  const ring = new Float64Array(heads + 1); // cdf(t − N − 1 … t − 1), indexed t mod (N+1)
  const atBoundary = new Map<number, number>();
  const boundaries: number[] = [];
  let cdf = 2 ** -heads;
  ring[heads % (heads + 1)] = cdf;
  for (let t = heads, level = 1; level < bins; ) {
    if (cdf >= level / bins) {
      boundaries.push(t);
      atBoundary.set(t, cdf);
      level++;
      continue;
    }
    t++;
    const older = t - heads - 1 >= heads ? ring[(t - heads - 1) % (heads + 1)]! : 0;
    cdf += 2 ** -(heads + 1) * (1 - older);
    ring[t % (heads + 1)] = cdf;
  }
  return { boundaries, cdf: (t) => atBoundary.get(t)! };
}

test('the mean number of flips is 2^(N+1) − 2 for N = 1…8, within 4 standard errors', (t) => {
  for (let n = 1; n <= 8; n++) {
    const random = seededRandom(`mean-${n}`);
    const { mean, se } = meanAndSe(draw(DRAWS, () => sampleTotalFlips(n, random)), flipsVariance(n));
    t.true(Math.abs(mean - flipsMean(n)) < 4 * se, `N=${n}: mean ${mean}, want ${flipsMean(n)} ± ${4 * se}`);
  }
});

test('draws match flipping one coin at a time, N = 1…8 (two-sample chi-square)', (t) => {
  for (let n = 1; n <= 8; n++) {
    const sampler = seededRandom(`sampler-${n}`);
    const coin = seededRandom(`coin-${n}`);
    const { stat, df, z } = chiSquareTwoSample(
      draw(DRAWS, () => sampleTotalFlips(n, sampler)),
      draw(DRAWS, () => flipOneAtATime(n, coin)),
    );
    t.log(`N=${n}: z ${z.toFixed(2)}`);
    t.true(z < CHI_SQUARE_Z, `N=${n}: chi-square ${stat.toFixed(1)} on ${df} df (z ${z.toFixed(2)})`);
  }
});

test('draws match the exact distribution for N = 3, 10 and 20 (chi-square on 20 quantile bins)', (t) => {
  for (const n of [3, 10, 20]) {
    const random = seededRandom(`exact-${n}`);
    const { boundaries, cdf } = flipsQuantiles(n, 20);
    const { stat, df, z } = chiSquareAgainstCdf(draw(DRAWS, () => sampleTotalFlips(n, random)), boundaries, cdf);
    t.log(`N=${n}: z ${z.toFixed(2)}`);
    t.true(z < CHI_SQUARE_Z, `N=${n}: chi-square ${stat.toFixed(1)} on ${df} df (z ${z.toFixed(2)})`);
  }
});

test('the mean stays 2^(N+1) − 2 for large N (12, 30, 40, 50), and every draw is an integer ≥ N', (t) => {
  for (const n of [12, 30, 40, 50]) {
    const random = seededRandom(`large-${n}`);
    const sample = draw(DRAWS, () => sampleTotalFlips(n, random));
    t.true(sample.every((x) => Number.isInteger(x) && x >= n), `N=${n}: a draw is not an integer ≥ N`);
    const { mean, se } = meanAndSe(sample, flipsVariance(n));
    t.true(Math.abs(mean / flipsMean(n) - 1) < (4 * se) / flipsMean(n), `N=${n}: mean ${mean}, want ${flipsMean(n)} ± ${4 * se}`);
  }
});

test('N = 50 answers with a finite positive integer ≥ 50', (t) => {
  const total = sampleTotalFlips(50, Math.random);
  t.true(Number.isFinite(total));
  t.true(Number.isInteger(total));
  t.true(total >= 50);
});

test('N = 1 is a geometric count: a single heads can end the run at flip 1', (t) => {
  const random = seededRandom('one');
  const sample = draw(DRAWS, () => sampleTotalFlips(1, random));
  t.is(Math.min(...sample), 1);
  const ones = sample.filter((x) => x === 1).length / DRAWS;
  t.true(Math.abs(ones - 0.5) < 4 * Math.sqrt(0.25 / DRAWS), `P(T=1) ≈ ${ones}`);
});

for (const heads of [0, -1, 1.5, Number.NaN]) {
  test(`the sampler refuses heads = ${heads}`, (t) => {
    t.throws(() => sampleTotalFlips(heads, Math.random), { instanceOf: RangeError });
  });
}

// Geometric failures before a success: direct inversion (p ≥ 2^-21) and the block split (below).
for (const p of [0.5, 2 ** -8, 2 ** -25, 2 ** -50]) {
  test(`geometric failures with p = 2^${Math.log2(p)} match the exact distribution`, (t) => {
    const random = seededRandom(`geometric-${p}`);
    const logQ = Math.log1p(-p);
    const cdf = (f: number) => -Math.expm1((f + 1) * logQ);
    const boundaries = Array.from({ length: 19 }, (_, i) => Math.max(0, Math.ceil(Math.log1p(-(i + 1) / 20) / logQ) - 1));
    const sample = draw(DRAWS, () => geometricFailures(p, random));
    t.true(sample.every((f) => Number.isInteger(f) && f >= 0));
    const { stat, df, z } = chiSquareAgainstCdf(sample, boundaries, cdf);
    t.log(`z ${z.toFixed(2)}`);
    t.true(z < CHI_SQUARE_Z, `chi-square ${stat.toFixed(1)} on ${df} df (z ${z.toFixed(2)})`);
    const { mean, se } = meanAndSe(sample, (1 - p) / p ** 2);
    t.true(Math.abs(mean - (1 - p) / p) < 4 * se, `mean ${mean}, want ${(1 - p) / p}`);
  });
}

// For tiny p the split draws a block and an offset inside it; within 2^(log2(1/p) − 18) trials the
// exact distribution is flat to 1 part in 2^18, so low bits and middle bits must be uniform. A
// wrong offset (missing, halved, coarse) leaves bins empty or lopsided.
for (const p of [2 ** -30, 2 ** -50]) {
  test(`geometric failures with p = 2^${Math.log2(p)} are uniform in their low and middle bits`, (t) => {
    const random = seededRandom(`geometric-bits-${p}`);
    const span = 2 ** (-Math.log2(p) - 18);
    const low = new Array<number>(16).fill(0);
    const middle = new Array<number>(16).fill(0);
    for (let i = 0; i < DRAWS; i++) {
      const f = geometricFailures(p, random);
      low[f % 16]!++;
      middle[Math.floor((f % span) / (span / 16))]!++;
    }
    for (const [name, counts] of [['low', low], ['middle', middle]] as const) {
      const expected = DRAWS / 16;
      const stat = counts.reduce((a, c) => a + (c - expected) ** 2 / expected, 0);
      const z = chiSquareZ(stat, 15);
      t.log(`${name} bits: z ${z.toFixed(2)}`);
      t.true(z < CHI_SQUARE_Z, `${name} bits: chi-square ${stat.toFixed(1)} on 15 df (z ${z.toFixed(2)})`);
    }
  });
}

/** ln k! for k ≤ 1000, by summing logs. */
const LOG_FACTORIAL = (() => {
  const out = [0];
  for (let k = 1; k <= 1000; k++) out.push(out[k - 1]! + Math.log(k));
  return out;
})();
const logPmf = (n: number, p: number, k: number) =>
  LOG_FACTORIAL[n]! - LOG_FACTORIAL[k]! - LOG_FACTORIAL[n - k]! + k * Math.log(p) + (n - k) * Math.log1p(-p);

// Small n·p takes the inversion path, n·p ≥ 10 the rejection path (BTRS), p > ½ the mirror.
for (const [n, p] of [[5, 0.3], [40, 0.2], [100, 0.5], [1000, 0.37], [30, 0.9], [200, 0.96]] as const) {
  test(`binomial(${n}, ${p}) matches the exact pmf`, (t) => {
    const random = seededRandom(`binomial-${n}-${p}`);
    const cdfTable: number[] = [];
    for (let k = 0, acc = 0; k <= n; k++) cdfTable.push((acc += Math.exp(logPmf(n, p, k))));
    const cdf = (k: number) => cdfTable[k]!;
    const boundaries = Array.from({ length: 19 }, (_, i) => cdfTable.findIndex((c) => c >= (i + 1) / 20));
    const sample = draw(DRAWS, () => binomial(n, p, random));
    t.true(sample.every((k) => Number.isInteger(k) && k >= 0 && k <= n));
    const { stat, df, z } = chiSquareAgainstCdf(sample, boundaries.filter((b) => b < n), cdf);
    t.log(`z ${z.toFixed(2)}`);
    t.true(z < CHI_SQUARE_Z, `chi-square ${stat.toFixed(1)} on ${df} df (z ${z.toFixed(2)})`);
  });
}

/** Standard normal CDF (Abramowitz–Stegun 26.2.17, error < 7.5e-8). */
function normalCdf(z: number): number {
  const x = Math.abs(z);
  const k = 1 / (1 + 0.2316419 * x);
  const tail = (Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI)) *
    k * (0.31938153 + k * (-0.356563782 + k * (1.781477937 + k * (-1.821255978 + k * 1.330274429))));
  return z >= 0 ? 1 - tail : tail;
}

// At n = 2^50 the binomial is normal to within a skewness of ~1e-8, far below what 20k draws see.
for (const [n, p] of [[2 ** 50, 0.5], [1e15 + 1, (2 ** 40 - 1) / (2 ** 41 - 1)], [2 ** 40, 1 / 3]] as const) {
  test(`binomial(${n}, ${p.toFixed(6)}) is normal with mean np and variance npq`, (t) => {
    const random = seededRandom(`binomial-large-${n}-${p}`);
    const sd = Math.sqrt(n * p * (1 - p));
    const sample = draw(DRAWS, () => binomial(n, p, random));
    t.true(sample.every((k) => Number.isInteger(k) && k >= 0 && k <= n));
    const z = sample.map((k) => (k - n * p) / sd);
    const boundaries = Array.from({ length: 21 }, (_, i) => -2.5 + i * 0.25);
    const chi = chiSquareAgainstCdf(z, boundaries, normalCdf);
    t.log(`z ${chi.z.toFixed(2)}`);
    t.true(chi.z < CHI_SQUARE_Z, `chi-square ${chi.stat.toFixed(1)} on ${chi.df} df (z ${chi.z.toFixed(2)})`);
    const { mean, se } = meanAndSe(z, 1);
    t.true(Math.abs(mean) < 4 * se, `standardised mean ${mean}`);
    const variance = z.reduce((a, x) => a + (x - mean) ** 2, 0) / (DRAWS - 1);
    t.true(Math.abs(variance - 1) < 4 * Math.sqrt(2 / DRAWS), `standardised variance ${variance}`);
  });
}

// Near n = 2^50 the textbook BTRS form, (m+½)·ln((m+1)/(r(n−m+1))) + …, multiplies rounding in
// logs of ratios near 1 by ~10^15. References with exact integer arithmetic: for p = ½,
// f(i)/f(i−1) = (n−i+1)/i; for p = ⅓ and 3 | n+1, f(i)/f(i−1) = (n−i+1)/(2i).
for (const [n, p, denominator] of [[2 ** 50, 0.5, 1], [2 ** 50 + 2, 1 / 3, 2]] as const) {
  test(`the log pmf ratio is accurate at n = ${n}, p = ${p.toFixed(4)}`, (t) => {
    const m = Math.floor((n + 1) * p);
    const step = (i: number) => Math.log1p((n + 1 - (denominator + 1) * i) / (denominator * i));
    for (const d of [1, -1, 17, -250, 3000, -30_000]) {
      let want = 0;
      if (d > 0) for (let i = m + 1; i <= m + d; i++) want += step(i);
      else for (let i = m + d + 1; i <= m; i++) want -= step(i);
      const got = logPmfRatio(n, p, m, m + d);
      t.true(Math.abs(got - want) < 1e-9 * Math.max(1, Math.abs(want)), `d=${d}: got ${got}, want ${want}`);
    }
  });
}

test('the log pmf ratio matches log factorials for moderate n', (t) => {
  for (const [n, p, m, k] of [[1000, 0.37, 370, 400], [1000, 0.37, 370, 300], [100, 0.5, 50, 0], [100, 0.2, 20, 100], [40, 0.3, 12, 12]] as const) {
    const want = logPmf(n, p, k) - logPmf(n, p, m);
    const got = logPmfRatio(n, p, m, k);
    t.true(Math.abs(got - want) < 1e-9 * Math.max(1, Math.abs(want)), `n=${n} p=${p} m=${m} k=${k}: got ${got}, want ${want}`);
  }
});

test('a seeded source is reproducible, in [0, 1), and keys give different streams', (t) => {
  const a = seededRandom('k');
  const b = seededRandom('k');
  const c = seededRandom('k2');
  const xs = draw(1000, a);
  t.deepEqual(draw(1000, b), xs);
  t.notDeepEqual(draw(1000, c), xs);
  t.true(xs.every((x) => x >= 0 && x < 1));
});
