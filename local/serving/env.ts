/** Who a pod is, as its environment tells it (REFERENCE 1.5). */
export interface PodIdentity {
  namespace: string;
  service: string;
  configuration: string;
  revision: string;
  pod: string;
  port: number;
}

/**
 * Resolves a container env `valueFrom` (configMapKeyRef, secretKeyRef) in a namespace; undefined
 * when the ConfigMap/Secret or key does not exist.
 */
export type ResolveEnvFrom = (namespace: string, valueFrom: unknown) => string | undefined | Promise<string | undefined>;

/** A container env entry that cannot be resolved: Kubernetes would not start the container. */
export class EnvError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`env ${variable}: ${message}`);
    this.name = 'EnvError';
  }
}

/**
 * The environment of one pod's container, in Kubernetes' order: the container's `env` (with
 * `$(VAR)` references to earlier entries expanded, `valueFrom` resolved), then the runtime's
 * extra env (SinkBinding's K_SINK, DATABASE_URL, KUBECONFIG…), then what Knative and Kubernetes
 * set themselves and a manifest cannot override: PORT, K_SERVICE, K_CONFIGURATION, K_REVISION,
 * and the pod's name as POD_NAME and HOSTNAME (a container's hostname is its pod's name).
 *
 * `fieldRef` to metadata.name, metadata.namespace and status.podIP is answered here (Knative
 * gates it behind kubernetes.podspec-fieldref, which the manifest validation reports).
 */
export async function podEnvironment(container: any, id: PodIdentity, resolve: ResolveEnvFrom | undefined,
  extra: Record<string, string>): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const entry of Array.isArray(container?.env) ? container.env : []) {
    const name = entry?.name;
    if (typeof name !== 'string' || name === '') continue;
    if (entry.value !== undefined || entry.valueFrom === undefined) {
      env[name] = expand(String(entry.value ?? ''), env);
      continue;
    }
    const from = entry.valueFrom;
    const field = from?.fieldRef?.fieldPath;
    if (field !== undefined) {
      const fields: Record<string, string> = { 'metadata.name': id.pod, 'metadata.namespace': id.namespace, 'status.podIP': '127.0.0.1', 'status.hostIP': '127.0.0.1' };
      if (fields[field] === undefined) throw new EnvError(name, `fieldRef ${field} is not supported by the local runtime`);
      env[name] = fields[field]!;
      continue;
    }
    const ref = from?.configMapKeyRef ?? from?.secretKeyRef;
    const value = resolve ? await resolve(id.namespace, from) : undefined;
    if (value !== undefined) env[name] = value;
    else if (!ref?.optional) {
      const kind = from?.configMapKeyRef ? 'configMapKeyRef' : from?.secretKeyRef ? 'secretKeyRef' : 'valueFrom';
      throw new EnvError(name, `${kind} ${ref?.name ?? '?'}/${ref?.key ?? '?'} not found in namespace ${id.namespace}`);
    }
  }
  return {
    ...env,
    ...extra,
    PORT: String(id.port),
    K_SERVICE: id.service,
    K_CONFIGURATION: id.configuration,
    K_REVISION: id.revision,
    POD_NAME: id.pod,
    HOSTNAME: id.pod,
  };
}

/** Kubernetes' dependent variables: `$(NAME)` → an earlier entry's value, `$$` → `$`. */
function expand(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) =>
    name === undefined ? '$' : env[name] ?? m);
}
