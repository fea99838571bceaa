import type { Ball, BallInFlight } from '../../lib/contract/index.js';

/**
 * The flight rule: the history holds exactly one flight per ball. A ball event is a step of a
 * flight; it is recorded only if it extends the recorded flight by one hop, or closes it, and
 * nothing is recorded after an ending. Pure: no SQL, no clock; the store applies it atomically.
 *
 * Why ids alone cannot hold this: a redelivered or re-requested ball takes another course
 * through the workers while its events reuse the same ids (`<ballid>.<hop>`), so two flights of
 * one ball can each send a valid-looking `<ballid>.3`. Only their paths tell them apart.
 */

/** One ball event, as a step of a flight (data already validated against its schema). */
export type Step =
  | { kind: 'thrown'; flight: BallInFlight }
  | { kind: 'landed'; flight: BallInFlight }
  | { kind: 'dropped'; flight: BallInFlight; reason: 'max-hops' | 'target-gone' };

/** What the history holds for one ball: the ball as served and the tip of its one flight. */
export interface RecordedFlight {
  ball: Ball;
  status: 'served' | 'landed' | 'dropped';
  /** The last hop recorded; the hop it ended at once it ended. */
  hop: number;
  /** That hop's path (the pods that threw it), or the final path once it ended. */
  path: readonly string[];
}

export type Verdict =
  /** Hop 0 of a ball the history does not hold yet. */
  | { kind: 'starts' }
  /** Hop n+1, thrown by the pod that caught the recorded hop n. */
  | { kind: 'extends' }
  /** The landing or drop of the recorded last hop. */
  | { kind: 'closes' }
  /** Consistent so far, but a hop before it is not recorded yet: it may extend the flight later. */
  | { kind: 'early'; reason: string }
  /** Never part of the recorded flight (another flight of the ball, or after its ending). */
  | { kind: 'contradicts'; reason: string };

/**
 * The instant a timestamp names, in whole microseconds (PostgreSQL's precision, rounded as it
 * rounds), so `2026-01-01T00:00:00Z` and `2026-01-01T01:00:00.000000+01:00` are the same.
 */
export function instantMicros(iso: string): number {
  const fraction = /\.(\d+)/.exec(iso)?.[1] ?? '';
  const seconds = Date.parse(iso.replace(/\.\d+/, '')) / 1000;
  return seconds * 1e6 + Math.round(Number(fraction.padEnd(9, '0').slice(0, 9)) / 1000);
}

/** Where two servings of a ball id differ, or undefined when they are the same ball. */
export function ballDifference(recorded: Ball, seen: Ball): string | undefined {
  if (recorded.target !== seen.target) return `target ${seen.target}, recorded ${recorded.target}`;
  if (recorded.maxHops !== seen.maxHops) return `maxHops ${seen.maxHops}, recorded ${recorded.maxHops}`;
  if (instantMicros(recorded.servedAt) !== instantMicros(seen.servedAt)) return `servedAt ${seen.servedAt}, recorded ${recorded.servedAt}`;
  return undefined;
}

/**
 * Whether a step could be part of any flight at all, by the worker's rules (functions/forward):
 * hop n is thrown with the n pods that threw it so far, none of them its target (the target lands
 * a ball); a worker that catches hop n ends it with itself added, landing it if it is the target,
 * else dropping it once n reaches maxHops; hop n+1 exists only while n < maxHops.
 */
export function malformed(step: Step): string | undefined {
  const { ball, path, hop } = step.flight;
  const length = step.kind === 'thrown' ? hop : hop + 1;
  if (path.length !== length) return `path has ${path.length} pods, hop ${hop} ${step.kind === 'thrown' ? 'is thrown with' : 'ends with'} ${length}`;
  if (hop > ball.maxHops) return `hop ${hop} is past maxHops ${ball.maxHops}`;
  const throwers = step.kind === 'thrown' ? path : path.slice(0, -1);
  const at = throwers.indexOf(ball.target);
  if (at >= 0) return `the target ${ball.target} caught hop ${at} and would have landed it`;
  const last = path.at(-1);
  if (step.kind === 'landed' && last !== ball.target) return `landed by ${last}, not by its target ${ball.target}`;
  if (step.kind === 'dropped' && last === ball.target) return `dropped by its target ${ball.target}, which lands it`;
  if (step.kind === 'dropped' && step.reason === 'max-hops' && hop !== ball.maxHops) return `dropped for max-hops at hop ${hop}, maxHops is ${ball.maxHops}`;
  return undefined;
}

const samePath = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((p, i) => p === b[i]);

/** Does this step start, extend or close the recorded flight, come early, or contradict it? */
export function judge(recorded: RecordedFlight | undefined, step: Step): Verdict {
  const { ball, path, hop } = step.flight;
  const bad = malformed(step);
  if (bad) return { kind: 'contradicts', reason: bad };
  if (!recorded) {
    if (step.kind === 'thrown' && hop === 0) return { kind: 'starts' };
    return { kind: 'early', reason: `hop 0 of ball ${ball.id} is not recorded yet` };
  }
  const other = ballDifference(recorded.ball, ball);
  if (other) return { kind: 'contradicts', reason: `another serving of ball ${ball.id}: ${other}` };
  if (recorded.status !== 'served') return { kind: 'contradicts', reason: `ball ${ball.id} already ${recorded.status} at hop ${recorded.hop}` };
  // The recorded flight is at hop k, thrown with path P (|P| = k): every later step of it starts with P.
  const k = recorded.hop;
  const last = step.kind === 'thrown' ? hop - 1 : hop; // the hop this step follows
  if (last < k) return { kind: 'contradicts', reason: `hop ${hop} ${step.kind} after hop ${k} is recorded` };
  if (!samePath(path.slice(0, k), recorded.path)) {
    return { kind: 'contradicts', reason: `path ${path.join('>') || '(empty)'} leaves the recorded path ${recorded.path.join('>') || '(empty)'}` };
  }
  if (last > k) return { kind: 'early', reason: `hop ${hop} ${step.kind} before hop ${last} of ball ${ball.id} is recorded (at hop ${k})` };
  return { kind: step.kind === 'thrown' ? 'extends' : 'closes' };
}

/**
 * The tip the history must hold for a step to apply (the store's conditional write checks it):
 * nothing for hop 0; hop n-1 with the path minus its thrower for a throw; the same hop with the
 * path minus the catcher for an ending.
 */
export function tipBefore(step: Step): { hop: number; path: string[] } | undefined {
  const { hop, path } = step.flight;
  if (step.kind === 'thrown') return hop === 0 ? undefined : { hop: hop - 1, path: path.slice(0, -1) };
  return { hop, path: path.slice(0, -1) };
}
