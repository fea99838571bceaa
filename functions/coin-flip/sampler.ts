import { binomial } from './binomial.js';
import { geometricFailures } from './geometric.js';
import type { Random } from './random.js';

/**
 * The number of flips of a fair coin, one at a time, until `heads` heads in a row — drawn from
 * its exact distribution without flipping: expected 2^(N+1) − 2 flips is 4.5·10^15 for N = 50.
 *
 * Cut the flips at each tail: they are failed attempts (k heads then a tail, 0 ≤ k < N) and a
 * final N heads. Attempts are independent, so
 * - the number of failed attempts F ~ Geometric(2^-N) (failures before the first success);
 * - of the A_j failed attempts that reached j heads, each flips once more there, and goes on to
 *   j+1 heads with probability P(k ≥ j+1 | k ≥ j, failed) = (2^(N−j−1) − 1)/(2^(N−j) − 1),
 *   independently: A_0 = F, A_{j+1} ~ Binomial(A_j, that probability), A_N = 0.
 * Total = N + Σ_j A_j — the same as summing F truncated-geometric attempt lengths (the A_j give
 * the multinomial counts of lengths), with N exact binomial draws instead of 2^N loop turns.
 *
 * Integers are exact while the total stays below 2^53. The total is nearly exponential with mean
 * 2^(N+1), so it passes 2^53 with probability ≈ exp(−2^(52−N)): e^-32 for N = 47, e^-16 for 48,
 * e^-8 for 49 and e^-4 ≈ 2% for N = 50. Such a draw is still an integer-valued double near the
 * exact one (rounded), but not a safe integer, which the contract's CoinFlipped schema refuses.
 */
export function sampleTotalFlips(heads: number, random: Random): number {
  if (!Number.isInteger(heads) || heads < 1) throw new RangeError(`heads must be a positive integer, got ${heads}`);
  let reached = geometricFailures(2 ** -heads, random);
  let total = heads;
  for (let j = 0; j < heads && reached > 0; j++) {
    total += reached;
    const left = heads - j;
    reached = binomial(reached, (2 ** (left - 1) - 1) / (2 ** left - 1), random);
  }
  return total;
}
