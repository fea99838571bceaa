/**
 * The ApiServerSource controller and adapter: each source watches the kinds it names in its
 * namespace, as its ServiceAccount may (get, list and watch, checked against the manifests' RBAC,
 * as Knative's reconciler checks with SubjectAccessReviews), and sends every add, update and
 * delete to its sink as Knative's adapter does (an add for each object already there when it
 * starts, as an informer's first list): `dev.knative.apiserver.resource.*` with the object as data
 * (Resource mode) or `dev.knative.apiserver.ref.*` with a reference (Reference mode).
 */
import { randomUUID } from 'node:crypto';
import type { Change, LocalApiServer, ObjectStore } from '../apiserver/index.js';
import type { Destination, Resolve } from '../types.js';
import type { Logger } from '../../lib/log.js';
import { binaryMessage } from '../../lib/cloudevents/message.js';
import { post, TransportError } from '../broker/deliver.js';
import { isRetriableSend, sendBackoffMs, SEND_RETRIES } from '../pingsource/event.js';
import { failed, ok, withReady, type Condition } from './conditions.js';
import { resolveExisting, type EventingStores } from './eventing.js';
import { watchAll } from './watch-all.js';
import { writeStatus } from './status-writer.js';
import type { KubeObject } from '../../lib/kube/object.js';

/** Changes waiting to be sent per source; past it the oldest are dropped (and counted in the log). */
export const MAX_PENDING = 1000;

interface WatchedResource { apiVersion: string; kind: string; selector?: { matchLabels?: Record<string, string> } }
interface Running { fingerprint: string; stops: (() => void)[]; pending: Change[]; sending: boolean; dropped: number }

const verbsNeeded = ['get', 'list', 'watch'];
const eventKind = { ADDED: 'add', MODIFIED: 'update', DELETED: 'delete' } as const;

export interface ApiServerSourceDeps {
  api: LocalApiServer;
  sources: ObjectStore;
  stores: EventingStores;
  resolve: Resolve;
  log: Logger;
}

/** The CloudEvent Knative's adapter makes of one change (pkg/adapter/apiserver/events). */
export function changeEvent(change: Change, mode: 'Resource' | 'Reference', source: string): { attributes: Record<string, string>; data: Buffer } {
  const o = change.object;
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  const plural = `${o.kind.toLowerCase()}s`;
  const subject = `/apis/${group ? `${group}/` : ''}${version}/namespaces/${o.metadata.namespace ?? ''}/${plural}/${o.metadata.name}`;
  const ref = { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace };
  return {
    attributes: {
      specversion: '1.0', id: randomUUID(), source, subject, datacontenttype: 'application/json',
      type: `dev.knative.apiserver.${mode === 'Resource' ? 'resource' : 'ref'}.${eventKind[change.type]}`,
      time: new Date().toISOString(),
      kind: o.kind, apiversion: o.apiVersion, name: o.metadata.name, namespace: o.metadata.namespace ?? '',
    },
    data: Buffer.from(JSON.stringify(mode === 'Resource' ? o : ref)),
  };
}

export function startApiServerSourceController(deps: ApiServerSourceDeps): () => void {
  const { api, sources, stores, resolve, log } = deps;
  const running = new Map<string, Running>();
  const crds = api.objects('apiextensions.k8s.io', 'customresourcedefinitions')!;

  const drain = async (key: string, r: Running, o: KubeObject) => {
    if (r.sending) return;
    r.sending = true;
    try {
      while (r.pending.length && running.get(key) === r) {
        const change = r.pending.shift()!;
        const spec = o.spec as { sink?: Destination; mode?: 'Resource' | 'Reference' };
        const ns = o.metadata.namespace ?? 'default';
        const target = spec.sink ? resolve(spec.sink, ns) : undefined;
        if (!target) continue;
        const message = binaryMessage(changeEvent(change, spec.mode ?? 'Reference', api.url));
        for (let attempt = 1; ; attempt++) {
          let status: number | undefined;
          try { status = (await post(target, message, { timeoutMs: 30_000 })).status; } catch (e) { if (!(e instanceof TransportError)) throw e; }
          if (status !== undefined && status >= 200 && status <= 299) break;
          if (!isRetriableSend(status) || attempt > SEND_RETRIES) {
            log.warn({ apiserversource: key, status: status ?? 'no response' }, 'apiserversource event lost');
            break;
          }
          await new Promise((w) => setTimeout(w, sendBackoffMs(attempt)));
        }
      }
    } finally { r.sending = false; }
  };

  const stop = (key: string) => {
    for (const s of running.get(key)?.stops ?? []) s();
    running.delete(key);
  };

  const stopAll = watchAll([sources, stores.brokers, stores.services, crds], () => {
    const present = new Set<string>();
    for (const o of sources.list().items) {
      const ns = o.metadata.namespace ?? 'default';
      const key = `${ns}/${o.metadata.name}`;
      present.add(key);
      const spec = o.spec as { resources?: WatchedResource[]; serviceAccountName?: string; sink?: Destination };
      const user = `system:serviceaccount:${ns}:${spec.serviceAccountName ?? 'default'}`;
      const conditions: Condition[] = [];
      const sinkUri = resolveExisting(spec.sink, ns, resolve, stores);
      conditions.push(sinkUri ? ok('SinkProvided') : failed('SinkProvided', 'NotFound', 'the sink does not resolve to an addressable'));
      const watched: { store: ObjectStore; selector: Record<string, string> }[] = [];
      const problems: string[] = [];
      for (const res of spec.resources ?? []) {
        const resource = api.registry.forKind(res.apiVersion, res.kind);
        if (!resource?.store) { problems.push(`${res.kind} (${res.apiVersion}) is not served`); continue; }
        const missing = verbsNeeded.filter((v) => !api.allowed(user, v, resource.group, resource.resource, ns));
        if (missing.length) problems.push(`${user} cannot ${missing.join(', ')} ${resource.resource}${resource.group ? `.${resource.group}` : ''} in namespace "${ns}"`);
        else watched.push({ store: resource.store, selector: res.selector?.matchLabels ?? {} });
      }
      conditions.push(problems.length ? failed('SufficientPermissions', 'NotAllowed', problems.join('; ')) : ok('SufficientPermissions'));
      conditions.push(problems.length || !sinkUri ? failed('Deployed', 'NotDeployed', 'not watching: see the other conditions') : ok('Deployed'));
      writeStatus(sources, o, { conditions: withReady(conditions), ...(sinkUri ? { sinkUri } : {}) });

      const fingerprint = JSON.stringify({ spec: o.spec, ok: !problems.length && !!sinkUri });
      if (running.get(key)?.fingerprint === fingerprint) continue;
      stop(key);
      if (problems.length || !sinkUri) continue;
      const r: Running = { fingerprint, stops: [], pending: [], sending: false, dropped: 0 };
      running.set(key, r);
      for (const w of watched) {
        const matches = (x: KubeObject) => (x.metadata.namespace ?? 'default') === ns && Object.entries(w.selector).every(([k, v]) => x.metadata.labels?.[k] === v);
        const queue = (change: Change) => {
          if (!matches(change.object)) return;
          r.pending.push(change);
          if (r.pending.length > MAX_PENDING) {
            r.pending.shift();
            if (++r.dropped % 100 === 1) log.warn({ apiserversource: key, dropped: r.dropped }, 'apiserversource sink too slow: oldest changes dropped');
          }
          void drain(key, r, o);
        };
        // As Knative's adapter (an informer) does: an add for each object there already, then the changes.
        const { items, resourceVersion } = w.store.list(ns);
        for (const object of items) queue({ type: 'ADDED', object, rv: Number(object.metadata.resourceVersion ?? resourceVersion) });
        const { stop: end } = w.store.watch(resourceVersion || undefined, queue);
        r.stops.push(end);
      }
    }
    for (const key of [...running.keys()]) if (!present.has(key)) stop(key);
  });
  return () => {
    stopAll();
    for (const key of [...running.keys()]) stop(key);
  };
}
