import type { V1Pod } from '@kubernetes/client-node';
import type { DataOf, PODS_LISTED, PodInfo } from '../../lib/contract/index.js';

export type PodsListed = DataOf<typeof PODS_LISTED>;

/** The label Knative Serving puts on every pod of a Service, and on a pod of a Revision. */
export const SERVICE_LABEL = 'serving.knative.dev/service';
const REVISION_LABEL = 'serving.knative.dev/revision';

/** A finished pod never serves again; one being deleted is on its way out. Both are history, not the pool. */
const FINISHED = new Set(['Succeeded', 'Failed']);
const isLive = (p: V1Pod): boolean => !p.metadata?.deletionTimestamp && !FINISHED.has(p.status?.phase ?? '');

/** The serving port: Knative adds a queue-proxy container beside the user's, whose ports are not the function's. */
const servingPort = (p: V1Pod): number =>
  p.spec?.containers?.find((c) => c.name !== 'queue-proxy' && c.ports?.length)?.ports?.[0]?.containerPort ?? 0;

export function podInfo(p: V1Pod): PodInfo {
  return {
    name: p.metadata?.name ?? '',
    ip: p.status?.podIP ?? '',
    port: servingPort(p),
    // Pending until scheduled and started: a snapshot shows which pods are still coming up.
    phase: p.status?.phase ?? 'Unknown',
    revision: p.metadata?.labels?.[REVISION_LABEL] ?? '',
  };
}

/**
 * The live pods of one Service at one moment, sorted by name so that two snapshots of the same
 * pods are equal whatever order the cache or the API returned them in.
 */
export function snapshot(service: string, pods: readonly V1Pod[], cause: string): PodsListed {
  const live = pods.filter((p) => isLive(p) && p.metadata?.name && p.metadata.labels?.[SERVICE_LABEL] === service);
  return {
    service,
    pods: live.map(podInfo).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    cause,
  };
}
