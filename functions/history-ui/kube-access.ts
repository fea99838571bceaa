/**
 * Every Kubernetes API call history-ui makes, declared once (the manifest tests prove its Role
 * grants exactly these): the players are the live worker pods, kept by an informer.
 */
export const KUBE_ACCESS = [{ apiGroup: '', resource: 'pods', verbs: ['list', 'watch'] }] as const;
