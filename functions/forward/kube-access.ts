/**
 * Every Kubernetes API call forward makes, declared once: peering keeps the live worker pods (an
 * informer: list and watch) and the one table (get and watch on `default`), nothing more; the
 * manifest tests prove forward's Role grants exactly these.
 */
export const KUBE_ACCESS = [
  { apiGroup: '', resource: 'pods', verbs: ['list', 'watch'] },
  { apiGroup: 'pingpong.dev', resource: 'pingpongtables', verbs: ['get', 'watch'], resourceNames: ['default'] },
] as const;
