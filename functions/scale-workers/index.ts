import { http } from '@google-cloud/functions-framework';
import type { CloudEvent } from 'cloudevents';
import { functionApp, type HandlerContext } from '../../lib/cloudevents/adapter.js';
import { failedTransiently as failed } from '../../lib/cloudevents/errors.js';
import { APISERVER_ADD, APISERVER_UPDATE, PING_SOURCE_TICK, workersScaled } from '../../lib/contract/index.js';
import { DEFAULT_BODY_LIMIT, intFrom, stringFrom } from '../../lib/config.js';
import { createLogger } from '../../lib/log.js';
import { currentNamespace, loadKubeConfig } from '../../lib/kube/client.js';
import type { KubeObject } from '../../lib/kube/object.js';
import { decideWorkers, pinnedCount, pinPatch, templateScale, type WorkersSpec } from './decide.js';
import { kubeCluster } from './kube.js';
import { seededRandom } from './seeded.js';
import { tableStatus } from './status.js';

const env = process.env;
const log = createLogger('scale-workers');
const config = Object.freeze({
  service: stringFrom(env, 'WORKERS_SERVICE', 'forward'),
  table: stringFrom(env, 'TABLE_NAME', 'default'),
  /** How long to wait for the Service controller to name the new revision before reporting it pending. */
  revisionWaitMs: intFrom(env, 'REVISION_WAIT_MS', 10_000, { min: 0, max: 25_000 }),
});
const kc = loadKubeConfig();
const cluster = kubeCluster(kc, stringFrom(env, 'WORKERS_NAMESPACE', currentNamespace(kc, 'pingpong')), config.table);


/**
 * One reconcile, level-based: read the table and the Service as they are now, decide the count,
 * patch only if it differs, then make the table's status say what is. Replies workers.scaled
 * when it changed something; a repeated event finds nothing to change and replies nothing.
 */
async function reconcile(event: CloudEvent<unknown>, cause: 'tick' | 'table', { note }: HandlerContext) {
  const table = await cluster.table().catch(failed(`reading pingpongtable ${config.table}`));
  if (!table) {
    note({ table: config.table, outcome: 'no table' });
    return undefined;
  }
  const svc = await cluster.service(config.service).catch(failed(`reading service ${config.service}`));
  const scale = templateScale(svc.spec?.template?.metadata?.annotations as Record<string, string> | undefined);
  const current = pinnedCount(scale);
  const decision = decideWorkers(table.spec.workers as WorkersSpec, scale, cause, seededRandom(event.source, event.id));
  let revision = String(svc.status?.latestCreatedRevisionName ?? '');
  const patched = decision !== undefined && decision.to !== current;
  if (patched) {
    const after = await cluster.patchService(config.service, () => pinPatch(decision.to)).catch(failed(`patching service ${config.service}`));
    revision = await cluster.revisionOf(config.service, Number(after.metadata.generation ?? 0), config.revisionWaitMs).catch(failed(`reading service ${config.service}`));
  }
  // Left as it is, an autoscaled range reports its floor: the workers it keeps at least.
  const workers = decision?.to ?? current ?? scale.min ?? 0;
  // observedGeneration is the generation this decision read, not a newer one it has not seen.
  const told = await cluster.writeStatus((t: KubeObject) => tableStatus(t.status, {
    generation: Number(table.metadata.generation ?? 1), workers, revision, service: config.service,
  }, new Date())).catch(failed(`writing the status of pingpongtable ${config.table}`));
  // A change is told until the table reports it: when the status write after a patch failed, the
  // retry finds the Service already pinned but the table still saying the old count, and tells it
  // then (the id derives from the cause, so it is the event the first try would have sent).
  const from = patched ? current ?? scale.min ?? 0 : told?.workers;
  const reply = decision && from !== undefined && (patched || from !== workers)
    ? workersScaled(event, { service: config.service, from, to: workers, revision, reason: decision.reason }) : undefined;
  note({ table: config.table, mode: table.spec.workers.mode, from: current ?? null, to: workers, reason: decision?.reason ?? 'in-bounds', revision, changed: reply !== undefined });
  return reply;
}

/** A table event wakes the reconcile; any other object (or another table) is none of its business. */
const onTable = (event: CloudEvent<unknown>, object: { kind: string; metadata: { name: string } }, ctx: HandlerContext) =>
  object.kind === 'PingPongTable' && object.metadata.name === config.table ? reconcile(event, 'table', ctx) : undefined;

http('scale-workers', functionApp({
  name: 'scale-workers',
  log,
  bodyLimit: intFrom(env, 'BODY_LIMIT', DEFAULT_BODY_LIMIT, { min: 1 }),
  events: {
    [PING_SOURCE_TICK]: (event, _data, ctx) => reconcile(event, 'tick', ctx),
    [APISERVER_ADD]: (event, object, ctx) => onTable(event, object, ctx),
    [APISERVER_UPDATE]: (event, object, ctx) => onTable(event, object, ctx),
  },
}));
