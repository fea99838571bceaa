/**
 * Every Kubernetes API call scale-workers makes, declared once: kube.ts calls only these, and the
 * manifest tests prove its Role grants exactly these. It reads the table default (a get and a
 * watch of that one object keep it current; a get re-reads it after a conflict), pins the forward
 * Service's scale, and reports in that table's status.
 */
export const KUBE_ACCESS = [
  { apiGroup: 'serving.knative.dev', resource: 'services', verbs: ['get', 'patch'], resourceNames: ['forward'] },
  { apiGroup: 'pingpong.dev', resource: 'pingpongtables', verbs: ['get', 'watch'], resourceNames: ['default'] },
  { apiGroup: 'pingpong.dev', resource: 'pingpongtables/status', verbs: ['update'], resourceNames: ['default'] },
] as const;
