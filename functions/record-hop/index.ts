import { http } from '@google-cloud/functions-framework';
import type { CloudEvent } from 'cloudevents';
import { functionApp, type EventHandler, type HandlerContext } from '../../lib/cloudevents/adapter.js';
import {
  APISERVER_ADD, APISERVER_DELETE, APISERVER_UPDATE, BALL_DROPPED, BALL_LANDED, BALL_THROWN, COIN_FLIPPED,
  PEER_PONGED, PODS_LISTED, WORKERS_SCALED,
} from '../../lib/contract/index.js';
import { createPool } from '../../lib/db/pool.js';
import { createLogger } from '../../lib/log.js';
import { loadConfig } from './config.js';
import { isDeadLetter, planDeadLetter, planEvent, type HistoryType, type Plan } from './rows.js';
import { pgHistoryStore } from './store.js';
import { databaseReadiness, withReadiness } from './readiness.js';

const config = loadConfig();
const log = createLogger('record-hop');
const store = pgHistoryStore(createPool(config.databaseUrl, { max: config.poolMax, applicationName: 'record-hop', log }));

/**
 * Records one event. A duplicate and an ignored ball event (another flight of the ball than the
 * one recorded, or one after its ending) are answered 202 too: the Broker must not retry them, as
 * they can never be recorded. A ball event that comes before its predecessor throws Transient
 * (503) from the store, so the Broker redelivers it once the flight may have caught up.
 */
async function record(event: CloudEvent<unknown>, plan: Plan, { note }: HandlerContext): Promise<void> {
  const out = await store.record(plan);
  const ctx = { id: event.id, type: event.type, source: event.source };
  // What it recorded, on the handled line: the outcome, the ball and hop, the tables written.
  note({ record: out.outcome, ballId: plan.flight?.flight.ball.id ?? plan.notice.ballId, hop: plan.flight?.flight.hop,
    ...(out.outcome === 'stored' ? { tables: [plan.key.table, ...new Set(plan.writes.map((w) => w.table))] } : {}),
    ...(out.outcome === 'ignored' ? { reason: out.reason } : {}) });
  if (out.outcome === 'ignored') log.warn({ ...ctx, ballId: plan.flight?.flight.ball.id, reason: out.reason }, `ignored: ${out.reason}`);
}

/** Stores one history event; nothing to publish, so the adapter answers 202. */
const keep = <K extends HistoryType>(type: K): EventHandler<K> => (event, data, ctx) =>
  record(event, planEvent(type, event, data), ctx);

http('record-hop', withReadiness(functionApp({
  name: 'record-hop',
  log,
  bodyLimit: config.bodyLimit,
  // A dead letter is the original event, of any type and with whatever data made it fail, plus
  // Knative's knativeerror* extensions: recorded as it is, never refused (the Broker would drop it).
  intercept: (event) => (isDeadLetter(event) ? (ctx) => record(event, planDeadLetter(event), ctx) : undefined),
  events: {
    [BALL_THROWN]: keep(BALL_THROWN),
    [BALL_LANDED]: keep(BALL_LANDED),
    [BALL_DROPPED]: keep(BALL_DROPPED),
    [WORKERS_SCALED]: keep(WORKERS_SCALED),
    [PODS_LISTED]: keep(PODS_LISTED),
    [PEER_PONGED]: keep(PEER_PONGED),
    [COIN_FLIPPED]: keep(COIN_FLIPPED),
    [APISERVER_ADD]: keep(APISERVER_ADD),
    [APISERVER_UPDATE]: keep(APISERVER_UPDATE),
    [APISERVER_DELETE]: keep(APISERVER_DELETE),
  },
}), databaseReadiness(config.databaseUrl, log)));
