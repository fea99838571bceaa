/**
 * The objects Knative derives from a Service, as the Service controller keeps them: its
 * Configuration and Route (same name) and a Revision per template generation, each owned by
 * what made it (ownerReferences), labelled as Knative labels them, with their status. Pure: the
 * objects from a Service and Serving's view of it.
 */
import type { ServiceStatus } from '../serving/serving.js';
import { ok, unknown, withReady } from './conditions.js';
import type { KubeObject } from '../../lib/kube/object.js';

const SERVING = 'serving.knative.dev/v1';

/** What the controller remembers of each revision it made: the template and generation it had. */
export interface RevisionOrigin { template: unknown; generation: number }

const owner = (o: KubeObject, kind: string) => ({ apiVersion: SERVING, kind, name: o.metadata.name, uid: o.metadata.uid ?? '', controller: true, blockOwnerDeletion: true });

export function derivedObjects(service: KubeObject, view: ServiceStatus, origins: ReadonlyMap<string, RevisionOrigin>): { configurations: KubeObject[]; routes: KubeObject[]; revisions: KubeObject[] } {
  const { name, namespace } = service.metadata;
  const spec = service.spec as { template?: { spec?: unknown; metadata?: unknown } };
  const labels = { 'serving.knative.dev/service': name, 'serving.knative.dev/serviceUID': String(service.metadata.uid ?? '') };
  const configReady = view.latestReadyRevision === view.latestCreatedRevision;
  const configuration: KubeObject = {
    apiVersion: SERVING, kind: 'Configuration',
    metadata: { name, namespace, labels, ownerReferences: [owner(service, 'Service')], generation: Number(service.metadata.generation ?? 1) },
    spec: { template: spec.template },
    status: {
      observedGeneration: Number(service.metadata.generation ?? 1),
      latestCreatedRevisionName: view.latestCreatedRevision,
      ...(view.latestReadyRevision ? { latestReadyRevisionName: view.latestReadyRevision } : {}),
      conditions: withReady([configReady ? ok('ConfigurationsReady') : unknown('ConfigurationsReady', 'RevisionMissing', 'waiting for a Revision to become ready')])
        .filter((c) => c.type === 'Ready'),
    },
  };
  const routed = view.revisions.find((r) => r.traffic > 0);
  const route: KubeObject = {
    apiVersion: SERVING, kind: 'Route',
    metadata: { name, namespace, labels, ownerReferences: [owner(service, 'Service')], generation: 1 },
    spec: { traffic: [{ configurationName: name, latestRevision: true, percent: 100 }] },
    status: {
      observedGeneration: 1, url: view.url, address: { url: view.address },
      ...(routed ? { traffic: [{ revisionName: routed.name, latestRevision: true, percent: 100 }] } : {}),
      conditions: withReady([routed ? ok('AllTrafficAssigned') : unknown('AllTrafficAssigned', 'RevisionMissing', 'no Revision is ready yet'), ok('IngressReady')]),
    },
  };
  const revisions = view.revisions.map((r): KubeObject => {
    const origin = origins.get(r.name);
    const template = (origin?.template ?? spec.template) as { spec?: unknown } | undefined;
    return {
      apiVersion: SERVING, kind: 'Revision',
      metadata: {
        name: r.name, namespace, generation: 1, ownerReferences: [owner(configuration, 'Configuration')],
        labels: {
          ...labels, 'serving.knative.dev/configuration': name,
          'serving.knative.dev/configurationGeneration': String(origin?.generation ?? r.generation),
          'serving.knative.dev/routingState': r.traffic > 0 ? 'active' : 'reserve',
        },
      },
      spec: template?.spec ?? {},
      status: {
        observedGeneration: 1, actualReplicas: r.actual, desiredReplicas: r.desired,
        conditions: withReady([r.isReady ? ok('ResourcesAvailable') : unknown('ResourcesAvailable', 'Deploying', 'waiting for its initial scale'), ok('ContainerHealthy')]),
      },
    };
  });
  return { configurations: [configuration], routes: [route], revisions };
}
