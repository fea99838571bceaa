/**
 * Every Kubernetes API call history-ui makes, declared once (the manifest tests prove its Role
 * grants exactly these): caches (list and watch) of the namespace's pods, Knative Services,
 * Triggers and PingSources for the players and the system picture; the table `default`, read
 * (get, then watch) and changed from the page.
 */
export const KUBE_ACCESS = [
  { apiGroup: '', resource: 'pods', verbs: ['list', 'watch'] },
  { apiGroup: 'serving.knative.dev', resource: 'services', verbs: ['list', 'watch'] },
  { apiGroup: 'eventing.knative.dev', resource: 'triggers', verbs: ['list', 'watch'] },
  { apiGroup: 'sources.knative.dev', resource: 'pingsources', verbs: ['list', 'watch'] },
  // The table's settings, shown and changed from the page: that one object only.
  { apiGroup: 'pingpong.dev', resource: 'pingpongtables', verbs: ['get', 'watch', 'patch'], resourceNames: ['default'] },
] as const;
