/**
 * scale-workers' port to the Kubernetes API, as its own ServiceAccount and with only the calls
 * kube-access.ts declares: the table (watched, so a decision reads the latest spec without a get
 * per event), the forward Service's scale (a merge patch carrying the resourceVersion it read, so
 * a concurrent writer makes it retry on a fresh read instead of overwriting), and the table's
 * status.
 */
import { ApiException, CustomObjectsApi, PatchStrategy, makeInformer, setHeaderOptions, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { assertDeclared } from '../../lib/kube/client.js';
import type { KubeObject } from '../../lib/kube/object.js';
import { KUBE_ACCESS } from './kube-access.js';

const TABLES = { group: 'pingpong.dev', version: 'v1alpha1', plural: 'pingpongtables' } as const;
const SERVICES = { group: 'serving.knative.dev', version: 'v1', plural: 'services' } as const;
/** Tries of a write that met a Conflict, each after a fresh read. */
export const CONFLICT_TRIES = 5;

export const isConflict = (e: unknown) => e instanceof ApiException && e.code === 409;

export interface Cluster {
  /** The table, from the watch when it has synced, else read. */
  table(name: string): Promise<KubeObject | undefined>;
  service(name: string): Promise<KubeObject>;
  /** Applies `change(service)` as a merge patch guarded by the service's resourceVersion; retries a Conflict. */
  patchService(name: string, change: (s: KubeObject) => unknown): Promise<KubeObject>;
  /**
   * The revision a Service generation made, once its controller has observed it; '' if that takes
   * longer than `timeoutMs` (the status then says the revision is pending).
   */
  revisionOf(name: string, generation: number, timeoutMs?: number): Promise<string>;
  /**
   * Replaces the table's status with `make(table)` on a fresh read; retries a Conflict; skips when
   * equal. Resolves to the status the fresh read had before (what the table told until now).
   */
  writeStatus(name: string, make: (t: KubeObject) => unknown): Promise<{ workers?: number } | undefined>;
  stop(): void;
}

export function kubeCluster(kc: KubeConfig, namespace: string): Cluster {
  const api = kc.makeApiClient(CustomObjectsApi);
  const call = (resource: string, verb: string) => assertDeclared(KUBE_ACCESS, resource === 'services' ? SERVICES.group : TABLES.group, resource, verb);
  const get = (name: string) => { call('pingpongtables', 'get'); return api.getNamespacedCustomObject({ ...TABLES, namespace, name }) as Promise<KubeObject>; };
  const informer = makeInformer<KubernetesObject>(kc, `/apis/${TABLES.group}/${TABLES.version}/namespaces/${namespace}/${TABLES.plural}`, () => {
    call('pingpongtables', 'list');
    call('pingpongtables', 'watch');
    return api.listNamespacedCustomObject({ ...TABLES, namespace }) as never;
  });
  let synced = false;
  informer.on('connect', () => (synced = true));
  // A dropped watch is started again after a pause; until it lists again, reads go to the API.
  informer.on('error', () => { synced = false; setTimeout(() => void informer.start().catch(() => undefined), 2000).unref(); });
  void informer.start().catch(() => undefined);
  const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

  return {
    async table(name) {
      const cached = synced ? informer.get(name, namespace) : undefined;
      if (cached) return cached as unknown as KubeObject;
      try { return await get(name); } catch (e) { if (e instanceof ApiException && e.code === 404) return undefined; throw e; }
    },
    async service(name) {
      call('services', 'get');
      return await api.getNamespacedCustomObject({ ...SERVICES, namespace, name }) as KubeObject;
    },
    async patchService(name, change) {
      for (let attempt = 1; ; attempt++) {
        const live = await this.service(name);
        const body = { ...(change(live) as object), metadata: { resourceVersion: live.metadata.resourceVersion } };
        call('services', 'patch');
        try {
          return await api.patchNamespacedCustomObject({ ...SERVICES, namespace, name, body }, mergePatch) as KubeObject;
        } catch (e) {
          if (!isConflict(e) || attempt >= CONFLICT_TRIES) throw e;
        }
      }
    },
    async revisionOf(name, generation, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const s = await this.service(name);
        if (Number(s.status?.observedGeneration ?? 0) >= generation && s.status?.latestCreatedRevisionName) return String(s.status.latestCreatedRevisionName);
        if (Date.now() >= deadline) return '';
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async writeStatus(name, make) {
      for (let attempt = 1; ; attempt++) {
        const live = await get(name);
        const status = make(live);
        if (JSON.stringify(status) === JSON.stringify(live.status ?? {})) return live.status;
        call('pingpongtables/status', 'update');
        try {
          await api.replaceNamespacedCustomObjectStatus({ ...TABLES, namespace, name, body: { ...live, status } });
          return live.status;
        } catch (e) {
          if (!isConflict(e) || attempt >= CONFLICT_TRIES) throw e;
        }
      }
    },
    stop: () => informer.stop(),
  };
}
