import test from 'ava';
import { authorize, buildPolicy, forbiddenMessage, serviceAccountUser, type RequestAttributes } from '../../local/apiserver/rbac.js';
import { ADMIN_USER } from '../../local/apiserver/auth.js';
import type { KubeObject } from '../../lib/kube/object.js';

const rbac = 'rbac.authorization.k8s.io/v1';
const role = (name: string, namespace: string, rules: object[]): KubeObject => ({ apiVersion: rbac, kind: 'Role', metadata: { name, namespace }, rules });
const clusterRole = (name: string, rules: object[]): KubeObject => ({ apiVersion: rbac, kind: 'ClusterRole', metadata: { name }, rules });
const sa = (name: string, namespace = 'pingpong') => ({ kind: 'ServiceAccount', name, namespace });
const binding = (kind: 'RoleBinding' | 'ClusterRoleBinding', name: string, namespace: string | undefined, roleKind: string, roleName: string, subjects: object[]): KubeObject =>
  ({ apiVersion: rbac, kind, metadata: { name, ...(namespace ? { namespace } : {}) }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: roleName }, subjects });

/** ping's real RBAC plus a few others that exercise every matching rule. */
const policy = buildPolicy([
  role('ping', 'pingpong', [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }]),
  binding('RoleBinding', 'ping', 'pingpong', 'Role', 'ping', [sa('ping')]),
  role('named', 'pingpong', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'watch', 'list'], resourceNames: ['pingpong-config'] }]),
  binding('RoleBinding', 'named', 'pingpong', 'Role', 'named', [sa('reader')]),
  role('logs', 'pingpong', [{ apiGroups: [''], resources: ['pods/log'], verbs: ['get'] }, { apiGroups: ['apps'], resources: ['*/scale'], verbs: ['update'] }]),
  binding('RoleBinding', 'logs', 'pingpong', 'Role', 'logs', [sa('reader')]),
  clusterRole('knative-all', [{ apiGroups: ['serving.knative.dev'], resources: ['*'], verbs: ['*'] }]),
  binding('RoleBinding', 'scaler', 'pingpong', 'ClusterRole', 'knative-all', [sa('scaler')]),
  clusterRole('pod-watcher', [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }]),
  binding('ClusterRoleBinding', 'watcher', undefined, 'ClusterRole', 'pod-watcher', [sa('watcher', 'monitoring')]),
  binding('RoleBinding', 'group', 'team', 'ClusterRole', 'pod-watcher', [{ kind: 'Group', name: 'system:serviceaccounts:team' }]),
  binding('RoleBinding', 'no-ns', 'pingpong', 'Role', 'ping', [{ kind: 'ServiceAccount', name: 'nonamespace' }]),
  binding('RoleBinding', 'dangling', 'pingpong', 'Role', 'missing', [sa('dangling')]),
  // A RoleBinding cannot lend a Role of another namespace.
  role('other', 'elsewhere', [{ apiGroups: [''], resources: ['pods'], verbs: ['*'] }]),
  binding('RoleBinding', 'cross', 'pingpong', 'Role', 'other', [sa('crosser')]),
]);

const req = (user: string, verb: string, resource: string, namespace: string, extra: Partial<RequestAttributes> = {}): RequestAttributes => {
  const [ns, name] = user.split(':') as [string, string];
  return { user: user === 'admin' ? ADMIN_USER : serviceAccountUser(ns, name), verb, resourceRequest: true, apiGroup: '', resource, subresource: '', name: '', namespace, path: '', ...extra };
};

for (const [sentence, attrs, allowed] of [
  ['ping may list pods in its namespace', req('pingpong:ping', 'list', 'pods', 'pingpong'), true],
  ['ping may not get a pod (only list is granted)', req('pingpong:ping', 'get', 'pods', 'pingpong', { name: 'p' }), false],
  ['ping may not watch pods', req('pingpong:ping', 'watch', 'pods', 'pingpong'), false],
  ['ping may not list pods in another namespace', req('pingpong:ping', 'list', 'pods', 'default'), false],
  ['ping may not list pods cluster-wide', req('pingpong:ping', 'list', 'pods', ''), false],
  ['ping may not list services', req('pingpong:ping', 'list', 'services', 'pingpong'), false],
  ['ping may not list pods of another API group', req('pingpong:ping', 'list', 'pods', 'pingpong', { apiGroup: 'metrics.k8s.io' }), false],
  ['ping may not read pod logs (a subresource is its own resource)', req('pingpong:ping', 'list', 'pods', 'pingpong', { subresource: 'log' }), false],
  ['another SA of the namespace gets nothing from ping\'s binding', req('pingpong:default', 'list', 'pods', 'pingpong'), false],
  ['resourceNames: the named object may be read', req('pingpong:reader', 'get', 'configmaps', 'pingpong', { name: 'pingpong-config' }), true],
  ['resourceNames: another object may not', req('pingpong:reader', 'get', 'configmaps', 'pingpong', { name: 'other' }), false],
  ['resourceNames: a list without a name is not granted', req('pingpong:reader', 'list', 'configmaps', 'pingpong'), false],
  ['resourceNames: a watch of one name (fieldSelector) is granted', req('pingpong:reader', 'watch', 'configmaps', 'pingpong', { name: 'pingpong-config' }), true],
  ['subresource rule pods/log grants the log', req('pingpong:reader', 'get', 'pods', 'pingpong', { subresource: 'log', name: 'p' }), true],
  ['subresource rule pods/log does not grant the pod', req('pingpong:reader', 'get', 'pods', 'pingpong', { name: 'p' }), false],
  ['*/scale grants any resource\'s scale', req('pingpong:reader', 'update', 'deployments', 'pingpong', { apiGroup: 'apps', subresource: 'scale', name: 'd' }), true],
  ['*/scale does not grant the resource itself', req('pingpong:reader', 'update', 'deployments', 'pingpong', { apiGroup: 'apps', name: 'd' }), false],
  ['a ClusterRole through a RoleBinding: wildcard verbs and resources in its group', req('pingpong:scaler', 'patch', 'services', 'pingpong', { apiGroup: 'serving.knative.dev', name: 'forward' }), true],
  ['resources * includes subresources', req('pingpong:scaler', 'update', 'services', 'pingpong', { apiGroup: 'serving.knative.dev', subresource: 'status', name: 'forward' }), true],
  ['a ClusterRole through a RoleBinding stays in that namespace', req('pingpong:scaler', 'patch', 'services', 'default', { apiGroup: 'serving.knative.dev' }), false],
  ['a ClusterRole through a RoleBinding: not other groups', req('pingpong:scaler', 'patch', 'services', 'pingpong'), false],
  ['a ClusterRoleBinding grants in every namespace', req('monitoring:watcher', 'watch', 'pods', 'pingpong'), true],
  ['a ClusterRoleBinding grants cluster-wide', req('monitoring:watcher', 'list', 'pods', ''), true],
  ['a group subject (system:serviceaccounts:<ns>) matches that namespace\'s SAs', req('team:anyone', 'get', 'pods', 'team', { name: 'p' }), true],
  ['a group subject does not match another namespace\'s SAs', req('pingpong:ping', 'get', 'pods', 'team', { name: 'p' }), false],
  ['a ServiceAccount subject without namespace matches nobody (Kubernetes rejects it)', req('pingpong:nonamespace', 'list', 'pods', 'pingpong'), false],
  ['a binding to a missing Role grants nothing', req('pingpong:dangling', 'list', 'pods', 'pingpong'), false],
  ['a RoleBinding cannot use a Role of another namespace', req('pingpong:crosser', 'list', 'pods', 'pingpong'), false],
  ['the admin (system:masters) may do anything', req('admin', 'deletecollection', 'secrets', 'kube-system'), true],
  ['every SA may create a SelfSubjectAccessReview (system:basic-user)', req('pingpong:ping', 'create', 'selfsubjectaccessreviews', '', { apiGroup: 'authorization.k8s.io' }), true],
  ['every SA may read discovery (system:discovery)', req('pingpong:ping', 'get', '', '', { resourceRequest: false, path: '/apis/serving.knative.dev/v1' }), true],
  ['every SA may read /version', req('pingpong:ping', 'get', '', '', { resourceRequest: false, path: '/version' }), true],
  ['an SA may not read other paths', req('pingpong:ping', 'get', '', '', { resourceRequest: false, path: '/metrics' }), false],
  ['an SA may not post to discovery paths', req('pingpong:ping', 'post', '', '', { resourceRequest: false, path: '/api' }), false],
  ['anonymous may read /version only', { ...req('pingpong:x', 'get', '', '', { resourceRequest: false, path: '/version' }), user: { name: 'system:anonymous', groups: ['system:unauthenticated'] } }, true],
  ['anonymous may not read discovery', { ...req('pingpong:x', 'get', '', '', { resourceRequest: false, path: '/api' }), user: { name: 'system:anonymous', groups: ['system:unauthenticated'] } }, false],
] as const) {
  test(`rbac: ${sentence}`, (t) => t.is(authorize(policy, attrs).allowed, allowed));
}

test('rbac: the 403 message is word for word the API server\'s', (t) => {
  t.is(forbiddenMessage(req('pingpong:ping', 'watch', 'pods', 'pingpong')),
    'pods is forbidden: User "system:serviceaccount:pingpong:ping" cannot watch resource "pods" in API group "" in the namespace "pingpong"');
  t.is(forbiddenMessage(req('pingpong:ping', 'get', 'pods', 'pingpong', { name: 'p1' })),
    'pods "p1" is forbidden: User "system:serviceaccount:pingpong:ping" cannot get resource "pods" in API group "" in the namespace "pingpong"');
  t.is(forbiddenMessage(req('pingpong:ping', 'list', 'pods', '')),
    'pods is forbidden: User "system:serviceaccount:pingpong:ping" cannot list resource "pods" in API group "" at the cluster scope');
  t.is(forbiddenMessage(req('pingpong:ping', 'patch', 'services', 'pingpong', { apiGroup: 'serving.knative.dev', name: 'forward', subresource: 'status' })),
    'services.serving.knative.dev "forward" is forbidden: User "system:serviceaccount:pingpong:ping" cannot patch resource "services/status" in API group "serving.knative.dev" in the namespace "pingpong"');
  t.is(forbiddenMessage(req('pingpong:ping', 'get', '', '', { resourceRequest: false, path: '/metrics' })),
    'forbidden: User "system:serviceaccount:pingpong:ping" cannot get path "/metrics"');
});

test('rbac: setRbac input ignores objects that are not RBAC', (t) => {
  const p = buildPolicy([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'pingpong' } }, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'ping', namespace: 'pingpong' } }]);
  t.true(p.serviceAccounts.has('pingpong/ping'));
  t.is(p.roleBindings.length, 0);
});
