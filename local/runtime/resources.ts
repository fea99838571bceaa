import { referencesOf, type LoadedResource } from '../../lib/manifests/index.js';
import type { KubeObject } from '../../lib/kube/object.js';

/** What the local runtime does with the manifests: the objects it runs or serves, and the rest with why not. */
export interface LocalPlan {
  runs: KubeObject[];
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
    const k = key(r.object);
    byKey.delete(k);
    byKey.set(k, r);
  }
  return [...byKey.values()];
}

const WHY_SKIPPED: Record<string, string> = {
  StatefulSet: 'PostgreSQL is embedded locally',
  Job: 'Jobs do not run locally: the runtime migrates the embedded PostgreSQL and makes its passwords at start',
  Service: 'plain Kubernetes Services are not emulated (PostgreSQL is embedded)',
  Secret: 'the runtime supplies DATABASE_URL itself (the embedded PostgreSQL\'s credentials)',
};

const RBAC = new Set(['/ServiceAccount', 'rbac.authorization.k8s.io/Role', 'rbac.authorization.k8s.io/RoleBinding',
  'rbac.authorization.k8s.io/ClusterRole', 'rbac.authorization.k8s.io/ClusterRoleBinding']);
/** What the runtime runs or serves, by `<group>/<kind>`; anything else is skipped. */
const RUNS = new Set(['serving.knative.dev/Service', 'eventing.knative.dev/Broker', 'eventing.knative.dev/Trigger',
  'sources.knative.dev/PingSource', 'sources.knative.dev/SinkBinding', 'sources.knative.dev/ApiServerSource',
  '/ConfigMap', '/Namespace', ...RBAC,
  // Served by the API, which enforces them: CRDs and their objects, admission policies.
  'apiextensions.k8s.io/CustomResourceDefinition', 'pingpong.dev/PingPongTable',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy', 'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
  // Stored, so kubectl shows them as on a cluster, but not enforced: pods here share the host's
  // loopback, with no pod network to filter (docs/risks.md, Network policies).
  'networking.k8s.io/NetworkPolicy']);

const groupKind = (o: KubeObject) => `${o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : ''}/${o.kind}`;

export function planResources(loaded: readonly LoadedResource[]): LocalPlan {
  const out: LocalPlan = { runs: [], skipped: [] };
  const unusedRbac = rbacOnlyForSkipped(loaded);
  for (const { object: o } of loaded) {
    const why = unusedRbac.get(describe(o)) ?? (RUNS.has(groupKind(o)) ? undefined : WHY_SKIPPED[o.kind] ?? 'not emulated by the local runtime');
    if (why) out.skipped.push({ resource: describe(o), why });
    else out.runs.push(o);
  }
  return out;
}

/**
 * The RBAC that exists only for workloads the runtime skips (the credentials Job's ServiceAccount,
 * Role and RoleBinding), by `describe()` name, with the reason: a ServiceAccount that only skipped
 * objects use, the bindings whose every subject is such a ServiceAccount, and the roles only those
 * bindings grant. The rest stays, so the local API enforces the cluster's RBAC on what runs here.
 */
function rbacOnlyForSkipped(loaded: readonly LoadedResource[]): Map<string, string> {
  const users = new Map<string, { runs: boolean; skipped: string[] }>();
  for (const r of loaded) {
    const o = r.object;
    if (RBAC.has(groupKind(o))) continue;
    for (const ref of referencesOf(r)) {
      if (ref.kind !== 'ServiceAccount') continue;
      const k = `${ref.namespace}/${ref.name}`;
      const u = users.get(k) ?? { runs: false, skipped: [] };
      if (RUNS.has(groupKind(o))) u.runs = true; else u.skipped.push(describe(o));
      users.set(k, u);
    }
  }
  const unused = new Map([...users].filter(([, u]) => !u.runs && u.skipped.length > 0).map(([k, u]) => [k, u.skipped]));
  const out = new Map<string, string>();
  if (unused.size === 0) return out;
  const grants = new Map<string, boolean[]>(); // role → for each binding of it: is the binding skipped?
  for (const { object } of loaded) {
    const o = object as KubeObject & { subjects?: Array<{ kind: string; name: string; namespace?: string }>; roleRef?: { kind: string; name: string } };
    const ns = o.metadata.namespace ?? 'default';
    if (o.kind === 'ServiceAccount' && unused.has(`${ns}/${o.metadata.name}`)) {
      out.set(describe(o), `used only by ${unused.get(`${ns}/${o.metadata.name}`)!.join(', ')}, which the local runtime does not run`);
    }
    if (o.kind !== 'RoleBinding' && o.kind !== 'ClusterRoleBinding') continue;
    const subjects = (o.subjects ?? []).map((x) => ({ ...x, key: `${x.namespace ?? ns}/${x.name}` }));
    const skip = subjects.length > 0 && subjects.every((x) => x.kind === 'ServiceAccount' && unused.has(x.key));
    if (skip) out.set(describe(o), `binds only ServiceAccount ${subjects.map((x) => x.key).join(', ')}, skipped`);
    const role = o.roleRef?.kind === 'ClusterRole' ? `ClusterRole/${o.roleRef.name}` : `Role/${ns}/${o.roleRef?.name}`;
    grants.set(role, [...(grants.get(role) ?? []), skip]);
  }
  for (const [role, skips] of grants) if (skips.every(Boolean)) out.set(role, 'granted only to skipped ServiceAccounts');
  return out;
}
