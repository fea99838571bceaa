import test from 'ava';
import type { V1Pod } from '@kubernetes/client-node';
import { APISERVER_ADD, APISERVER_DELETE, APISERVER_UPDATE, parseData } from '../../lib/contract/index.js';
import { podInfo, snapshot } from '../../functions/list-pods/snapshot.js';
import { POD_CAUSE, podChange } from '../../functions/list-pods/cause.js';

/** A Knative pod as the API returns it: the user container, then queue-proxy. */
const pod = (name: string, over: { phase?: string; ip?: string; port?: number; service?: string; deleting?: boolean; revision?: string } = {}): V1Pod => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: {
    name, namespace: 'pingpong', resourceVersion: '7',
    labels: { 'serving.knative.dev/service': over.service ?? 'forward', 'serving.knative.dev/revision': over.revision ?? 'forward-00001' },
    ...(over.deleting ? { deletionTimestamp: new Date('2026-01-01T00:00:00Z') } : {}),
  },
  spec: { containers: [
    { name: 'user-container', ports: [{ containerPort: over.port ?? 8080 }] },
    { name: 'queue-proxy', ports: [{ containerPort: 8012 }] },
  ] },
  status: { phase: over.phase ?? 'Running', ...(over.ip === '' ? {} : { podIP: over.ip ?? '10.0.0.1' }) },
});

test('a snapshot lists the live pods of the Service, sorted by name, with IP, port, phase and revision', (t) => {
  const data = snapshot('forward', [
    pod('forward-c', { ip: '10.0.0.3', port: 9000, revision: 'forward-00002' }),
    pod('forward-a'),
    pod('forward-b', { phase: 'Pending', ip: '' }),
  ], 'tick');
  t.deepEqual(data, {
    service: 'forward',
    cause: 'tick',
    pods: [
      { name: 'forward-a', ip: '10.0.0.1', port: 8080, phase: 'Running', revision: 'forward-00001' },
      { name: 'forward-b', ip: '', port: 8080, phase: 'Pending', revision: 'forward-00001' },
      { name: 'forward-c', ip: '10.0.0.3', port: 9000, phase: 'Running', revision: 'forward-00002' },
    ],
  });
  t.true(parseData('dev.pingpong.pods.listed', data).ok, 'the reply passes the contract schema');
});

test('a pod being deleted, a finished pod and another Service\'s pod are not in the snapshot', (t) => {
  const data = snapshot('forward', [
    pod('forward-a'), pod('forward-leaving', { deleting: true }), pod('forward-done', { phase: 'Succeeded' }),
    pod('forward-failed', { phase: 'Failed' }), pod('coin-flip-x', { service: 'coin-flip' }),
  ], 'pod-deleted');
  t.deepEqual(data.pods.map((p) => p.name), ['forward-a']);
});

test('the same pods in any order give the same snapshot; none gives an empty one', (t) => {
  const pods = [pod('forward-b'), pod('forward-a'), pod('forward-c')];
  t.deepEqual(snapshot('forward', pods, 'tick'), snapshot('forward', [...pods].reverse(), 'tick'));
  t.deepEqual(snapshot('forward', [], 'tick'), { service: 'forward', pods: [], cause: 'tick' });
});

test('podInfo: the serving port skips queue-proxy; no port, IP, phase or revision gives empty values', (t) => {
  const proxyFirst = pod('forward-a');
  proxyFirst.spec!.containers.reverse();
  t.is(podInfo(proxyFirst).port, 8080);
  t.deepEqual(podInfo({ metadata: { name: 'bare' } }), { name: 'bare', ip: '', port: 0, phase: 'Unknown', revision: '' });
});

const workers = { service: 'forward', namespace: 'pingpong' };
const asData = (p: V1Pod) => JSON.parse(JSON.stringify(p));

test('a worker pod change names the pod and the resourceVersion the cache must reach', (t) => {
  t.deepEqual(podChange(asData(pod('forward-a')), workers), { kind: 'worker', name: 'forward-a', resourceVersion: '7' });
  const noVersion = asData(pod('forward-a'));
  delete noVersion.metadata.resourceVersion;
  t.deepEqual(podChange(noVersion, workers), { kind: 'worker', name: 'forward-a' });
});

test('a pod of another Service or namespace is no worker; an object that is not a Pod is refused on data.kind', (t) => {
  t.like(podChange(asData(pod('coin-flip-x', { service: 'coin-flip' })), workers), { kind: 'other' });
  t.like(podChange({ ...asData(pod('forward-a')), metadata: { name: 'forward-a', namespace: 'default', labels: { 'serving.knative.dev/service': 'forward' } } }, workers), { kind: 'other' });
  const notPod = podChange({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'forward', namespace: 'pingpong' } }, workers);
  t.like(notPod, { kind: 'invalid' });
  t.is(notPod.kind === 'invalid' ? notPod.errors[0]!.field : '', 'data.kind');
});

test('each ApiServerSource change type has its own cause', (t) => {
  t.deepEqual([POD_CAUSE[APISERVER_ADD], POD_CAUSE[APISERVER_UPDATE], POD_CAUSE[APISERVER_DELETE]], ['pod-added', 'pod-updated', 'pod-deleted']);
});
