/**
 * What `pingpong status` shows, read from the API's objects as `kubectl get ksvc,revisions,pods,
 * brokers,triggers,pingsources` reads them: the controllers write status there, so this view and kubectl
 * cannot disagree. What the API does not hold — requests queued in the activator or in flight in
 * a pod, the Broker's delivery counters — comes from the runtime's own gauges, named as such.
 */
import type { KubeObject } from '../../lib/kube/object.js';
import type { BrokerStatsSnapshot } from '../broker/index.js';

/** The objects the view reads, as the API lists them. */
export interface StatusObjects {
  services: readonly KubeObject[];
  brokers: readonly KubeObject[];
  revisions: readonly KubeObject[];
  pods: readonly KubeObject[];
  triggers: readonly KubeObject[];
  pingSources: readonly KubeObject[];
}

/** Gauges only the runtime knows. */
export interface RuntimeGauges {
  /** Requests buffered in the activator, by `<namespace>/<service>`. */
  queued: ReadonlyMap<string, number>;
  /** Requests a pod is serving now, by pod name. */
  inFlight: ReadonlyMap<string, number>;
  broker: BrokerStatsSnapshot;
}

export interface RevisionView {
  name: string;
  /** status.traffic percent the Service's route gives it. */
  traffic: number;
  desired: number;
  actual: number;
  /** Pods of the revision whose Ready condition is True. */
  ready: number;
  inFlight: number;
}

export interface ServiceView {
  namespace: string;
  name: string;
  visibility: 'external' | 'cluster-local';
  url: string;
  address: string;
  ready: 'True' | 'False' | 'Unknown';
  latestCreatedRevision: string;
  latestReadyRevision?: string;
  revisions: RevisionView[];
  queued: number;
}

export interface PodView {
  namespace: string;
  name: string;
  service: string;
  revision: string;
  phase: string;
  ready: boolean;
  /** Deleted and draining (metadata.deletionTimestamp set). */
  terminating: boolean;
  ip: string;
  port: number;
  inFlight: number;
}

export interface RuntimeStatus {
  services: ServiceView[];
  pods: PodView[];
  broker: BrokerStatsSnapshot;
  /** status.address.url is the Broker's ingress, once its controller made it Ready. */
  brokers: Array<{ namespace: string; name: string; url: string; ready: string }>;
  triggers: Array<{ namespace: string; name: string; broker: string; subscriber: string; ready: string }>;
  pingSources: Array<{ namespace: string; name: string; schedule: string; ready: string }>;
}

const nsOf = (o: KubeObject) => o.metadata.namespace ?? 'default';
const label = (o: KubeObject, key: string) => o.metadata.labels?.[key] ?? '';
const condition = (o: KubeObject, type = 'Ready'): 'True' | 'False' | 'Unknown' =>
  (o.status?.conditions as Array<{ type: string; status: 'True' | 'False' | 'Unknown' }> | undefined)?.find((c) => c.type === type)?.status ?? 'Unknown';
const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

export function podView(p: KubeObject, gauges: Pick<RuntimeGauges, 'inFlight'>): PodView {
  return {
    namespace: nsOf(p), name: p.metadata.name,
    service: label(p, 'serving.knative.dev/service'), revision: label(p, 'serving.knative.dev/revision'),
    phase: String(p.status?.phase ?? 'Pending'),
    ready: condition(p) === 'True',
    terminating: p.metadata.deletionTimestamp !== undefined,
    ip: String(p.status?.podIP ?? ''),
    port: Number(p.spec?.containers?.[0]?.ports?.[0]?.containerPort ?? 0),
    inFlight: gauges.inFlight.get(p.metadata.name) ?? 0,
  };
}

export function statusView(objects: StatusObjects, gauges: RuntimeGauges): RuntimeStatus {
  const pods = objects.pods.map((p) => podView(p, gauges)).sort(byName);
  const services = objects.services.map((s): ServiceView => {
    const ns = nsOf(s);
    const traffic = new Map(((s.status?.traffic ?? []) as Array<{ revisionName: string; percent?: number }>).map((t) => [t.revisionName, t.percent ?? 0]));
    const revisions = objects.revisions
      .filter((r) => nsOf(r) === ns && label(r, 'serving.knative.dev/service') === s.metadata.name)
      .map((r): RevisionView => {
        const own = pods.filter((p) => p.namespace === ns && p.revision === r.metadata.name);
        return {
          name: r.metadata.name, traffic: traffic.get(r.metadata.name) ?? 0,
          desired: Number(r.status?.desiredReplicas ?? 0), actual: Number(r.status?.actualReplicas ?? 0),
          ready: own.filter((p) => p.ready && !p.terminating).length,
          inFlight: own.reduce((n, p) => n + p.inFlight, 0),
        };
      }).sort(byName);
    return {
      namespace: ns, name: s.metadata.name,
      visibility: label(s, 'networking.knative.dev/visibility') === 'cluster-local' ? 'cluster-local' : 'external',
      url: String(s.status?.url ?? ''), address: String(s.status?.address?.url ?? ''),
      ready: condition(s),
      latestCreatedRevision: String(s.status?.latestCreatedRevisionName ?? ''),
      ...(s.status?.latestReadyRevisionName ? { latestReadyRevision: String(s.status.latestReadyRevisionName) } : {}),
      revisions,
      queued: gauges.queued.get(`${ns}/${s.metadata.name}`) ?? 0,
    };
  }).sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  return {
    services, pods, broker: gauges.broker,
    brokers: objects.brokers.map((b) => ({ namespace: nsOf(b), name: b.metadata.name, url: String(b.status?.address?.url ?? ''), ready: condition(b) })),
    triggers: objects.triggers.map((t) => ({
      namespace: nsOf(t), name: t.metadata.name, broker: String(t.spec?.broker ?? ''),
      // The controller's answer (it also checks that a referred Service exists), not a second resolution.
      subscriber: String(t.status?.subscriberUri ?? '(unresolved)'), ready: condition(t),
    })),
    pingSources: objects.pingSources.map((p) => ({
      namespace: nsOf(p), name: p.metadata.name, schedule: String(p.spec?.schedule ?? ''), ready: condition(p),
    })),
  };
}
