/**
 * scale-workers' port to the Kubernetes API, as its own ServiceAccount and with only the calls
 * kube-access.ts declares: the table (followed by lib/kube/table-watch.ts, so a decision reads
 * the latest spec without a get per event), the forward Service's scale (a merge patch carrying the resourceVersion it read, so
 * a concurrent writer makes it retry on a fresh read instead of overwriting), and the table's
 * status.
 */
import { ApiException, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { assertDeclared } from '../../lib/kube/client.js';
import type { KubeObject } from '../../lib/kube/object.js';
import { TABLE_GROUP, TABLE_PLURAL, TABLE_VERSION, watchTable } from '../../lib/kube/table-watch.js';
import { KUBE_ACCESS } from './kube-access.js';

const TABLES = { group: TABLE_GROUP, version: TABLE_VERSION, plural: TABLE_PLURAL } as const;
const SERVICES = { group: 'serving.knative.dev', version: 'v1', plural: 'services' } as const;
/** Tries of a write that met a Conflict, each after a fresh read. */
export const CONFLICT_TRIES = 5;

export const isConflict = (e: unknown) => e instanceof ApiException && e.code === 409;

export interface Cluster {
  /** The table, as the watch last saw it, else read. */
  table(): Promise<KubeObject | undefined>;
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
  writeStatus(make: (t: KubeObject) => unknown): Promise<{ workers?: number } | undefined>;
}

export function kubeCluster(kc: KubeConfig, namespace: string, tableName: string): Cluster {
  const api = kc.makeApiClient(CustomObjectsApi);
  const call = (resource: string, verb: string) => assertDeclared(KUBE_ACCESS, resource === 'services' ? SERVICES.group : TABLES.group, resource, verb);
  const get = (name: string) => { call('pingpongtables', 'get'); return api.getNamespacedCustomObject({ ...TABLES, namespace, name }) as Promise<KubeObject>; };
  const watched = watchTable(kc, namespace, tableName, KUBE_ACCESS);
  const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

  return {
    async table() {
      const seen = watched.current();
      if (seen) return seen;
      try { return await get(tableName); } catch (e) { if (e instanceof ApiException && e.code === 404) return undefined; throw e; }
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
    async writeStatus(make) {
      const name = tableName;
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
  };
}
