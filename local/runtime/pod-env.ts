import type { KubeObject } from '../../lib/kube/object.js';

export interface PodEnvDeps {
  /** The ConfigMaps as the API holds them now (read when a pod starts). */
  configMaps: () => readonly KubeObject[];
  /** The kubeconfig a pod of this ServiceAccount gets as KUBECONFIG. */
  kubeconfigFor: (namespace: string, serviceAccount: string) => string | Promise<string>;
  db: { writerUrl: string; readerUrl: string };
}

/**
 * The environment the runtime adds to a pod, as the cluster would: KUBECONFIG for the pod's
 * ServiceAccount (in a cluster, its mounted token) unless the pod opts out of the token, and a
 * read-only DATABASE_URL unless the container declares its own (record-hop's writer secret). A SinkBinding's K_SINK is in the
 * template itself (local/controllers/sinkbindings.ts), as Knative's webhook puts it there.
 */
export function podEnvFor(deps: PodEnvDeps) {
  return async (service: KubeObject): Promise<Record<string, string>> => {
    const ns = service.metadata.namespace ?? 'default';
    const spec = service.spec?.template?.spec ?? {};
    const env: Record<string, string> = {};
    // automountServiceAccountToken: false (a pod that never calls the API): no credentials, as the
    // kubelet then mounts no token.
    if (spec.automountServiceAccountToken !== false) env.KUBECONFIG = await deps.kubeconfigFor(ns, spec.serviceAccountName ?? 'default');
    const declares = (spec.containers ?? []).some((c: any) => (c.env ?? []).some((e: any) => e.name === 'DATABASE_URL'));
    if (!declares) env.DATABASE_URL = deps.db.readerUrl;
    return env;
  };
}

/**
 * `valueFrom` as the kubelet resolves it: ConfigMap keys from the manifests. Secrets are not in
 * the repo (kustomize generates them from a git-ignored file), so the runtime answers the
 * database keys of that secret with its own PostgreSQL's least-privilege users' URLs.
 */
export function envFromResolver(deps: Pick<PodEnvDeps, 'configMaps' | 'db'>) {
  return (namespace: string, valueFrom: any): string | undefined => {
    const cm = valueFrom?.configMapKeyRef;
    if (cm) {
      const map = deps.configMaps().find((c) => c.metadata.name === cm.name && (c.metadata.namespace ?? 'default') === namespace);
      const v = (map as any)?.data?.[cm.key];
      return v === undefined ? undefined : String(v);
    }
    const secret = valueFrom?.secretKeyRef;
    if (secret?.key === 'WRITER_DATABASE_URL') return deps.db.writerUrl;
    if (secret?.key === 'READER_DATABASE_URL') return deps.db.readerUrl;
    return undefined;
  };
}
