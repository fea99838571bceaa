import { CoreV1Api, makeInformer, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
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

/** Restart delays after the watch fails: doubling from half a second, capped, reset by a sync. */
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;

/**
 * An informer (list, then watch from the list's resourceVersion) over the pods of one Service in
 * one namespace: `list` and `watch` pods only. The informer stops on any watch error but 410 (it
 * relists on that itself), so this restarts it with a backoff and falls back to a direct list
 * meanwhile, so a snapshot never comes from a cache that stopped following the API.
 */
export function kubeWorkerPods(kc: KubeConfig, namespace: string, service: string, log: Logger, access: readonly KubeAccess[]): WorkerPods {
  const api = kc.makeApiClient(CoreV1Api);
  const labelSelector = `${SERVICE_LABEL}=${service}`;
  const listOnce = () => {
    assertDeclared(access, '', 'pods', 'list');
    return api.listNamespacedPod({ namespace, labelSelector });
  };
  assertDeclared(access, '', 'pods', 'watch');
  const informer = makeInformer<V1Pod>(kc, `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`, listOnce, labelSelector);
  const seen = new SeenVersions();
  const note = (p: V1Pod) => seen.add(p.metadata?.name ?? '', p.metadata?.resourceVersion);
  for (const verb of ['add', 'update', 'delete'] as const) informer.on(verb, note);

  let synced = false;
  let started = false;
  let failedThisRun = false;
  let retryMs = FIRST_RETRY_MS;
  let retry: NodeJS.Timeout | undefined;

  const failed = (err: unknown) => {
    synced = false;
    failedThisRun = true;
    if (retry) return;
    log.warn({ err: (err as Error)?.message ?? String(err), retryMs }, `the ${service} pod cache stopped following the API; listing directly until it resyncs`);
    retry = setTimeout(() => void run(), retryMs);
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  };
  const run = async () => {
    retry = undefined;
    failedThisRun = false;
    try {
      await informer.start();
    } catch (e) {
      failed(e);
    }
    // start() resolves even when its list or watch failed (the error callback has run by then).
    if (!failedThisRun) {
      synced = true;
      retryMs = FIRST_RETRY_MS;
    }
  };
  informer.on('error', failed);

  return {
    start() {
      if (started) return;
      started = true;
      void run();
    },
    async list() {
      if (synced) return { pods: [...informer.list(namespace)], from: 'cache' };
      return { pods: (await listOnce()).items, from: 'api' };
    },
    cached: () => (synced ? [...informer.list(namespace)] : undefined),
    caughtUp(name, resourceVersion, ms) {
      return synced ? seen.wait(name, resourceVersion, ms) : Promise.resolve(true);
    },
  };
}
