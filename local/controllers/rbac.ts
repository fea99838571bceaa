/**
 * RBAC from the API, as a cluster's authorizer reads it: the Roles, ClusterRoles, their bindings
 * and the ServiceAccounts the API holds now, so a Role applied or edited with kubectl takes
 * effect at once.
 */
import type { LocalApiServer, ObjectStore } from '../apiserver/index.js';
import { watchAll } from './watch-all.js';
import type { KubeObject } from '../../lib/kube/object.js';

export function startRbacController(api: LocalApiServer): () => void {
  const stores = [
    api.objects('rbac.authorization.k8s.io', 'roles'), api.objects('rbac.authorization.k8s.io', 'rolebindings'),
    api.objects('rbac.authorization.k8s.io', 'clusterroles'), api.objects('rbac.authorization.k8s.io', 'clusterrolebindings'),
    api.objects('', 'serviceaccounts'),
  ].filter((s): s is ObjectStore => s !== undefined);
  return watchAll(stores, () => api.setRbac(stores.flatMap((s) => s.list().items) as KubeObject[]));
}
