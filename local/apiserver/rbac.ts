/**
 * RBAC authorization, as the Kubernetes RBAC authorizer decides it: a request is allowed iff some
 * binding that names the user (or one of its groups) grants a rule matching the verb, API group,
 * resource (with subresource), resource name and namespace. Pure: build a policy from the
 * manifests' objects once, then ask `authorize` per request.
 */
import type { KubeObject } from '../../lib/kube/object.js';

/** Who is asking, as the authenticator found them. */
export interface UserInfo { name: string; groups: readonly string[] }

/** What is being asked: the authorizer's view of a request (k8s `authorizer.Attributes`). */
export interface RequestAttributes {
  user: UserInfo;
  verb: string;
  /** false for non-resource paths such as `/version` or `/api`. */
  resourceRequest: boolean;
  apiGroup: string;
  resource: string;
  subresource: string;
  name: string;
  /** '' for cluster-scoped requests and cluster-wide lists. */
  namespace: string;
  path: string;
}

/** One rule of a Role or ClusterRole. */
export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface Subject { kind: string; name: string; namespace?: string }
interface Binding { namespace?: string; roleRef: { kind: string; name: string }; subjects: Subject[] }

/** The RBAC objects in force, indexed for lookups. */
export interface RbacPolicy {
  roles: ReadonlyMap<string, PolicyRule[]>;          // `<namespace>/<name>`
  clusterRoles: ReadonlyMap<string, PolicyRule[]>;   // `<name>`
  roleBindings: readonly Binding[];
  clusterRoleBindings: readonly Binding[];
  serviceAccounts: ReadonlySet<string>;              // `<namespace>/<name>`
}

/** Members of this group are allowed everything, before RBAC is consulted, as in Kubernetes. */
export const MASTERS_GROUP = 'system:masters';

/** The identity Kubernetes gives a ServiceAccount's token. */
export function serviceAccountUser(namespace: string, name: string): UserInfo {
  return { name: `system:serviceaccount:${namespace}:${name}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'] };
}

/**
 * The part of Kubernetes' bootstrap policy every cluster has, so a ServiceAccount can do what it
 * can anywhere: discovery and `/version` (system:discovery, system:public-info-viewer) and asking
 * what it may do (system:basic-user); and cluster-admin for system:masters.
 */
export const BOOTSTRAP_POLICY: readonly KubeObject[] = [
  // Shown by `kubectl auth can-i --list` for the admin; system:masters is allowed before RBAC anyway.
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'cluster-admin' },
    rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, { nonResourceURLs: ['*'], verbs: ['*'] }] },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'cluster-admin' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: MASTERS_GROUP }] },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'system:discovery' },
    rules: [{ verbs: ['get'], nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'] }] },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'system:public-info-viewer' },
    rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'] }] },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'system:basic-user' },
    rules: [{ verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] }] },
  ...['system:discovery', 'system:public-info-viewer', 'system:basic-user'].map((name): KubeObject => ({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:authenticated' },
      // Only /version and the health checks answer a request without credentials.
      ...(name === 'system:public-info-viewer' ? [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:unauthenticated' }] : [])],
  })),
];

const RBAC_API = 'rbac.authorization.k8s.io/v1';

/** Indexes Roles, ClusterRoles, their bindings and ServiceAccounts; other objects are ignored. */
export function buildPolicy(objects: readonly KubeObject[], { bootstrap = true } = {}): RbacPolicy {
  const roles = new Map<string, PolicyRule[]>();
  const clusterRoles = new Map<string, PolicyRule[]>();
  const roleBindings: Binding[] = [];
  const clusterRoleBindings: Binding[] = [];
  const serviceAccounts = new Set<string>();
  for (const o of bootstrap ? [...BOOTSTRAP_POLICY, ...objects] : objects) {
    const ns = o.metadata.namespace ?? 'default';
    if (o.apiVersion === 'v1' && o.kind === 'ServiceAccount') serviceAccounts.add(`${ns}/${o.metadata.name}`);
    if (o.apiVersion !== RBAC_API) continue;
    const rules = (o.rules as PolicyRule[] | undefined) ?? [];
    const binding = (): Binding => ({ namespace: ns, roleRef: o.roleRef as Binding['roleRef'], subjects: (o.subjects as Subject[] | undefined) ?? [] });
    switch (o.kind) {
      case 'Role': roles.set(`${ns}/${o.metadata.name}`, rules); break;
      case 'ClusterRole': clusterRoles.set(o.metadata.name, rules); break;
      case 'RoleBinding': roleBindings.push(binding()); break;
      case 'ClusterRoleBinding': clusterRoleBindings.push({ ...binding(), namespace: undefined }); break;
    }
  }
  return { roles, clusterRoles, roleBindings, clusterRoleBindings, serviceAccounts };
}

/**
 * Whether a binding's subject names the user. A ServiceAccount subject must carry its namespace:
 * Kubernetes rejects one without it, so it never matches here either.
 */
function appliesTo(s: Subject, user: UserInfo): boolean {
  switch (s.kind) {
    case 'User': return s.name === user.name;
    case 'Group': return user.groups.includes(s.name);
    case 'ServiceAccount': return !!s.namespace && user.name === `system:serviceaccount:${s.namespace}:${s.name}`;
    default: return false;
  }
}

/** The rules a binding grants: a RoleBinding may refer to a Role in its namespace or a ClusterRole. */
function rulesOf(policy: RbacPolicy, b: Binding): PolicyRule[] {
  if (b.roleRef?.kind === 'ClusterRole') return policy.clusterRoles.get(b.roleRef.name) ?? [];
  if (b.roleRef?.kind === 'Role' && b.namespace) return policy.roles.get(`${b.namespace}/${b.roleRef.name}`) ?? [];
  return [];
}

const has = (list: readonly string[] | undefined, v: string) => !!list && (list.includes('*') || list.includes(v));

/** `*` matches any resource and subresource; `*\/sub` matches that subresource of any resource. */
function resourceMatches(rule: PolicyRule, resource: string, subresource: string): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  return (rule.resources ?? []).some((r) => r === '*' || r === combined || (!!subresource && r === `*/${subresource}`));
}

/** A trailing `*` in a nonResourceURL is a prefix match; anything else must be exact. */
function pathMatches(rule: PolicyRule, path: string): boolean {
  return (rule.nonResourceURLs ?? []).some((u) => u === '*' || u === path || (u.endsWith('*') && path.startsWith(u.slice(0, -1))));
}

/** Whether one rule allows the request (k8s `RuleAllows`). */
export function ruleAllows(rule: PolicyRule, a: RequestAttributes): boolean {
  if (!has(rule.verbs, a.verb)) return false;
  if (!a.resourceRequest) return pathMatches(rule, a.path);
  return has(rule.apiGroups, a.apiGroup)
    && resourceMatches(rule, a.resource, a.subresource)
    && (!rule.resourceNames?.length || rule.resourceNames.includes(a.name));
}

/** The rules that apply to a user in a namespace ('' = cluster scope: ClusterRoleBindings only). */
export function rulesFor(policy: RbacPolicy, user: UserInfo, namespace: string): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const b of policy.clusterRoleBindings) if (b.subjects.some((s) => appliesTo(s, user))) out.push(...rulesOf(policy, b));
  if (namespace) {
    for (const b of policy.roleBindings) {
      if (b.namespace === namespace && b.subjects.some((s) => appliesTo(s, user))) out.push(...rulesOf(policy, b));
    }
  }
  return out;
}

/** The decision, and the reason Kubernetes would log. */
export interface Decision { allowed: boolean; reason: string }

/** Decides a request; `system:masters` is allowed everything, as the API server's first authorizer does. */
export function authorize(policy: RbacPolicy, a: RequestAttributes): Decision {
  if (a.user.groups.includes(MASTERS_GROUP)) return { allowed: true, reason: `member of ${MASTERS_GROUP}` };
  // Non-resource URLs are granted only by ClusterRoles through ClusterRoleBindings.
  const ns = a.resourceRequest ? a.namespace : '';
  const rule = rulesFor(policy, a.user, ns).find((r) => ruleAllows(r, a));
  return rule ? { allowed: true, reason: 'RBAC: allowed by a binding' } : { allowed: false, reason: '' };
}

/** The message of a 403, word for word as the API server writes it. */
export function forbiddenMessage(a: RequestAttributes): string {
  const who = JSON.stringify(a.user.name);
  if (!a.resourceRequest) return `forbidden: User ${who} cannot ${a.verb} path ${JSON.stringify(a.path)}`;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const why = `User ${who} cannot ${a.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(a.apiGroup)} `
    + (a.namespace ? `in the namespace ${JSON.stringify(a.namespace)}` : 'at the cluster scope');
  const gr = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource;
  return a.name ? `${gr} ${JSON.stringify(a.name)} is forbidden: ${why}` : `${gr} is forbidden: ${why}`;
}
