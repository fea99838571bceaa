import { http } from '@google-cloud/functions-framework';
import type { CloudEvent } from 'cloudevents';
import { functionApp, type HandlerContext } from '../../lib/cloudevents/adapter.js';
import { BadRequest, Transient } from '../../lib/cloudevents/errors.js';
import { sendEvent } from '../../lib/cloudevents/send.js';
import { BALL_REQUESTED, PING_SOURCE_TICK, ballThrown, type BallRequested } from '../../lib/contract/index.js';
import { DEFAULT_BODY_LIMIT, intFrom, stringFrom } from '../../lib/config.js';
import { createLogger } from '../../lib/log.js';
import { currentNamespace, loadKubeConfig } from '../../lib/kube/client.js';
import { aimBalls } from './aim.js';
import { kubeWorkers } from './workers.js';

const env = process.env;
const log = createLogger('ping');
const config = Object.freeze({
  maxHops: intFrom(env, 'MAX_HOPS', 20, { min: 1, max: 1000 }),
  ballsPerTick: intFrom(env, 'BALLS_PER_TICK', 1, { min: 1, max: 100 }),
  sink: env.K_SINK,
  service: stringFrom(env, 'WORKERS_SERVICE', 'forward'),
});
const kc = loadKubeConfig();
const workers = kubeWorkers(kc, stringFrom(env, 'WORKERS_NAMESPACE', currentNamespace(kc, 'pingpong')), config.service);

/** Serves balls: one is the reply; more than one go to K_SINK, each send checked. */
async function serve(event: CloudEvent<unknown>, request: BallRequested, { note }: HandlerContext) {
  let live;
  try {
    live = await workers.list();
  } catch (e) {
    throw new Transient(`listing ${config.service} pods failed: ${(e as Error).message}`, { cause: e });
  }
  const aimed = aimBalls({ request, workers: live, cause: event, ballsPerTick: config.ballsPerTick,
    maxHops: config.maxHops, now: new Date(), random: Math.random });
  if (!aimed.ok) {
    if (aimed.retry) throw new Transient(aimed.errors.map((e) => e.message).join('; '));
    throw new BadRequest(aimed.errors);
  }
  const events = aimed.balls.map((b) => ballThrown('ping', b));
  note({ served: events.length, balls: aimed.balls.map((b) => b.ball.id), targets: aimed.balls.map((b) => b.ball.target),
    to: events.length === 1 ? 'reply' : config.sink });
  if (events.length === 1) return events[0];
  if (!config.sink) throw new Error('K_SINK is not set: a SinkBinding must inject it to serve more than one ball');
  for (const e of events) await sendEvent(config.sink, e);
  return undefined;
}

http('ping', functionApp({
  name: 'ping',
  log,
  bodyLimit: intFrom(env, 'BODY_LIMIT', DEFAULT_BODY_LIMIT, { min: 1 }),
  events: {
    [PING_SOURCE_TICK]: (event, _data, ctx) => serve(event, {}, ctx),
    [BALL_REQUESTED]: (event, request, ctx) => serve(event, request, ctx),
  },
}));
