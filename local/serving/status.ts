import type { PodRecord } from '../types.js';
import type { Pod } from './pod.js';
import { livePods, readyPods, type Service } from './state.js';

/**
 * The views the outside gets of Services and pods (status.url, revisions, traffic…): copies, so
 * callers never hold the internal records. Pure: no I/O.
 */

export const CLUSTER_LOCAL_DOMAIN = 'svc.cluster.local';
export const VISIBILITY_LABEL = 'networking.knative.dev/visibility';

/** One revision in a status view. */
export interface RevisionStatus {
  name: string;
  generation: number;
  /** The autoscaler's current decision. */
  desired: number;
  /** Pods running or starting, not terminating. */
  actual: number;
  ready: number;
  inFlight: number;
  /** 100 for the revision the route sends traffic to, else 0. */
  traffic: number;
  /** Whether the revision has reached its initial scale once (Knative's Ready condition). */
  isReady: boolean;
  warnings: string[];
}

/** One Service in a status view. */
export interface ServiceStatus {
  name: string;
  namespace: string;
  visibility: 'external' | 'cluster-local';
  /** status.url: the external URL, or the cluster-local one for a cluster-local Service. */
  url: string;
  /** status.address.url: always the cluster-local URL. */
  address: string;
  latestCreatedRevision: string;
  latestReadyRevision?: string;
  revisions: RevisionStatus[];
  /** Requests buffered in the activator now. */
  queued: number;
}

/** A Service's status; `domain` is the external one (config-domain). */
export function serviceStatus(svc: Service, domain: string): ServiceStatus {
  const local = `http://${svc.name}.${svc.namespace}.${CLUSTER_LOCAL_DOMAIN}`;
  const clusterLocal = svc.object.metadata.labels?.[VISIBILITY_LABEL] === 'cluster-local';
  return {
    name: svc.name,
    namespace: svc.namespace,
    visibility: clusterLocal ? 'cluster-local' : 'external',
    url: clusterLocal ? local : `http://${svc.name}.${svc.namespace}.${domain}`,
    address: local,
    latestCreatedRevision: svc.revisions.at(-1)!.name,
    latestReadyRevision: [...svc.revisions].reverse().find((r) => r.isReady)?.name,
    queued: svc.activator.queued,
    revisions: svc.revisions.map((r) => ({
      name: r.name,
      generation: r.generation,
      desired: r.desired,
      actual: livePods(r).length,
      ready: readyPods(r),
      inFlight: [...r.pods].reduce((n, p) => n + p.record.inFlight, 0),
      traffic: svc.routed === r ? 100 : 0,
      isReady: r.isReady,
      warnings: r.settings.warnings,
    })),
  };
}

/** Snapshots of every pod, those of removed Services (`exiting`) included until they exit. */
export function podSnapshots(services: Iterable<Service>, exiting: Iterable<Pod>): PodRecord[] {
  const out: PodRecord[] = [];
  for (const svc of services) for (const rev of svc.revisions) for (const pod of rev.pods) out.push({ ...pod.record });
  for (const pod of exiting) out.push({ ...pod.record });
  return out;
}
