/**
 * What the runtime adds to a pod's environment, as a cluster would: its ServiceAccount's
 * credentials unless the pod opts out of the token, and a read-only database URL unless the
 * container names its own.
 */
import test from 'ava';
import { podEnvFor } from '../../local/runtime/pod-env.js';
import type { KubeObject } from '../../lib/kube/object.js';

const env = podEnvFor({
  configMaps: () => [],
  kubeconfigFor: (ns, sa) => `/kubeconfigs/${ns}/${sa}`,
  db: { writerUrl: 'postgres://writer@db/h', readerUrl: 'postgres://reader@db/h' },
});
const ksvc = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'f', namespace: 'pingpong' },
  spec: { template: { spec: { containers: [{ image: 'pingpong' }], ...spec } } },
});

test('a pod gets its ServiceAccount\'s kubeconfig, the default one when it names none', async (t) => {
  t.is((await env(ksvc({ serviceAccountName: 'ping' }))).KUBECONFIG, '/kubeconfigs/pingpong/ping');
  t.is((await env(ksvc({}))).KUBECONFIG, '/kubeconfigs/pingpong/default');
});

test('automountServiceAccountToken: false gives a pod no credentials at all', async (t) => {
  t.false('KUBECONFIG' in await env(ksvc({ automountServiceAccountToken: false })));
  t.is((await env(ksvc({ automountServiceAccountToken: true }))).KUBECONFIG, '/kubeconfigs/pingpong/default');
});

test('the read-only database URL, unless the container declares DATABASE_URL itself', async (t) => {
  t.is((await env(ksvc({}))).DATABASE_URL, 'postgres://reader@db/h');
  t.false('DATABASE_URL' in await env(ksvc({ containers: [{ image: 'pingpong', env: [{ name: 'DATABASE_URL', value: 'x' }] }] })));
});
