import test from 'ava';
import { podObject } from '../../local/apiserver/pods.js';
import { statusView } from '../../local/runtime/status-view.js';
import type { KubeObject } from '../../lib/kube/object.js';
import type { PodRecord } from '../../local/types.js';

const pod = (name: string, revision: string, over: Partial<PodRecord> = {}, deleted = false): KubeObject => podObject({
  name, namespace: 'pingpong', service: 'forward', configuration: 'forward', revision, ip: '127.0.0.1', port: 40000 + name.length,
  phase: 'Running', ready: true, terminating: false, inFlight: 0, startedAt: new Date(), ...over,
}, { uid: `uid-${name}`, ...(deleted ? { deletionTimestamp: '2026-12-03T00:00:00Z' } : {}) });

const ksvc: KubeObject = {
  apiVersion: 'serving.knative.dev/v1', kind: 'Service',
  metadata: { name: 'forward', namespace: 'pingpong', labels: { 'networking.knative.dev/visibility': 'cluster-local' } },
  status: {
    url: 'http://forward.pingpong.svc.cluster.local', address: { url: 'http://forward.pingpong.svc.cluster.local' },
    latestCreatedRevisionName: 'forward-00002', latestReadyRevisionName: 'forward-00001',
    traffic: [{ revisionName: 'forward-00001', percent: 100 }],
    conditions: [{ type: 'Ready', status: 'True' }],
  },
};
const revision = (name: string, desired: number, actual: number): KubeObject => ({
  apiVersion: 'serving.knative.dev/v1', kind: 'Revision',
  metadata: { name, namespace: 'pingpong', labels: { 'serving.knative.dev/service': 'forward' } },
  status: { desiredReplicas: desired, actualReplicas: actual },
});

test('the view is what the API objects say, with the runtime gauges beside it', (t) => {
  const s = statusView({
    services: [ksvc],
    brokers: [{ apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name: 'default', namespace: 'pingpong' },
      status: { address: { url: 'http://localhost:9/pingpong/default' }, conditions: [{ type: 'Ready', status: 'True' }] } }],
    revisions: [revision('forward-00002', 1, 1), revision('forward-00001', 2, 3)],
    pods: [pod('forward-00001-deployment-a', 'forward-00001'), pod('forward-00001-deployment-b', 'forward-00001', { inFlight: 2 }),
      pod('forward-00001-deployment-c', 'forward-00001', {}, true), pod('forward-00002-deployment-d', 'forward-00002', { ready: false, phase: 'Pending' })],
    triggers: [{ apiVersion: 'eventing.knative.dev/v1', kind: 'Trigger', metadata: { name: 'forward', namespace: 'pingpong' },
      spec: { broker: 'default' }, status: { subscriberUri: 'http://forward.pingpong.svc.cluster.local/', conditions: [{ type: 'Ready', status: 'False' }] } }],
    pingSources: [{ apiVersion: 'sources.knative.dev/v1', kind: 'PingSource', metadata: { name: 'serve-balls', namespace: 'pingpong' }, spec: { schedule: '*/1 * * * *' } }],
  }, {
    queued: new Map([['pingpong/forward', 4]]),
    inFlight: new Map([['forward-00001-deployment-b', 2]]),
    broker: { brokers: [], triggers: [] },
  });
  const [svc] = s.services;
  t.like(svc, { name: 'forward', visibility: 'cluster-local', ready: 'True', latestReadyRevision: 'forward-00001', latestCreatedRevision: 'forward-00002', queued: 4 });
  t.deepEqual(svc!.revisions, [
    { name: 'forward-00001', traffic: 100, desired: 2, actual: 3, ready: 2, inFlight: 2 },
    { name: 'forward-00002', traffic: 0, desired: 1, actual: 1, ready: 0, inFlight: 0 },
  ], 'sorted by name; a terminating pod is not counted ready; traffic from status.traffic');
  const c = s.pods.find((p) => p.name.endsWith('-c'))!;
  t.true(c.terminating, 'deletionTimestamp means terminating');
  t.like(s.pods.find((p) => p.name.endsWith('-d')), { ready: false, phase: 'Pending', revision: 'forward-00002', ip: '127.0.0.1', port: 40000 + 'forward-00002-deployment-d'.length });
  t.deepEqual(s.brokers, [{ namespace: 'pingpong', name: 'default', url: 'http://localhost:9/pingpong/default', ready: 'True' }]);
  t.deepEqual(s.triggers, [{ namespace: 'pingpong', name: 'forward', broker: 'default', subscriber: 'http://forward.pingpong.svc.cluster.local/', ready: 'False' }]);
  t.deepEqual(s.pingSources, [{ namespace: 'pingpong', name: 'serve-balls', schedule: '*/1 * * * *', ready: 'Unknown' }], 'no status yet: Unknown');
});
