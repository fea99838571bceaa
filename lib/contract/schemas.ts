import { z } from 'zod';
import * as T from './types.js';

/** Largest `heads` coin-flip accepts: 2^(N+1) flips stays a safe integer well past this. */
export const MAX_HEADS = 50;

const podName = z.string().min(1).max(253);

export const Ball = z.strictObject({
  id: z.string().min(1).max(128),
  target: podName,
  // Each hop is a round trip through the Broker, whose TTL (255, Knative's default) would end a
  // longer flight as a dead letter instead of a max-hops drop.
  maxHops: z.int().min(1).max(250),
  servedAt: z.iso.datetime({ offset: true }),
});

export const BallInFlight = z.strictObject({
  ball: Ball,
  path: z.array(podName).max(1000),
  hop: z.int().min(0).max(1000),
});

export const BallDropped = BallInFlight.extend({
  reason: z.enum(['max-hops', 'target-gone']),
});

export const BallRequested = z.strictObject({
  count: z.int().min(1).max(100).optional(),
  target: podName.optional(),
  /** Hops each ball may make before it drops (the table's balls.maxHops when absent): the same bounds as a ball's. */
  maxHops: Ball.shape.maxHops.optional(),
});

export const CoinFlipRequested = z.strictObject({
  heads: z.int().min(1).max(MAX_HEADS),
});

export const CoinFlipped = z.strictObject({
  heads_required: z.int().min(1).max(MAX_HEADS),
  // For N near 50 the count can pass 2^53 (p ≈ 2%); it stays a whole number, rounded to a double.
  total_flips: z.number().min(1).refine(Number.isInteger, 'must be a whole number'),
});

export const WorkersScaled = z.strictObject({
  service: z.string().min(1),
  from: z.int().min(0),
  to: z.int().min(0),
  revision: z.string(),
  reason: z.string().min(1),
});

export const PodInfo = z.strictObject({
  name: podName,
  ip: z.string(),
  port: z.int().min(0).max(65535),
  phase: z.string(),
  revision: z.string(),
});

export const PodsListed = z.strictObject({
  service: z.string().min(1),
  pods: z.array(PodInfo),
  cause: z.string(),
});

export const PeerPonged = z.strictObject({
  from: podName,
  to: podName,
  address: z.string(),
  ms: z.number().min(0),
  ok: z.boolean(),
});

/** PingSource data is whatever the manifest says: any JSON value, text, or nothing. */
export const PingTick = z.unknown();

/** ApiServerSource (Resource mode) carries the whole object. */
export const KubeObject = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.looseObject({ name: z.string(), namespace: z.string().optional() }),
});

/** One schema per event type: the single source of truth for validating and typing data. */
export const schemas = {
  [T.BALL_REQUESTED]: BallRequested,
  [T.BALL_THROWN]: BallInFlight,
  [T.BALL_LANDED]: BallInFlight,
  [T.BALL_DROPPED]: BallDropped,
  [T.COIN_FLIP_REQUESTED]: CoinFlipRequested,
  [T.COIN_FLIPPED]: CoinFlipped,
  [T.WORKERS_SCALED]: WorkersScaled,
  [T.PODS_LISTED]: PodsListed,
  [T.PEER_PONGED]: PeerPonged,
  [T.PING_SOURCE_TICK]: PingTick,
  [T.APISERVER_ADD]: KubeObject,
  [T.APISERVER_UPDATE]: KubeObject,
  [T.APISERVER_DELETE]: KubeObject,
} as const;

export type EventType = keyof typeof schemas;
export type DataOf<K extends EventType> = z.infer<(typeof schemas)[K]>;
export type BallInFlight = z.infer<typeof BallInFlight>;
export type BallDropped = z.infer<typeof BallDropped>;
export type BallRequested = z.infer<typeof BallRequested>;
export type Ball = z.infer<typeof Ball>;
export type PodInfo = z.infer<typeof PodInfo>;

export const eventTypes = Object.keys(schemas) as EventType[];
export const isEventType = (t: string): t is EventType => Object.hasOwn(schemas, t);

/** A problem with one field of an input, as every 400 reports it. */
export interface FieldError {
  field: string;
  message: string;
}

export type Parsed<V> = { ok: true; value: V } | { ok: false; errors: FieldError[] };

/** Path like `ball.maxHops` or `path[2]`, so a 400 names exactly the field at fault. */
function fieldPath(path: readonly PropertyKey[], prefix: string): string {
  let out = prefix;
  for (const p of path) {
    out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  }
  return out || prefix;
}

/** Validates `data` against the schema of `type`; errors name fields as `data.<path>`. */
export function parseData<K extends EventType>(type: K, data: unknown, prefix = 'data'): Parsed<DataOf<K>> {
  const result = schemas[type].safeParse(data);
  if (result.success) return { ok: true, value: result.data as DataOf<K> };
  return {
    ok: false,
    errors: result.error.issues.map((i) => {
      // An unknown key is reported on its own name so the user sees which key to remove.
      const keys = i.code === 'unrecognized_keys' ? i.keys : [undefined];
      return keys.map((k) => ({
        field: fieldPath(k === undefined ? i.path : [...i.path, k], prefix),
        message: i.message,
      }));
    }).flat(),
  };
}
