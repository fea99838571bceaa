/**
 * Every Kubernetes API call ping makes, declared once: `workers.ts` calls only these, and the
 * manifest tests prove ping's Role grants exactly these, so code and RBAC cannot drift.
 */
export const KUBE_ACCESS = [
  { apiGroup: '', resource: 'pods', verbs: ['list'] },
  // The table's balls settings, followed live (lib/kube/table-watch.ts).
  { apiGroup: 'pingpong.dev', resource: 'pingpongtables', verbs: ['get', 'watch'], resourceNames: ['default'] },
] as const;
