/**
 * Every Kubernetes API call list-pods makes, declared once: `workers.ts` calls only these, and the
 * manifest tests prove list-pods' Role grants exactly these, so code and RBAC cannot drift.
 * `list` and `watch` are the two halves of an informer; no `get`: the cache answers that.
 */
export const KUBE_ACCESS = [{ apiGroup: '', resource: 'pods', verbs: ['list', 'watch'] }] as const;
