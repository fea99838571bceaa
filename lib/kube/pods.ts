/**
 * What the functions read off a Kubernetes Pod, pure and in one place: the labels Knative puts on
 * it, its serving port (not the queue-proxy's), whether it is live and whether it is ready.
 */

/** The label Knative Serving puts on every pod of a Service, and of a Revision. */
export const SERVICE_LABEL = 'serving.knative.dev/service';
export const REVISION_LABEL = 'serving.knative.dev/revision';

/** The shape read here: client-node's V1Pod and the API's JSON both fit. */
export interface PodLike {
  metadata?: { name?: string; deletionTimestamp?: unknown; labels?: Record<string, string> };
  spec?: { containers?: Array<{ name?: string; ports?: Array<{ containerPort?: number }> }> };
  status?: { phase?: string; podIP?: string; conditions?: Array<{ type?: string; status?: string }>; startTime?: unknown };
}

/** The serving port: Knative adds a queue-proxy container beside the user's, whose ports are not the function's. */
export const servingPort = (p: PodLike): number | undefined =>
  p.spec?.containers?.find((c) => c.name !== 'queue-proxy' && c.ports?.length)?.ports?.[0]?.containerPort;

const FINISHED = new Set(['Succeeded', 'Failed']);
/** Not being deleted and not finished: still part of the pool, ready or coming up. */
export const isLive = (p: PodLike): boolean => !p.metadata?.deletionTimestamp && !FINISHED.has(p.status?.phase ?? '');

/** Running, not being deleted, and its Ready condition True: it can take a request now. */
export const isReady = (p: PodLike): boolean =>
  p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

export const revisionOf = (p: PodLike): string => p.metadata?.labels?.[REVISION_LABEL] ?? '';

/**
 * The newest revision among the ready pods: the one a Route sends traffic to once it has rolled
 * out (Knative names a Service's revisions `<name>-<generation, 5 digits>`, so by name is by age).
 * Pods of older revisions drain and take no new requests, so a ball aimed at one is never caught.
 */
export function newestReadyRevision(pods: readonly PodLike[]): string | undefined {
  let newest: string | undefined;
  for (const p of pods) {
    const r = revisionOf(p);
    if (r && isReady(p) && (newest === undefined || r > newest)) newest = r;
  }
  return newest;
}

/** A live worker as the pod lister's page, /peers and the history UI's players list it. */
export interface Peer { name: string; ip: string; port: number; revision: string; since: string }

const sinceOf = (p: PodLike): string => {
  const t = p.status?.startTime;
  return t instanceof Date ? t.toISOString() : typeof t === 'string' ? t : '';
};

/** The ready workers, by name: the same list from every replica that sees the same pods. */
export function livePeers(pods: readonly PodLike[]): Peer[] {
  return pods.filter((p) => isReady(p) && p.metadata?.name)
    .map((p) => ({ name: p.metadata!.name!, ip: p.status?.podIP ?? '', port: servingPort(p) ?? 0, revision: revisionOf(p), since: sinceOf(p) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

