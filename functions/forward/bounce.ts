import type { BallInFlight, BallDropped } from '../../lib/contract/index.js';

/** What a worker does with a ball it caught. */
export type Bounce =
  | { kind: 'landed'; ball: BallInFlight }
  | { kind: 'dropped'; ball: BallDropped }
  | { kind: 'thrown'; ball: BallInFlight };

/**
 * The bounce rules: a ball aimed at me lands here; a ball whose target has gone (scaled away or
 * deleted) drops, as nobody is left to catch it; a ball that has already made its maximum number
 * of hops drops; otherwise I add myself to its path and throw it again, still aimed at its target
 * — the Broker hands it to a replica Knative picks, which is the random pass. `targetPresent` is
 * undefined while I do not know the pods yet: then the ball plays on.
 */
export function bounce(b: BallInFlight, self: string, targetPresent?: boolean): Bounce {
  const path = [...b.path, self];
  if (b.ball.target === self) return { kind: 'landed', ball: { ...b, path } };
  if (targetPresent === false) return { kind: 'dropped', ball: { ...b, path, reason: 'target-gone' } };
  if (b.hop >= b.ball.maxHops) return { kind: 'dropped', ball: { ...b, path, reason: 'max-hops' } };
  return { kind: 'thrown', ball: { ...b, path, hop: b.hop + 1 } };
}
