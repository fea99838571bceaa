import type { COIN_FLIPPED, DataOf } from '../../lib/contract/index.js';
import { sampleTotalFlips } from './sampler.js';
import type { Random } from './random.js';

/** The answer, in the wire format of both `POST /compute` and `dev.pingpong.coin.flipped`. */
export type CoinFlipResult = DataOf<typeof COIN_FLIPPED>;

/** How many flips it took to see `heads` heads in a row, drawn with `random`. */
export function computeFlips(heads: number, random: Random): CoinFlipResult {
  return { heads_required: heads, total_flips: sampleTotalFlips(heads, random) };
}
