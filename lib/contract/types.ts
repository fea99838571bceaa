/** Every CloudEvent type of the ping-pong contract (DESIGN §4). One name, used everywhere. */
export const BALL_REQUESTED = 'dev.pingpong.ball.requested';
export const BALL_THROWN = 'dev.pingpong.ball.thrown';
export const BALL_LANDED = 'dev.pingpong.ball.landed';
export const BALL_DROPPED = 'dev.pingpong.ball.dropped';
export const COIN_FLIP_REQUESTED = 'dev.pingpong.coin.flip.requested';
export const COIN_FLIPPED = 'dev.pingpong.coin.flipped';
export const WORKERS_SCALED = 'dev.pingpong.workers.scaled';
export const PODS_LISTED = 'dev.pingpong.pods.listed';
export const PEER_PONGED = 'dev.pingpong.peer.ponged';
/** Knative's own PingSource type (REFERENCE 2.6). */
export const PING_SOURCE_TICK = 'dev.knative.sources.ping';
/** Knative's ApiServerSource types in Resource mode (REFERENCE 2.7). */
export const APISERVER_ADD = 'dev.knative.apiserver.resource.add';
export const APISERVER_UPDATE = 'dev.knative.apiserver.resource.update';
export const APISERVER_DELETE = 'dev.knative.apiserver.resource.delete';

/** Sources are `/pingpong/<function>`. */
export const sourceOf = (fn: string): string => `/pingpong/${fn}`;

/** Knative's dead-letter extensions (REFERENCE 2.3): the Broker adds them, record-hop reads them. */
export const ERROR_DEST = 'knativeerrordest';
export const ERROR_CODE = 'knativeerrorcode';
export const ERROR_DATA = 'knativeerrordata';
