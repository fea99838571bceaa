import type { LoadedResource } from '../../lib/manifests/index.js';
import type { KubeObject } from '../types.js';

/** The resources the local runtime runs, by role; everything else it reports and skips. */
export interface Resources {
  services: KubeObject[];
  brokers: KubeObject[];
  triggers: KubeObject[];
  pingSources: KubeObject[];
  sinkBindings: KubeObject[];
  configMaps: KubeObject[];
  rbac: KubeObject[];
  namespaces: KubeObject[];
  skipped: Array<{ resource: string; why: string }>;
}

const key = (o: KubeObject) => `${o.apiVersion.split('/')[0]}|${o.kind}|${o.metadata.namespace ?? ''}|${o.metadata.name}`;
const describe = (o: KubeObject) => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

/**
 * Later files win over earlier ones for the same kind, namespace and name, as `kubectl apply -f`
 * would leave it: a user's `-f my-pingsource.yaml` replaces the shipped one.
 */
export function mergeResources(...sets: LoadedResource[][]): LoadedResource[] {
  const byKey = new Map<string, LoadedResource>();
  for (const set of sets) for (const r of set) {
    const k = key(r.object as KubeObject);
    byKey.delete(k);
    byKey.set(k, r);
  }
  return [...byKey.values()];
}

const WHY_SKIPPED: Record<string, string> = {
  StatefulSet: 'PostgreSQL is embedded locally',
  Job: 'migrations run at start locally',
  Service: 'plain Kubernetes Services are not emulated (PostgreSQL is embedded)',
  Secret: 'the runtime supplies DATABASE_URL itself',
};

export function sortResources(loaded: readonly LoadedResource[]): Resources {
  const out: Resources = { services: [], brokers: [], triggers: [], pingSources: [], sinkBindings: [], configMaps: [], rbac: [], namespaces: [], skipped: [] };
  for (const { object } of loaded) {
    const o = object as KubeObject;
    const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
    switch (`${group}/${o.kind}`) {
      case 'serving.knative.dev/Service': out.services.push(o); break;
      case 'eventing.knative.dev/Broker': out.brokers.push(o); break;
      case 'eventing.knative.dev/Trigger': out.triggers.push(o); break;
      case 'sources.knative.dev/PingSource': out.pingSources.push(o); break;
      case 'sources.knative.dev/SinkBinding': out.sinkBindings.push(o); break;
      case '/ConfigMap': out.configMaps.push(o); break;
      case '/Namespace': out.namespaces.push(o); break;
      case '/ServiceAccount':
      case 'rbac.authorization.k8s.io/Role':
      case 'rbac.authorization.k8s.io/RoleBinding':
      case 'rbac.authorization.k8s.io/ClusterRole':
      case 'rbac.authorization.k8s.io/ClusterRoleBinding': out.rbac.push(o); break;
      default: out.skipped.push({ resource: describe(o), why: WHY_SKIPPED[o.kind] ?? 'not emulated by the local runtime' });
    }
  }
  return out;
}
