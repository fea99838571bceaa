import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';

/** In a pod, the ServiceAccount's namespace; locally, the kubeconfig context's. */
const SA_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** `loadFromDefault()` works the same in a cluster (in-cluster config) and with a KUBECONFIG file. */
export function loadKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}

export function currentNamespace(kc: KubeConfig, fallback = 'default'): string {
  const fromContext = kc.getContextObject(kc.getCurrentContext())?.namespace;
  if (fromContext) return fromContext;
  try {
    return readFileSync(SA_NAMESPACE_FILE, 'utf8').trim() || fallback;
  } catch {
    return fallback;
  }
}

/** One declared API call: what a function's Role must grant, no more. */
export interface KubeAccess { readonly apiGroup: string; readonly resource: string; readonly verbs: readonly string[]; readonly resourceNames?: readonly string[] }

/** Refuses a call the function did not declare, so its RBAC and its code cannot drift apart. */
export function assertDeclared(access: readonly KubeAccess[], apiGroup: string, resource: string, verb: string): void {
  if (!access.some((a) => a.apiGroup === apiGroup && a.resource === resource && a.verbs.includes(verb))) {
    throw new Error(`undeclared Kubernetes call: ${verb} ${resource} in group "${apiGroup}"; add it to kube-access.ts and the Role`);
  }
}
