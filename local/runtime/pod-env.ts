import type { KubeObject, Resolve } from '../types.js';

export interface PodEnvDeps {
  configMaps: KubeObject[];
  sinkBindings: KubeObject[];
  resolve: Resolve;
  /** The kubeconfig a pod of this ServiceAccount gets as KUBECONFIG. */
  kubeconfigFor: (namespace: string, serviceAccount: string) => string;
  db: { writerUrl: string; readerUrl: string };
}

const matchesLabels = (labels: Record<string, string> = {}, selector: { matchLabels?: Record<string, string> } | undefined) =>
  !!selector && Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);

/** Whether a SinkBinding's subject is this Knative Service (by name, or by label selector). */
function bindsTo(binding: KubeObject, service: KubeObject): boolean {
  const subject = binding.spec?.subject ?? {};
  const ns = subject.namespace ?? binding.metadata.namespace;
  if (ns !== service.metadata.namespace || subject.kind !== 'Service' || !String(subject.apiVersion).startsWith('serving.knative.dev/')) return false;
  return subject.name ? subject.name === service.metadata.name : matchesLabels(service.metadata.labels, subject.selector);
}

/**
 * The environment the runtime adds to a pod, as the cluster would: K_SINK/K_CE_OVERRIDES from a
 * SinkBinding, KUBECONFIG for the pod's ServiceAccount (in a cluster, its mounted token), and a
 * read-only DATABASE_URL unless the container declares its own (record-hop's writer secret).
 */
export function podEnvFor(deps: PodEnvDeps) {
  return (service: KubeObject): Record<string, string> => {
    const ns = service.metadata.namespace ?? 'default';
    const spec = service.spec?.template?.spec ?? {};
    const env: Record<string, string> = {};
    for (const b of deps.sinkBindings) {
      if (!bindsTo(b, service)) continue;
      const target = deps.resolve(b.spec.sink, b.metadata.namespace ?? ns);
      if (target) env.K_SINK = target.url;
      env.K_CE_OVERRIDES = b.spec.ceOverrides ? JSON.stringify(b.spec.ceOverrides) : '';
    }
    env.KUBECONFIG = deps.kubeconfigFor(ns, spec.serviceAccountName ?? 'default');
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
      const map = deps.configMaps.find((c) => c.metadata.name === cm.name && (c.metadata.namespace ?? 'default') === namespace);
      const v = (map as any)?.data?.[cm.key];
      return v === undefined ? undefined : String(v);
    }
    const secret = valueFrom?.secretKeyRef;
    if (secret?.key === 'WRITER_DATABASE_URL') return deps.db.writerUrl;
    if (secret?.key === 'READER_DATABASE_URL') return deps.db.readerUrl;
    return undefined;
  };
}
