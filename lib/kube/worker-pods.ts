import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { kubeCache } from './cache.js';
import { assertDeclared, type KubeAccess } from './client.js';
import type { Logger } from '../log.js';
import { SERVICE_LABEL } from './pods.js';
import { SeenVersions } from './seen-versions.js';

/** The worker pods, kept live: how list-pods and forward's peering see the cluster. */
export interface WorkerPods {
  /** Starts the cache in the background; until it has synced, `list` asks the API directly. */
  start(): void;
  /** The worker pods now: from the cache once synced, else one direct list. */
  list(): Promise<{ pods: V1Pod[]; from: 'cache' | 'api' }>;
  /** The cached pods, or undefined until the cache has synced (a caller that cannot wait for a list). */
  cached(): V1Pod[] | undefined;
  /** True once the cache has applied this version of a pod, false after `ms`; true at once when unsynced (the direct list is newer). */
  caughtUp(name: string, resourceVersion: string, ms: number): Promise<boolean>;
}

/** The pods of one Service in one namespace, from a cache that needs `list` and `watch` on pods only. */
export function kubeWorkerPods(kc: KubeConfig, namespace: string, service: string, log: Logger, access: readonly KubeAccess[]): WorkerPods {
  const api = kc.makeApiClient(CoreV1Api);
  const labelSelector = `${SERVICE_LABEL}=${service}`;
  assertDeclared(access, '', 'pods', 'watch');
  const cache = kubeCache<V1Pod>(kc, {
    what: `${service} pod`, path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`, namespace, labelSelector, log,
    list: () => {
      assertDeclared(access, '', 'pods', 'list');
      return api.listNamespacedPod({ namespace, labelSelector });
    },
  });
  const seen = new SeenVersions();
  cache.onChange((p) => { if (p) seen.add(p.metadata?.name ?? '', p.metadata?.resourceVersion); });

  return {
    start: () => cache.start(),
    list: async () => { const { items, from } = await cache.list(); return { pods: items, from }; },
    cached: () => cache.cached(),
    caughtUp(name, resourceVersion, ms) {
      return cache.cached() ? seen.wait(name, resourceVersion, ms) : Promise.resolve(true);
    },
  };
}
