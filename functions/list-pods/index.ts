import { http } from '@google-cloud/functions-framework';
import type { CloudEvent } from 'cloudevents';
import { functionApp, type EventHandler, type HandlerContext } from '../../lib/cloudevents/adapter.js';
import { BadRequest, failedTransiently as failed } from '../../lib/cloudevents/errors.js';
import { APISERVER_ADD, APISERVER_DELETE, APISERVER_UPDATE, PING_SOURCE_TICK, podsListed } from '../../lib/contract/index.js';
import { DEFAULT_BODY_LIMIT, intFrom, stringFrom } from '../../lib/config.js';
import { createLogger } from '../../lib/log.js';
import { currentNamespace, loadKubeConfig } from '../../lib/kube/client.js';
import { kubeWorkerPods } from '../../lib/kube/worker-pods.js';
import { KUBE_ACCESS } from './kube-access.js';
import { POD_CAUSE, TICK_CAUSE, podChange, type PodChangeType } from './cause.js';
import { snapshot } from './snapshot.js';

const env = process.env;
const log = createLogger('list-pods');
const kc = loadKubeConfig();
const config = Object.freeze({
  service: stringFrom(env, 'WORKERS_SERVICE', 'forward'),
  namespace: stringFrom(env, 'WORKERS_NAMESPACE', currentNamespace(kc, 'pingpong')),
  // How long a change's snapshot waits for the cache to apply that change before it lists anyway.
  catchUpMs: intFrom(env, 'CACHE_CATCH_UP_MS', 2000, { min: 0, max: 10_000 }),
});
const workers = kubeWorkerPods(kc, config.namespace, config.service, log, KUBE_ACCESS);
workers.start();

/** The reply: the worker pods now, under an id derived from the cause, so a redelivery repeats it. */
async function listed(event: CloudEvent<unknown>, cause: string, { note }: HandlerContext) {
  const found = await workers.list().catch(failed(`listing ${config.service} pods`));
  const data = snapshot(config.service, found.pods, cause);
  note({ cause, pods: data.pods.length, from: found.from });
  return podsListed(event, data);
}

/** A worker pod changed: snapshot once the cache holds the change, so the snapshot shows it. */
const onPodChange = (type: PodChangeType): EventHandler<PodChangeType> => async (event, obj, ctx) => {
  const change = podChange(obj, config);
  if (change.kind === 'invalid') throw new BadRequest(change.errors);
  if (change.kind === 'other') {
    ctx.note({ ignored: change.why });
    return undefined;
  }
  if (change.resourceVersion !== undefined) {
    const caughtUp = await workers.caughtUp(change.name, change.resourceVersion, config.catchUpMs);
    if (!caughtUp) ctx.note({ caughtUp });
  }
  return listed(event, POD_CAUSE[type], ctx);
};

http('list-pods', functionApp({
  name: 'list-pods',
  log,
  bodyLimit: intFrom(env, 'BODY_LIMIT', DEFAULT_BODY_LIMIT, { min: 1 }),
  events: {
    [PING_SOURCE_TICK]: (event, _data, ctx) => listed(event, TICK_CAUSE, ctx),
    [APISERVER_ADD]: onPodChange(APISERVER_ADD),
    [APISERVER_UPDATE]: onPodChange(APISERVER_UPDATE),
    [APISERVER_DELETE]: onPodChange(APISERVER_DELETE),
  },
}));
