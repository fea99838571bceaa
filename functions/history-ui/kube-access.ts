/**
 * Every Kubernetes API call history-ui makes, declared once (the manifest tests prove its Role
 * grants exactly these): the players are the live worker pods, kept by an informer; the table's
 * workers may be changed from the page.
 */
export const KUBE_ACCESS = [
  { apiGroup: '', resource: 'pods', verbs: ['list', 'watch'] },
  // The page's one write: a change of the table default's workers.
  { apiGroup: 'pingpong.dev', resource: 'pingpongtables', verbs: ['patch'], resourceNames: ['default'] },
] as const;
