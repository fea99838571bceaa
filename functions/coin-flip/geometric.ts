import type { Random } from './random.js';

/** Below this success probability one inverted uniform no longer resolves single trials. */
const DIRECT_MIN_P = 2 ** -21;

/**
 * The number of failures before the first success in Bernoulli(p) trials:
 * P(F = f) = (1 − p)^f · p, for p in (0, 1].
 *
 * Inversion: F = ⌊ln(1 − U) / ln(1 − p)⌋, with `log1p` on both sides so that tiny p (2^-50) is
 * not rounded away. But one uniform has a resolution of 2^-53 (2^-52 from V8's Math.random), so F
 * moves in steps of ~2^-53/((1 − U)·p) trials: for p = 2^-50 an eighth of a trial near 0 but
 * several trials past three means, where some counts could never be drawn. So for p < 2^-21,
 * F is split as F = m·H + L with m a power of two: for a geometric F, the block index
 * H = ⌊F/m⌋ ~ Geometric(1 − (1−p)^m) and the offset L = F mod m ~ truncated geometric on [0, m)
 * are independent (the pmf factorises), and each is inverted with a resolution far below one trial.
 */
export function geometricFailures(p: number, random: Random): number {
  if (!(p > 0 && p <= 1)) throw new RangeError(`geometric success probability must be in (0, 1], got ${p}`);
  if (p === 1) return 0;
  const logQ = Math.log1p(-p);
  if (p >= DIRECT_MIN_P) return Math.floor(Math.log1p(-random()) / logQ);
  // m·p ≈ 2^-20, so the block probability is back in the direct range (≥ 2^-20.5).
  const m = 2 ** Math.round(Math.log2(2 ** -20 / p));
  const pBlock = -Math.expm1(m * logQ);
  const blocks = geometricFailures(pBlock, random);
  // P(L ≥ r) = (q^r − q^m)/(1 − q^m) inverts to L = ⌊ln(1 − U·pBlock)/ln q⌋; the clamp only
  // guards rounding at U → 1.
  const offset = Math.min(m - 1, Math.floor(Math.log1p(-random() * pBlock) / logQ));
  return blocks * m + offset;
}
