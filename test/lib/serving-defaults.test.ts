import test from 'ava';
import { defaultService } from '../../lib/manifests/index.js';

test('a Service gets Knative\'s defaults where it sets nothing, and keeps what it sets', (t) => {
  const svc = { apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 's' },
    spec: { template: { spec: { timeoutSeconds: 30, containers: [{ image: 'x' }] } } } };
  const d = defaultService(svc) as typeof svc & { spec: { traffic: unknown; template: { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } } } };
  t.like(d.spec.template.spec, { containerConcurrency: 0, timeoutSeconds: 30, enableServiceLinks: false });
  t.like(d.spec.template.spec.containers[0], { name: 'user-container', resources: {} });
  t.deepEqual(d.spec.traffic, [{ latestRevision: true, percent: 100 }]);
  t.deepEqual(defaultService(d), d, 'defaulting twice changes nothing');
  t.false('containerConcurrency' in (svc.spec.template.spec as object), 'the input is not changed');
  const trigger = { apiVersion: 'eventing.knative.dev/v1', kind: 'Trigger', metadata: { name: 't' }, spec: {} };
  t.is(defaultService(trigger), trigger, 'other kinds pass through');
});
