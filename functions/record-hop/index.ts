import { http } from '@google-cloud/functions-framework';
import type { CloudEvent } from 'cloudevents';
import { functionApp, type EventHandler } from '../../lib/cloudevents/adapter.js';
import {
  APISERVER_ADD, APISERVER_DELETE, APISERVER_UPDATE, BALL_DROPPED, BALL_LANDED, BALL_THROWN, COIN_FLIPPED,
  PEER_PONGED, PODS_LISTED, WORKERS_SCALED,
} from '../../lib/contract/index.js';
import { createPool } from '../../lib/db/pool.js';
import { createLogger } from '../../lib/log.js';
import { loadConfig } from './config.js';
import { isDeadLetter, planDeadLetter, planEvent, type HistoryType, type Plan } from './rows.js';
import { pgHistoryStore } from './store.js';

const config = loadConfig();
const log = createLogger('record-hop');
const store = pgHistoryStore(createPool(config.databaseUrl, { max: config.poolMax, applicationName: 'record-hop', log }));

async function record(event: CloudEvent<unknown>, plan: Plan): Promise<void> {
  if ((await store.record(plan)) === 'duplicate') log.info({ id: event.id, type: event.type, source: event.source }, 'already recorded');
}

/** Stores one history event; nothing to publish, so the adapter answers 202. */
const keep = <K extends HistoryType>(type: K): EventHandler<K> => (event, data) =>
  record(event, planEvent(type, event, data));

http('record-hop', functionApp({
  name: 'record-hop',
  log,
  bodyLimit: config.bodyLimit,
  // A dead letter is the original event, of any type and with whatever data made it fail, plus
  // Knative's knativeerror* extensions: recorded as it is, never refused (the Broker would drop it).
  intercept: (event) => (isDeadLetter(event) ? () => record(event, planDeadLetter(event)) : undefined),
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
}));
