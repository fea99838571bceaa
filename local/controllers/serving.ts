/**
 * The Knative Service controller: Serving runs what the API holds — a Service applied starts its
 * revision, an edited template rolls out the next one, a deleted Service stops its pods — and each
 * Service's status tells its URL, revisions, traffic and Knative's Ready, ConfigurationsReady and
 * RoutesReady conditions.
 */
import type { ApiObject, ObjectStore } from '../apiserver/index.js';
import type { KubeObject } from '../types.js';
import type { ServiceStatus } from '../serving/serving.js';
import { failed, ok, unknown, withReady, type Condition } from './conditions.js';
import { watchAll } from './watch-all.js';
import { writeStatus } from './status-writer.js';

/** What the controller drives. */
export interface ServingPlane {
  apply(object: KubeObject): unknown;
  remove(namespace: string, name: string): Promise<void>;
  service(namespace: string, name: string): ServiceStatus | undefined;
  on(event: 'change', listener: () => void): unknown;
}

const keyOf = (o: ApiObject) => `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`;

function observed(s: ServiceStatus | undefined, refusal: string | undefined) {
  if (refusal) return { conditions: withReady([failed('ConfigurationsReady', 'RevisionFailed', refusal), unknown('RoutesReady', 'RevisionMissing', 'no revision to route to')]) };
  if (!s) return { conditions: withReady([unknown('ConfigurationsReady', 'RevisionMissing', 'the Service has not been reconciled yet')]) };
  const latest = s.revisions.find((r) => r.name === s.latestCreatedRevision);
  const configurations: Condition = s.latestReadyRevision === s.latestCreatedRevision ? ok('ConfigurationsReady')
    : unknown('ConfigurationsReady', 'RevisionMissing', `Configuration "${s.name}" is waiting for a Revision to become ready.`);
  const routed = s.revisions.find((r) => r.traffic > 0);
  const routes: Condition = routed ? ok('RoutesReady') : unknown('RoutesReady', 'RevisionMissing', `Revision "${latest?.name}" has not become ready yet.`);
  return {
    conditions: withReady([configurations, routes]),
    url: s.url,
    address: { url: s.address },
    latestCreatedRevisionName: s.latestCreatedRevision,
    ...(s.latestReadyRevision ? { latestReadyRevisionName: s.latestReadyRevision } : {}),
    ...(routed ? { traffic: [{ revisionName: routed.name, latestRevision: true, percent: 100 }] } : {}),
  };
}

export function startServingController(services: ObjectStore, serving: ServingPlane): () => void {
  const applied = new Map<string, number>();
  const refused = new Map<string, string>();
  const writeAll = () => {
    for (const o of services.list().items) {
      writeStatus(services, o, observed(serving.service(o.metadata.namespace ?? 'default', o.metadata.name), refused.get(keyOf(o))));
    }
  };
  const stop = watchAll([services], () => {
    const present = new Set<string>();
    for (const o of services.list().items) {
      const key = keyOf(o);
      present.add(key);
      const generation = Number(o.metadata.generation ?? 1);
      if (applied.get(key) === generation) continue;
      applied.set(key, generation);
      try {
        serving.apply(o as KubeObject);
        refused.delete(key);
      } catch (e) {
        refused.set(key, (e as Error).message);
      }
    }
    for (const key of [...applied.keys()]) {
      if (present.has(key)) continue;
      applied.delete(key);
      refused.delete(key);
      const [namespace, name] = key.split('/') as [string, string];
      void serving.remove(namespace, name);
    }
    writeAll();
  });
  let pending = false;
  serving.on('change', () => {
    if (pending) return;
    pending = true;
    setImmediate(() => { pending = false; writeAll(); });
  });
  return stop;
}
