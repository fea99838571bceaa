/**
 * The Knative Service controller: Serving runs what the API holds — a Service applied starts its
 * revision, an edited template rolls out the next one, a deleted Service stops its pods — and each
 * Service's status tells its URL, revisions, traffic and Knative's Ready, ConfigurationsReady and
 * RoutesReady conditions.
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { timestamp, type ObjectStore } from '../apiserver/index.js';
import { derivedObjects, type RevisionOrigin } from './serving-derived.js';
import type { ServiceStatus } from '../serving/serving.js';
import { failed, ok, unknown, withReady, type Condition } from './conditions.js';
import { watchAll } from './watch-all.js';
import { writeStatus } from './status-writer.js';
import type { KubeObject } from '../../lib/kube/object.js';

/** What the controller drives. */
export interface ServingPlane {
  apply(object: KubeObject): unknown;
  remove(namespace: string, name: string): Promise<void>;
  service(namespace: string, name: string): ServiceStatus | undefined;
  on(event: 'change', listener: () => void): unknown;
}

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`;

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

/** Where the objects derived from Services live. */
export interface DerivedStores { configurations: ObjectStore; routes: ObjectStore; revisions: ObjectStore }

/** Makes the store hold exactly `desired` among the objects of one Service (keeping their identity). */
function syncOwned(store: ObjectStore, namespace: string, service: string, desired: readonly KubeObject[]): void {
  for (const d of desired) {
    const current = store.get(namespace, d.metadata.name);
    const next: KubeObject = { ...d, metadata: { ...d.metadata, uid: current?.metadata.uid ?? randomUUID(), creationTimestamp: current?.metadata.creationTimestamp ?? timestamp(new Date()) } };
    if (current && isDeepStrictEqual({ ...current, metadata: { ...current.metadata, resourceVersion: undefined } }, { ...next, metadata: { ...next.metadata, resourceVersion: undefined } })) continue;
    store.put(next);
  }
  // Only the ones to delete are listed (and so copied): this runs at every status change of the Service.
  const gone = (o: KubeObject) => o.metadata.labels?.['serving.knative.dev/service'] === service && !desired.some((d) => d.metadata.name === o.metadata.name);
  for (const o of store.list(namespace, gone).items) store.delete(namespace, o.metadata.name);
}

export function startServingController(services: ObjectStore, serving: ServingPlane, derived?: DerivedStores): () => void {
  const applied = new Map<string, number>();
  const refused = new Map<string, string>();
  // What made each revision, per Service; only the revisions Serving still has are kept.
  const origins = new Map<string, Map<string, RevisionOrigin>>();
  const owned = new Set<string>();
  const writeDerived = (o: KubeObject, view: ServiceStatus | undefined) => {
    if (!derived) return;
    const ns = o.metadata.namespace ?? 'default';
    if (!view) return;
    const mine = origins.get(keyOf(o)) ?? new Map<string, RevisionOrigin>();
    for (const name of mine.keys()) if (!view.revisions.some((r) => r.name === name)) mine.delete(name);
    const objects = derivedObjects(o, view, mine);
    syncOwned(derived.configurations, ns, o.metadata.name, objects.configurations);
    const configUid = derived.configurations.get(ns, o.metadata.name)?.metadata.uid;
    for (const r of objects.revisions) (r.metadata.ownerReferences as { uid?: string }[])[0]!.uid = configUid;
    syncOwned(derived.revisions, ns, o.metadata.name, objects.revisions);
    syncOwned(derived.routes, ns, o.metadata.name, objects.routes);
    owned.add(keyOf(o));
  };
  const writeAll = () => {
    const present = new Set<string>();
    for (const o of services.list().items) {
      const view = serving.service(o.metadata.namespace ?? 'default', o.metadata.name);
      writeStatus(services, o, observed(view, refused.get(keyOf(o))));
      writeDerived(o, view);
      present.add(keyOf(o));
    }
    // Cascading delete: what a deleted Service owned goes with it.
    for (const key of [...owned]) {
      if (present.has(key) || !derived) continue;
      owned.delete(key);
      origins.delete(key);
      const [ns, name] = key.split('/') as [string, string];
      for (const store of [derived.configurations, derived.revisions, derived.routes]) syncOwned(store, ns, name, []);
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
        const made = serving.apply(o as KubeObject) as { revision?: string; created?: boolean } | undefined;
        if (made?.created && made.revision) {
          const mine = origins.get(key) ?? new Map<string, RevisionOrigin>();
          origins.set(key, mine.set(made.revision, { template: (o.spec as { template?: unknown }).template, generation }));
        }
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
