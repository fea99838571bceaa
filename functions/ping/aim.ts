import { ballIdFor, type BallInFlight, type BallRequested, type FieldError } from '../../lib/contract/index.js';

/** A worker pod that can catch a ball now. */
export interface WorkerPod { name: string; ip: string; port: number }

export type Random = () => number;

export interface AimInput {
  request: BallRequested;
  workers: readonly WorkerPod[];
  /** The event that caused this serve: ball ids derive from it, so a redelivery re-serves the same balls. */
  cause: { source: string; id: string };
  ballsPerTick: number;
  /** Hops a ball may make before it drops, unless the request sets its own. */
  maxHops: number;
  now: Date;
  random: Random;
}

export type Aimed = { ok: true; balls: BallInFlight[] } | { ok: false; retry: boolean; errors: FieldError[] };

/**
 * Aims each new ball at the target a request names, else at a live worker picked at random,
 * with the request's maxHops, else the configured one.
 * No live worker is a state that passes (workers scale up), so it asks for a retry; a named
 * target that is not a live worker never will, so it is a bad request.
 */
export function aimBalls(input: AimInput): Aimed {
  const { request, workers, cause } = input;
  const count = request.count ?? input.ballsPerTick;
  const maxHops = request.maxHops ?? input.maxHops;
  if (request.target !== undefined && !workers.some((w) => w.name === request.target)) {
    return { ok: false, retry: false, errors: [{ field: 'data.target', message: `no live worker named "${request.target}" (live: ${workers.map((w) => w.name).join(', ') || 'none'})` }] };
  }
  if (workers.length === 0) {
    return { ok: false, retry: true, errors: [{ field: 'workers', message: 'no live worker pod to aim at yet' }] };
  }
  const balls: BallInFlight[] = [];
  for (let i = 0; i < count; i++) {
    const target = request.target ?? workers[Math.floor(input.random() * workers.length)]!.name;
    balls.push({
      ball: { id: ballIdFor(cause.source, cause.id, i), target, maxHops, servedAt: input.now.toISOString() },
      path: [],
      hop: 0,
    });
  }
  return { ok: true, balls };
}
