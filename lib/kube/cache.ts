import { makeInformer, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../log.js';

/** One kind in one namespace, kept live by an informer (list, then watch from the list's resourceVersion). */
export interface KubeCache<T extends KubernetesObject> {
  /** Starts the cache in the background; until it has synced, `list` asks the API directly. */
  start(): void;
  /** The objects now: from the cache once synced, else one direct list. */
  list(): Promise<{ items: T[]; from: 'cache' | 'api' }>;
  /** The cached objects, or undefined until the cache has synced (a caller that cannot wait for a list). */
  cached(): T[] | undefined;
  /** Hears every add, update and delete the cache applies, and each (re)sync. */
  onChange(fn: (obj?: T) => void): void;
}

/** Restart delays after the watch fails: doubling from half a second, capped, reset by a sync. */
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;

/**
 * The informer stops on any watch error but 410 (it relists on that itself), so this restarts it
 * with a backoff and falls back to a direct list meanwhile: nothing is read from a cache that
 * stopped following the API. `what` names the cache in the warning a failure logs.
 */
export function kubeCache<T extends KubernetesObject>(kc: KubeConfig, opts: {
  what: string; path: string; namespace: string; list: () => Promise<KubernetesListObject<T>>; labelSelector?: string; log: Logger;
}): KubeCache<T> {
  const { what, namespace, log } = opts;
  const informer = makeInformer<T>(kc, opts.path, opts.list, opts.labelSelector);
  const listeners: Array<(obj?: T) => void> = [];
  const tell = (obj?: T) => { for (const fn of listeners) fn(obj); };
  for (const verb of ['add', 'update', 'delete'] as const) informer.on(verb, tell);

  let synced = false;
  let started = false;
  let failedThisRun = false;
  let retryMs = FIRST_RETRY_MS;
  let retry: NodeJS.Timeout | undefined;

  const failed = (err: unknown) => {
    synced = false;
    failedThisRun = true;
    if (retry) return;
    log.warn({ err: (err as Error)?.message ?? String(err), retryMs }, `the ${what} cache stopped following the API; listing directly until it resyncs`);
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
      tell();
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
      if (synced) return { items: [...informer.list(namespace)], from: 'cache' };
      return { items: (await opts.list()).items, from: 'api' };
    },
    cached: () => (synced ? [...informer.list(namespace)] : undefined),
    onChange: (fn) => { listeners.push(fn); },
  };
}
