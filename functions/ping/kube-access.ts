/**
 * Every Kubernetes API call ping makes, declared once: `workers.ts` calls only these, and the
 * manifest tests prove ping's Role grants exactly these, so code and RBAC cannot drift.
 */
export const KUBE_ACCESS = [{ apiGroup: '', resource: 'pods', verbs: ['list'] }] as const;
