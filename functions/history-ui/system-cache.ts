/**
 * What the page draws of the cluster, kept live: informers (list and watch) over the namespace's
 * pods, Knative Services, Triggers and PingSources, and a watch of the table `default`. The page's
 * reads come from these caches, and each change wakes `onChange`, so the system picture and the
 * players follow the cluster without polling it.
 */
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type KubernetesListObject, type KubernetesObject, type V1Pod } from '@kubernetes/client-node';
import { kubeCache, type KubeCache } from '../../lib/kube/cache.js';
import { assertDeclared, type KubeAccess } from '../../lib/kube/client.js';
import type { KubeObject } from '../../lib/kube/object.js';
import { SERVICE_LABEL } from '../../lib/kube/pods.js';
import { watchTable } from '../../lib/kube/table-watch.js';
import type { Logger } from '../../lib/log.js';
import { systemView, type SystemView } from './system.js';

export interface SystemCache {
  start(): void;
  /** The live pods of one Knative Service (the players are `forward`'s). */
  podsOf(service: string): Promise<V1Pod[]>;
  view(now: Date): Promise<SystemView>;
  /** Hears that something the picture shows may have changed. */
  onChange(fn: () => void): void;
}

const KINDS = {
  services: ['serving.knative.dev', 'v1'],
  triggers: ['eventing.knative.dev', 'v1'],
  pingsources: ['sources.knative.dev', 'v1'],
} as const;

export function systemCache(kc: KubeConfig, namespace: string, table: string, log: Logger, access: readonly KubeAccess[]): SystemCache {
  const ns = encodeURIComponent(namespace);
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  assertDeclared(access, '', 'pods', 'watch');
  const pods = kubeCache<V1Pod>(kc, {
    what: 'pod', path: `/api/v1/namespaces/${ns}/pods`, namespace, log,
    list: () => { assertDeclared(access, '', 'pods', 'list'); return core.listNamespacedPod({ namespace }); },
  });
  const kinds = Object.fromEntries(Object.entries(KINDS).map(([plural, [group, version]]) => {
    assertDeclared(access, group, plural, 'watch');
    // Custom objects arrive as plain JSON (times as strings): KubeObject, read through the client's wider type.
    return [plural, kubeCache<KubernetesObject>(kc, {
      what: plural, path: `/apis/${group}/${version}/namespaces/${ns}/${plural}`, namespace, log,
      list: () => {
        assertDeclared(access, group, plural, 'list');
        return custom.listNamespacedCustomObject({ group, version, namespace, plural }) as Promise<KubernetesListObject<KubernetesObject>>;
      },
    })];
  })) as Record<keyof typeof KINDS, KubeCache<KubernetesObject>>;
  const listeners: Array<() => void> = [];
  const changed = () => { for (const fn of listeners) fn(); };
  const tableWatch = watchTable(kc, namespace, table, access, (e) => log.debug({ err: (e as Error)?.message }, 'the table watch ended; again shortly'), changed);
  const items = async <T extends KubernetesObject>(c: KubeCache<T>) => (await c.list()).items;
  const objects = async (c: KubeCache<KubernetesObject>) => (await items(c)) as unknown as KubeObject[];

  return {
    start() {
      for (const c of [pods, ...Object.values(kinds)]) { c.onChange(changed); c.start(); }
    },
    podsOf: async (service) => (await items(pods)).filter((p) => p.metadata?.labels?.[SERVICE_LABEL] === service),
    async view(now) {
      const [services, triggers, pingSources, all] = await Promise.all([objects(kinds.services), objects(kinds.triggers), objects(kinds.pingsources), items(pods)]);
      return systemView({ services, triggers, pingSources, pods: all, table: tableWatch.current() }, now);
    },
    onChange: (fn) => { listeners.push(fn); },
  };
}
