import { CloudEvent } from 'cloudevents';
import * as T from './types.js';
import type { BallInFlight, BallDropped, DataOf, EventType } from './schemas.js';
import { hopEventId, derivedId } from './ids.js';

/** An outgoing event of the contract, always JSON data. */
export type PingPongEvent<K extends EventType = EventType> = CloudEvent<DataOf<K>>;

function make<K extends EventType>(type: K, fn: string, id: string, data: DataOf<K>,
  extensions: Record<string, string | number> = {}): PingPongEvent<K> {
  return new CloudEvent<DataOf<K>>({
    type, source: T.sourceOf(fn), id, data, datacontenttype: 'application/json', ...extensions,
  });
}

const ballExt = (b: BallInFlight) => ({ ballid: b.ball.id, hop: b.hop });

/** A ball in the air, aimed at `ball.target`; thrown by ping (hop 0) or by a worker. */
export const ballThrown = (fn: 'ping' | 'forward', b: BallInFlight) =>
  make(T.BALL_THROWN, fn, hopEventId(b.ball.id, b.hop), b, ballExt(b));

export const ballLanded = (b: BallInFlight) =>
  make(T.BALL_LANDED, 'forward', hopEventId(b.ball.id, b.hop, 'landed'), b, ballExt(b));

export const ballDropped = (b: BallDropped) =>
  make(T.BALL_DROPPED, 'forward', hopEventId(b.ball.id, b.hop, 'dropped'), b, ballExt(b));

/** The answer to a flip request: one per request (source, id). */
export const coinFlipped = (cause: { source: string; id: string }, data: DataOf<typeof T.COIN_FLIPPED>) =>
  make(T.COIN_FLIPPED, 'coin-flip', derivedId(cause.source, cause.id, 'flipped'), data);

export const peerPonged = (tick: string, data: DataOf<typeof T.PEER_PONGED>) =>
  make(T.PEER_PONGED, 'forward', `${tick}.${data.from}.${data.to}`, data);

export const workersScaled = (cause: { source: string; id: string }, data: DataOf<typeof T.WORKERS_SCALED>) =>
  make(T.WORKERS_SCALED, 'scale-workers', derivedId(cause.source, cause.id, 'scaled'), data);

export const podsListed = (cause: { source: string; id: string }, data: DataOf<typeof T.PODS_LISTED>) =>
  make(T.PODS_LISTED, 'list-pods', derivedId(cause.source, cause.id, 'listed'), data);
