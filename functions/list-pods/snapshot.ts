import type { V1Pod } from '@kubernetes/client-node';
import type { DataOf, PODS_LISTED, PodInfo } from '../../lib/contract/index.js';

export type PodsListed = DataOf<typeof PODS_LISTED>;

import { SERVICE_LABEL, isLive, revisionOf, servingPort } from '../../lib/kube/pods.js';

export function podInfo(p: V1Pod): PodInfo {
  return {
    name: p.metadata?.name ?? '',
    ip: p.status?.podIP ?? '',
    port: servingPort(p) ?? 0,
    // Pending until scheduled and started: a snapshot shows which pods are still coming up.
    phase: p.status?.phase ?? 'Unknown',
    revision: revisionOf(p),
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
