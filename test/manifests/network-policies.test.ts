/**
 * Who may reach what: only coin-flip and history-ui have a route from outside the cluster, and the
 * NetworkPolicies (knative/600-networkpolicy-*.yaml, db/k8s/500-postgres-networkpolicy.yaml) admit
 * to the namespace's pods only Knative's own traffic (Broker, activator, gateway), the workers'
 * pings to each other, and the namespace's pods to PostgreSQL. The policies are evaluated here,
 * by NetworkPolicy's rules, against an explicit table of connections; the local API server must
 * store them (it does not enforce them: docs/risks.md).
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { loadKustomization } from '../../lib/manifests/load.js';
import { validateAll, validateResource } from '../../lib/manifests/validate.js';
import { LocalApiServer } from '../../local/apiserver/index.js';
import { applyObjects } from '../../local/runtime/apply.js';
import { planResources } from '../../local/runtime/resources.js';
import { knativeWebhook } from '../../local/runtime/webhook.js';
import { ROOT, repoObject, repoResources } from './fixtures.js';
import type { KubeObject } from '../../lib/kube/object.js';

const run = promisify(execFile);
const NS = 'pingpong';
const PUBLIC = ['coin-flip', 'history-ui'];

type Labels = Record<string, string>;
interface Selector { matchLabels?: Labels; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> }
interface Peer { podSelector?: Selector; namespaceSelector?: Selector; ipBlock?: unknown }
interface Rule { from?: Peer[]; ports?: Array<{ protocol?: string; port?: number | string }> }
interface Pod { namespace: string; labels: Labels }

/** A label selector's verdict (metav1.LabelSelectorAsSelector): every term must hold; {} selects all. */
function selects(sel: Selector, labels: Labels): boolean {
  return Object.entries(sel.matchLabels ?? {}).every(([k, v]) => labels[k] === v)
    && (sel.matchExpressions ?? []).every((e) => {
      switch (e.operator) {
        case 'In': return k(e.key) && e.values!.includes(labels[e.key]!);
        case 'NotIn': return !k(e.key) || !e.values!.includes(labels[e.key]!);
        case 'Exists': return k(e.key);
        case 'DoesNotExist': return !k(e.key);
        default: throw new Error(`operator ${e.operator}`);
      }
    });
  function k(key: string) { return Object.hasOwn(labels, key); }
}

/** A namespace's labels as Kubernetes sets them: kubernetes.io/metadata.name is its name. */
const nsLabels = (ns: string): Labels => ({ 'kubernetes.io/metadata.name': ns });

/**
 * NetworkPolicy's ingress rules: a pod no policy selects takes everything; a selected pod takes a
 * connection if any rule of any policy selecting it admits the source and the port.
 */
function admits(policies: KubeObject[], from: Pod, to: Pod, port: number): boolean {
  const selecting = policies.filter((p) => p.metadata.namespace === to.namespace && (p.spec.policyTypes ?? ['Ingress']).includes('Ingress')
    && selects(p.spec.podSelector, to.labels));
  if (selecting.length === 0) return true;
  return selecting.some((p) => ((p.spec.ingress ?? []) as Rule[]).some((rule) => {
    const peerOk = !rule.from?.length || rule.from.some((peer) => {
      if (peer.ipBlock) return false; // pods here are addressed by selectors, never by IP
      const nsOk = peer.namespaceSelector ? selects(peer.namespaceSelector, nsLabels(from.namespace)) : from.namespace === p.metadata.namespace;
      return nsOk && (!peer.podSelector || selects(peer.podSelector, from.labels));
    });
    const portOk = !rule.ports?.length || rule.ports.some((q) => (q.protocol ?? 'TCP') === 'TCP' && (q.port === undefined || q.port === port));
    return peerOk && portOk;
  }));
}

const svcPod = (name: string): Pod => ({ namespace: NS, labels: { 'serving.knative.dev/service': name, 'serving.knative.dev/revision': `${name}-00001`, app: `${name}-00001` } });
const PODS: Record<string, Pod> = {
  'broker-filter': { namespace: 'knative-eventing', labels: { 'eventing.knative.dev/brokerRole': 'filter' } },
  activator: { namespace: 'knative-serving', labels: { app: 'activator' } },
  autoscaler: { namespace: 'knative-serving', labels: { app: 'autoscaler' } },
  'kourier-gateway': { namespace: 'kourier-system', labels: { app: '3scale-kourier-gateway' } },
  forward: svcPod('forward'),
  'record-hop': svcPod('record-hop'),
  'history-ui': svcPod('history-ui'),
  'coin-flip': svcPod('coin-flip'),
  ping: svcPod('ping'),
  postgres: { namespace: NS, labels: { 'app.kubernetes.io/name': 'postgres' } },
  'migrate-job': { namespace: NS, labels: { 'job-name': 'pingpong-migrate', 'batch.kubernetes.io/job-name': 'pingpong-migrate' } },
  'apiserversource-adapter': { namespace: NS, labels: { 'eventing.knative.dev/source': 'apiserver-source-controller' } },
  // Someone else's pod in another namespace, wearing the activator's and a worker's labels.
  intruder: { namespace: 'default', labels: { app: 'activator', 'serving.knative.dev/service': 'forward' } },
};

/** The expected answer, by hand: [from, to, port, admitted]. */
const CONNECTIONS: Array<[string, string, number, boolean]> = [
  // Knative's data plane reaches every function: events, the activator (queue-proxy 8012), metrics (9090), the gateway.
  ['broker-filter', 'record-hop', 8012, true],
  ['broker-filter', 'forward', 8012, true],
  ['activator', 'record-hop', 8012, true],
  ['activator', 'coin-flip', 8012, true],
  ['autoscaler', 'ping', 9090, true],
  ['kourier-gateway', 'history-ui', 8012, true],
  ['kourier-gateway', 'coin-flip', 8012, true],
  // Workers ping each other on the function's port, and only there.
  ['forward', 'forward', 8080, true],
  ['forward', 'forward', 9090, false],
  // Other functions do not reach a function directly (only through Knative).
  ['ping', 'forward', 8080, false],
  ['record-hop', 'history-ui', 8080, false],
  ['history-ui', 'record-hop', 8012, false],
  ['coin-flip', 'ping', 8080, false],
  // PostgreSQL: the namespace's pods on 5432; nothing from outside; nothing on another port.
  ['record-hop', 'postgres', 5432, true],
  ['history-ui', 'postgres', 5432, true],
  ['migrate-job', 'postgres', 5432, true],
  ['record-hop', 'postgres', 22, false],
  ['broker-filter', 'postgres', 5432, false],
  ['activator', 'postgres', 5432, false],
  ['kourier-gateway', 'postgres', 5432, false],
  ['intruder', 'postgres', 5432, false],
  // Pods that serve nothing take nothing.
  ['record-hop', 'migrate-job', 8080, false],
  ['activator', 'migrate-job', 8080, false],
  ['broker-filter', 'apiserversource-adapter', 8080, false],
  // A pod outside, whatever labels it has.
  ['intruder', 'forward', 8080, false],
  ['intruder', 'record-hop', 8012, false],
];

const policiesOf = async () => (await repoResources()).map((r) => r.object).filter((o) => o.kind === 'NetworkPolicy');

test('only coin-flip and history-ui are reachable from outside: every other Service is cluster-local', async (t) => {
  const services = (await repoResources()).map((r) => r.object).filter((o) => o.apiVersion === 'serving.knative.dev/v1' && o.kind === 'Service');
  t.true(services.length >= 7);
  for (const s of services) {
    const visibility = s.metadata.labels?.['networking.knative.dev/visibility'];
    if (PUBLIC.includes(s.metadata.name)) t.is(visibility, undefined, `${s.metadata.name} is public`);
    else t.is(visibility, 'cluster-local', `${s.metadata.name} has no route from outside`);
  }
  t.deepEqual(services.filter((s) => !s.metadata.labels?.['networking.knative.dev/visibility']).map((s) => s.metadata.name).sort(), PUBLIC);
});

test('the NetworkPolicies render through the kustomizations and validate as a cluster would admit them', async (t) => {
  const knative = (await loadKustomization(path.join(ROOT, 'knative'))).filter((r) => r.object.kind === 'NetworkPolicy');
  const db = (await loadKustomization(path.join(ROOT, 'db', 'k8s'))).filter((r) => r.object.kind === 'NetworkPolicy');
  t.deepEqual(knative.map((r) => r.object.metadata.name).sort(), ['default-deny-ingress', 'forward-peers', 'knative-system-ingress']);
  t.deepEqual(db.map((r) => r.object.metadata.name), ['postgres']);
  const all = (await repoResources()).filter((r) => r.object.kind === 'NetworkPolicy');
  t.is(all.length, 4, 'the root kustomization renders all four');
  for (const r of all) {
    t.is(r.object.apiVersion, 'networking.k8s.io/v1');
    t.is(r.object.metadata.namespace, NS);
    t.deepEqual(r.object.spec.policyTypes, ['Ingress'], `${r.object.metadata.name}: ingress only (egress to the Broker, the API, DNS stays open)`);
    t.is(r.object.spec.egress, undefined);
  }
  t.deepEqual(validateAll(all, { local: false }), []);
  t.deepEqual(validateAll(all, { local: true }), []);
});

test('the validation refuses a malformed NetworkPolicy, naming the field', async (t) => {
  const good = await repoObject('NetworkPolicy', 'postgres');
  const typo = structuredClone(good);
  typo.spec.ingres = typo.spec.ingress;
  t.deepEqual(validateResource(typo, 'x.yaml').map((p) => p.field), ['spec.ingres']);
  const badType = structuredClone(good);
  badType.spec.podSelector = 'postgres';
  t.true(validateResource(badType, 'x.yaml').some((p) => p.field === 'spec.podSelector'));
});

test('the shape: a default deny, Knative\'s namespaces by their immutable name label, PostgreSQL on its port', async (t) => {
  const deny = await repoObject('NetworkPolicy', 'default-deny-ingress');
  t.deepEqual(deny.spec, { podSelector: {}, policyTypes: ['Ingress'] }, 'selects every pod, admits nothing');
  const knative = await repoObject('NetworkPolicy', 'knative-system-ingress');
  t.deepEqual(knative.spec.podSelector, { matchExpressions: [{ key: 'serving.knative.dev/service', operator: 'Exists' }] });
  t.deepEqual(knative.spec.ingress, [{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In',
    values: ['knative-eventing', 'knative-serving', 'kourier-system'] }] } }] }]);
  const postgres = await repoObject('NetworkPolicy', 'postgres');
  const sts = await repoObject('StatefulSet', 'postgres');
  t.deepEqual(postgres.spec.podSelector.matchLabels, sts.spec.template.metadata.labels, 'selects the PostgreSQL pods');
  t.deepEqual(postgres.spec.ingress, [{ from: [{ podSelector: {} }], ports: [{ protocol: 'TCP', port: 5432 }] }]);
  t.is(sts.spec.template.spec.containers[0].ports[0].containerPort, 5432);
});

for (const [from, to, port, want] of CONNECTIONS) {
  test(`${from} → ${to}:${port} is ${want ? 'admitted' : 'refused'}`, async (t) => {
    t.is(admits(await policiesOf(), PODS[from]!, PODS[to]!, port), want);
  });
}

test('the evaluator itself: without the policies everything is admitted, so the refusals above come from them', async (t) => {
  for (const [from, to, port] of CONNECTIONS) t.true(admits([], PODS[from]!, PODS[to]!, port));
  const policies = await policiesOf();
  const withoutDeny = policies.filter((p) => p.metadata.name !== 'default-deny-ingress');
  t.true(admits(withoutDeny, PODS['record-hop']!, PODS['migrate-job']!, 8080), 'the default deny is what closes the Jobs');
});

test('the local API server stores the NetworkPolicies and kubectl lists them, with their pod selectors', async (t) => {
  const api = new LocalApiServer({ webhook: knativeWebhook });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'netpol-'));
  try {
    const url = await api.listen(0, '127.0.0.1');
    const objects = (await repoResources()).map((r) => r.object);
    const { notServed } = applyObjects(api, objects.filter((o) => o.kind === 'Namespace' || o.kind === 'NetworkPolicy'));
    t.deepEqual(notServed, []);
    t.deepEqual(api.objects('networking.k8s.io', 'networkpolicies')!.list().items.map((o) => o.metadata.name).sort(),
      ['default-deny-ingress', 'forward-peers', 'knative-system-ingress', 'postgres']);
    const { admin } = await api.writeKubeconfigs({ dataDir: dir, serviceAccounts: [] });
    const env = { ...process.env, HOME: dir, KUBECONFIG: '' };
    const { stdout } = await run('kubectl', ['--kubeconfig', admin, '--cache-dir', path.join(dir, 'cache'), 'get', 'netpol', '-n', NS], { env, timeout: 60_000 });
    const rows = stdout.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));
    t.deepEqual(rows[0]!.slice(0, 2), ['NAME', 'POD-SELECTOR']);
    t.deepEqual(new Map(rows.slice(1).map((r) => [r[0], r[1]])), new Map([
      ['default-deny-ingress', '<none>'], ['forward-peers', 'serving.knative.dev/service=forward'],
      ['knative-system-ingress', 'serving.knative.dev/service'], ['postgres', 'app.kubernetes.io/name=postgres']]));
    // A malformed one is refused on admission, as a cluster's API server would.
    const token = (parse(await readFile(admin, 'utf8')) as { users: Array<{ user: { token: string } }> }).users[0]!.user.token;
    const res = await fetch(`${url}/apis/networking.k8s.io/v1/namespaces/${NS}/networkpolicies`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'bad', namespace: NS }, spec: { podSelector: {}, ingres: [] } }),
    });
    t.is(res.status, 422, await res.text());
  } finally {
    await api.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('npm start applies the NetworkPolicies to its API (stored, as a cluster shows them), not skipped', async (t) => {
  const plan = planResources(await repoResources());
  t.deepEqual(plan.runs.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.name).sort(),
    ['default-deny-ingress', 'forward-peers', 'knative-system-ingress', 'postgres']);
  t.false(plan.skipped.some((s) => s.resource.startsWith('NetworkPolicy/')));
});
