/**
 * Every Kubernetes API call history-ui makes, declared once (the manifest tests prove its Role
 * grants exactly these): the players are the live worker pods, kept by an informer; the system
 * picture lists the Services, Triggers and PingSources; the table's workers may be changed from
 * the page.
 */
export const KUBE_ACCESS = [
  { apiGroup: '', resource: 'pods', verbs: ['list', 'watch'] },
  // The system picture: the Services, Triggers and PingSources as they are, read when asked.
  { apiGroup: 'serving.knative.dev', resource: 'services', verbs: ['list'] },
  { apiGroup: 'eventing.knative.dev', resource: 'triggers', verbs: ['list'] },
  { apiGroup: 'sources.knative.dev', resource: 'pingsources', verbs: ['list'] },
  // The page's one write: a change of the table default's workers.
  { apiGroup: 'pingpong.dev', resource: 'pingpongtables', verbs: ['patch'], resourceNames: ['default'] },
] as const;
