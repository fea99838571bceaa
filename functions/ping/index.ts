import { http } from '@google-cloud/functions-framework';
import type { CloudEvent } from 'cloudevents';
import { functionApp, type HandlerContext } from '../../lib/cloudevents/adapter.js';
import { BadRequest, failedTransiently, Transient } from '../../lib/cloudevents/errors.js';
import { sendEvent } from '../../lib/cloudevents/send.js';
import { BALL_REQUESTED, PING_SOURCE_TICK, ballThrown, type BallRequested } from '../../lib/contract/index.js';
import { DEFAULT_BODY_LIMIT, intFrom, stringFrom } from '../../lib/config.js';
import { createLogger } from '../../lib/log.js';
import { currentNamespace, loadKubeConfig } from '../../lib/kube/client.js';
import { aimBalls } from './aim.js';
import { kubeWorkers } from './workers.js';
import { KUBE_ACCESS } from './kube-access.js';
import { watchTable } from '../../lib/kube/table-watch.js';

const env = process.env;
const log = createLogger('ping');
const config = Object.freeze({
  sink: env.K_SINK,
  service: stringFrom(env, 'WORKERS_SERVICE', 'forward'),
  table: stringFrom(env, 'TABLE_NAME', 'default'),
});
const kc = loadKubeConfig();
const namespace = stringFrom(env, 'WORKERS_NAMESPACE', currentNamespace(kc, 'pingpong'));
const workers = kubeWorkers(kc, namespace, config.service);
// The game's settings (balls per tick, max hops) come from the table, followed live: a
// `kubectl edit ppt default` applies at the next serve, with no new revision.
const table = watchTable(kc, namespace, config.table, KUBE_ACCESS,
  (e) => log.debug({ err: (e as Error)?.message }, 'the table watch ended; following it again'));

/** Serves balls: one is the reply; more than one go to K_SINK, each send checked. */
async function serve(event: CloudEvent<unknown>, request: BallRequested, { note }: HandlerContext) {
  const live = await workers.list().catch(failedTransiently(`listing ${config.service} pods`));
  const balls = table.current()?.spec?.balls as { perTick: number; maxHops: number } | undefined;
  if (!balls) throw new Transient(`the PingPongTable ${config.table} in ${namespace} is not known yet: it says how many balls to serve`, { routine: true });
  const aimed = aimBalls({ request, workers: live, cause: event, ballsPerTick: balls.perTick,
    maxHops: balls.maxHops, now: new Date(), random: Math.random });
  if (!aimed.ok) {
    // No worker yet (starting, or mid-rollout) passes by itself: the Broker retries; not a warning.
    if (aimed.retry) throw new Transient(aimed.errors.map((e) => e.message).join('; '), { routine: true });
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
