/**
 * The cluster's loop through `npm start`: what kubectl applies, patches and deletes changes the
 * running system, and the statuses say so.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Instance, kubectlOn, npmStart, stopInstance } from '../helpers/pingpong-up.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { request } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';

let pp: Instance;
let sink: Sink;

test.before(async () => {
  // A short stable window, so a rolled-out revision's old pods go within seconds.
  pp = await npmStart(['--stable-window', '6s']);
  sink = await startSink();
});
test.after.always(async () => {
  await sink?.close();
  await stopInstance(pp);
});

const kubectl = (...args: string[]) => kubectlOn(pp)(...args); // pp is set in before()
const applyText = async (name: string, yaml: string) => {
  const file = path.join(pp.dataDir, name);
  await writeFile(file, yaml);
  return kubectl('apply', '-f', file);
};

test.serial('every shipped Service, Broker, Trigger and PingSource becomes Ready, as kubectl wait and get show', async (t) => {
  for (const kind of ['ksvc', 'broker', 'trigger', 'pingsource']) {
    t.regex(await kubectl('wait', '--for=condition=Ready', kind, '--all', '--timeout=60s'), /condition met/);
  }
  // Knative's defaults, where the manifest sets nothing, are in the stored object.
  t.like(JSON.parse(await kubectl('get', 'ksvc', 'forward', '-o', 'json')), {
    spec: { template: { spec: { containerConcurrency: 20, timeoutSeconds: 30, enableServiceLinks: false } }, traffic: [{ latestRevision: true, percent: 100 }] },
  });
  const ksvc = await kubectl('get', 'ksvc', 'forward');
  t.regex(ksvc, /forward\s+http:\/\/forward\.pingpong\.svc\.cluster\.local\s+forward-00001\s+forward-00001\s+True/);
  t.regex(await kubectl('get', 'broker', 'default'), new RegExp(`default\\s+http://127\\.0\\.0\\.1:${pp.broker}/pingpong/default\\s+\\S+\\s+True`));
});

test.serial('a Trigger applied at run time gets its events; one whose subscriber does not exist is not Ready, saying why', async (t) => {
  t.regex(await applyText('my-trigger.yaml', `apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: my-trigger, namespace: pingpong }
spec:
  broker: default
  filter: { attributes: { type: dev.test.control-plane } }
  subscriber: { uri: "${sink.url}" }
`), /created/);
  await kubectl('wait', '--for=condition=Ready', 'trigger/my-trigger', '--timeout=30s');
  const res = await request(`http://127.0.0.1:${pp.broker}/pingpong/default`, {
    method: 'POST', body: '{}',
    headers: { 'ce-specversion': '1.0', 'ce-id': 'cp-1', 'ce-source': '/e2e/control-plane', 'ce-type': 'dev.test.control-plane', 'content-type': 'application/json' },
  });
  t.is(res.status, 202);
  // The sink's port is a free one: a request meant for an earlier holder of it may come too.
  await waitFor(() => sink.requests.some((r) => r.ce.id === 'cp-1'), 'the event at the Trigger\'s subscriber', { timeoutMs: 30_000 });
  const got = sink.requests.find((r) => r.ce.id === 'cp-1')!;
  t.like(got.ce, { type: 'dev.test.control-plane', source: '/e2e/control-plane' });

  await applyText('lost.yaml', `apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: lost, namespace: pingpong }
spec:
  broker: default
  subscriber: { ref: { apiVersion: serving.knative.dev/v1, kind: Service, name: nobody } }
`);
  await waitFor(async () => /lost\s+default\s+\S+\s+False\s+Unable to get the Subscriber's URI/.test(await kubectl('get', 'trigger', 'lost')),
    'the Trigger to say its subscriber does not resolve', { timeoutMs: 20_000 });
  t.pass();
});

test.serial('a deleted PingSource stops ticking while another keeps on', async (t) => {
  const ping = (name: string) => `apiVersion: sources.knative.dev/v1
kind: PingSource
metadata: { name: ${name}, namespace: pingpong }
spec:
  schedule: "* * * * * *"
  sink: { uri: "${sink.url}" }
`;
  await applyText('tick-a.yaml', ping('tick-a'));
  await applyText('tick-b.yaml', ping('tick-b'));
  const ticks = (name: string) => sink.requests.filter((r) => r.ce.source === `/apis/v1/namespaces/pingpong/pingsources/${name}`).length;
  await waitFor(() => ticks('tick-a') >= 1 && ticks('tick-b') >= 1, 'both PingSources to tick', { timeoutMs: 20_000 });
  t.regex(await kubectl('delete', 'pingsource', 'tick-a'), /deleted/);
  const after = ticks('tick-a');
  const bBefore = ticks('tick-b');
  await waitFor(() => ticks('tick-b') >= bBefore + 3, 'tick-b to tick three more times', { timeoutMs: 20_000 });
  // At most the one tick that was already on its way when the delete landed.
  t.true(ticks('tick-a') <= after + 1, `tick-a ticked ${ticks('tick-a') - after} times after its deletion`);
  await kubectl('delete', 'pingsource', 'tick-b');
});

test.serial('patching a Service template rolls out -00002, which takes the traffic; the old pods go', async (t) => {
  await kubectl('patch', 'ksvc', 'coin-flip', '--type=merge', '-p', '{"spec":{"template":{"metadata":{"annotations":{"pingpong.dev/rollout":"e2e"}}}}}');
  await waitFor(async () => /coin-flip\s+\S+\s+coin-flip-00002\s+coin-flip-00002\s+True/.test(await kubectl('get', 'ksvc', 'coin-flip')),
    'coin-flip-00002 to be the latest ready revision', { timeoutMs: 60_000 });
  await waitFor(async () => {
    const pods = await kubectl('get', 'pods', '-l', 'serving.knative.dev/service=coin-flip', '--no-headers');
    return !pods.includes('coin-flip-00001') && pods.includes('coin-flip-00002');
  }, 'the -00001 pods to go', { timeoutMs: 60_000 });
  const res = await request(`http://127.0.0.1:${pp.gateway}/compute`, {
    method: 'POST', body: '{"heads":2}', headers: { host: 'coin-flip.pingpong.127.0.0.1.sslip.io', 'content-type': 'application/json' },
  });
  t.is(res.status, 200);
});

test.serial('kubectl logs reads a pod\'s output (--tail, -f), --previous says there is none; a deleted pod is replaced', async (t) => {
  // record-hop stays up (min-scale 1) and logs a line per event it records: every ball, every 10 s.
  const pod = (await kubectl('get', 'pods', '-l', 'serving.knative.dev/service=record-hop', '-o', 'name')).trim().split('\n')[0]!;
  t.regex(pod, /^pod\/record-hop-00001-deployment-/);
  await waitFor(async () => (await kubectl('logs', pod)).includes('"msg":"handled"'), 'a handled line in the log', { timeoutMs: 30_000 });
  const tail = (await kubectl('logs', pod, '--tail=1')).trim().split('\n');
  t.is(tail.length, 1);
  t.is(JSON.parse(tail[0]!).pod, pod.slice('pod/'.length));
  const follow = execFile('kubectl', ['--kubeconfig', path.join(pp.dataDir, 'kubeconfig'), '--cache-dir', path.join(pp.dataDir, 'kube-cache'),
    '-n', 'pingpong', 'logs', '-f', '--tail=0', pod]);
  let streamed = '';
  follow.stdout!.on('data', (d) => (streamed += d));
  try {
    await waitFor(() => streamed.includes('"msg":"handled"'), 'kubectl logs -f to stream the next tick', { timeoutMs: 30_000 });
  } finally { follow.kill(); }
  const previous = await kubectl('logs', pod, '--previous').then(() => '', (e: { stderr: string }) => e.stderr);
  t.regex(previous, /previous terminated container "user-container" in pod "record-hop-00001-deployment-\w+" not found/);

  const workers = async () => (await kubectl('get', 'pods', '-l', 'serving.knative.dev/service=forward', '-o', 'name')).trim().split('\n').filter(Boolean);
  const before = await workers();
  t.is(before.length, 2);
  t.regex(await kubectl('delete', before[0]!), /deleted/);
  await waitFor(async () => {
    const now = await workers();
    return now.length === 2 && !now.includes(before[0]!);
  }, 'a replacement worker', { timeoutMs: 30_000 });
  t.pass();
});

test.serial('what happened is in kubectl get events and describe: rollouts, scaling, admission refusals', async (t) => {
  const events = await kubectl('get', 'events', '--field-selector', 'involvedObject.name=coin-flip');
  t.regex(events, /Normal\s+Created\s+service\/coin-flip\s+Created Revision "coin-flip-00002"/);
  t.regex(events, /Normal\s+TrafficMoved\s+service\/coin-flip\s+100% of traffic to Revision "coin-flip-00002"/);
  t.regex(await kubectl('describe', 'ksvc', 'coin-flip'), /Events:[\s\S]*SuccessfulRescale[\s\S]*Revision "coin-flip-0000\d" scaled from/);
  const refused = await applyText('bad.yaml', 'apiVersion: eventing.knative.dev/v1\nkind: Trigger\nmetadata: { name: bad, namespace: pingpong }\n' +
    'spec: { broker: default, brokr: x, subscriber: { uri: "http://127.0.0.1:9/" } }\n').then(() => '', (e: { stderr: string }) => e.stderr);
  t.regex(refused, /The Trigger "bad" is invalid: spec\.brokr: unknown field/);
  t.regex(await kubectl('get', 'events', '--field-selector', 'reason=FailedAdmission'), /Warning\s+FailedAdmission\s+trigger\/bad\s+.*spec\.brokr: unknown field/);
});

test.serial('a Service\'s Configuration, Route and Revisions are objects it owns: read-only, deleted with it', async (t) => {
  await waitFor(async () => /coin-flip-00002\s+coin-flip\s+2\s+True/.test(await kubectl('get', 'rev', '-l', 'serving.knative.dev/service=coin-flip')),
    'Revision coin-flip-00002 Ready, of configuration generation 2', { timeoutMs: 30_000 });
  const cfg = JSON.parse(await kubectl('get', 'cfg', 'coin-flip', '-o', 'json')) as { metadata: { ownerReferences: { kind: string; name: string; uid: string }[] }; status: { latestReadyRevisionName: string } };
  const svcUid = (await kubectl('get', 'ksvc', 'coin-flip', '-o', 'jsonpath={.metadata.uid}')).trim();
  t.like(cfg.metadata.ownerReferences[0], { kind: 'Service', name: 'coin-flip', uid: svcUid });
  t.is(cfg.status.latestReadyRevisionName, 'coin-flip-00002');
  t.regex(await kubectl('get', 'rt', 'coin-flip'), /coin-flip\s+http:\/\/coin-flip\.pingpong\.127\.0\.0\.1\.sslip\.io\s+True/);
  const refused = await kubectl('label', 'rev', 'coin-flip-00002', 'a=b').then(() => '', (e: { stderr: string }) => e.stderr);
  t.regex(refused, /derived from their Knative Service/);

  await applyText('tmp.yaml', 'apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: { name: tmp, namespace: pingpong }\nspec:\n  template:\n    spec:\n' +
    '      containers:\n        - image: x\n          env: [{ name: FUNCTION_TARGET, value: coin-flip }]\n');
  await kubectl('wait', '--for=condition=Ready', 'ksvc/tmp', '--timeout=60s');
  t.regex(await kubectl('get', 'rev,cfg,rt', '-l', 'serving.knative.dev/service=tmp', '-o', 'name'), /revision.serving.knative.dev\/tmp-00001[\s\S]*configuration[\s\S]*route/);
  await kubectl('delete', 'ksvc', 'tmp');
  await waitFor(async () => (await kubectl('get', 'rev,cfg,rt', '-l', 'serving.knative.dev/service=tmp', '-o', 'name')).trim() === '',
    'what tmp owned to go with it', { timeoutMs: 20_000 });
  t.pass();
});

test.serial('a SinkBinding injects K_SINK into its subject\'s template, rolling a new revision, and is Ready', async (t) => {
  t.regex(await kubectl('wait', '--for=condition=Ready', 'sinkbinding/ping', '--timeout=30s'), /condition met/);
  const pingEnv = await kubectl('get', 'ksvc', 'ping', '-o', 'jsonpath={.spec.template.spec.containers[0].env[?(@.name=="K_SINK")].value}');
  t.is(pingEnv.trim(), `http://127.0.0.1:${pp.broker}/pingpong/default`, 'the shipped binding gave ping the Broker');
  t.regex(await kubectl('get', 'ksvc', 'ping'), /ping-00001\s+ping-00001\s+True/, 'injected before the first revision: no rollout at start');
  await applyText('bind.yaml', `apiVersion: sources.knative.dev/v1
kind: SinkBinding
metadata: { name: flips, namespace: pingpong }
spec:
  subject: { apiVersion: serving.knative.dev/v1, kind: Service, name: coin-flip }
  sink: { uri: "${sink.url}" }
  ceOverrides: { extensions: { team: blue } }
`);
  await kubectl('wait', '--for=condition=Ready', 'sinkbinding/flips', '--timeout=30s');
  const latest = async () => (await kubectl('get', 'ksvc', 'coin-flip', '-o', 'jsonpath={.status.latestReadyRevisionName}')).trim();
  await waitFor(async () => {
    const env = await kubectl('get', 'ksvc', 'coin-flip', '-o', 'jsonpath={.spec.template.spec.containers[0].env[?(@.name=="K_SINK")].value}');
    return env.trim() === sink.url && /coin-flip-0000[3-9]/.test(await latest());
  }, 'coin-flip to roll out with K_SINK', { timeoutMs: 60_000 });
  t.is((await kubectl('get', 'sinkbinding', 'flips', '-o', 'jsonpath={.status.sinkUri}')).trim(), sink.url);
});

test.serial('an ApiServerSource sends adds, updates and deletes as its ServiceAccount may see them; without the verbs it says which', async (t) => {
  await applyText('watcher.yaml', `apiVersion: v1
kind: ServiceAccount
metadata: { name: cm-watcher, namespace: pingpong }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: cm-watcher, namespace: pingpong }
rules: [{ apiGroups: [""], resources: [configmaps], verbs: [get, list, watch] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: cm-watcher, namespace: pingpong }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: cm-watcher }
subjects: [{ kind: ServiceAccount, name: cm-watcher, namespace: pingpong }]
---
apiVersion: sources.knative.dev/v1
kind: ApiServerSource
metadata: { name: cms, namespace: pingpong }
spec:
  mode: Resource
  serviceAccountName: cm-watcher
  resources: [{ apiVersion: v1, kind: ConfigMap, selector: { matchLabels: { watched: "yes" } } }]
  sink: { uri: "${sink.url}" }
---
apiVersion: sources.knative.dev/v1
kind: ApiServerSource
metadata: { name: blind, namespace: pingpong }
spec:
  serviceAccountName: default
  resources: [{ apiVersion: v1, kind: Pod }]
  sink: { uri: "${sink.url}" }
`);
  await kubectl('wait', '--for=condition=Ready', 'apiserversource/cms', '--timeout=30s');
  const mine = () => sink.requests.filter((r) => r.ce.type?.startsWith('dev.knative.apiserver.resource.') && r.ce.name === 'watched-cm');
  await applyText('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: watched-cm, namespace: pingpong, labels: { watched: "yes" } }\ndata: { a: "1" }\n');
  await applyText('other.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: unwatched-cm, namespace: pingpong }\ndata: { a: "1" }\n');
  await kubectl('patch', 'cm', 'watched-cm', '--type=merge', '-p', '{"data":{"a":"2"}}');
  await kubectl('delete', 'cm', 'watched-cm');
  await waitFor(() => mine().length >= 3, 'add, update and delete of watched-cm', { timeoutMs: 20_000 });
  t.deepEqual(mine().map((r) => r.ce.type), ['dev.knative.apiserver.resource.add', 'dev.knative.apiserver.resource.update', 'dev.knative.apiserver.resource.delete']);
  const update = mine()[1]!;
  t.like(JSON.parse(update.body.toString()), { kind: 'ConfigMap', metadata: { name: 'watched-cm' }, data: { a: '2' } });
  t.is(update.ce.subject, '/apis/v1/namespaces/pingpong/configmaps/watched-cm');
  t.false(sink.requests.some((r) => r.ce.name === 'unwatched-cm'), 'the label selector holds');
  await waitFor(async () => /blind\s+\S*\s+\S+\s+False\s+NotAllowed/.test(await kubectl('get', 'apiserversource', 'blind')), 'blind to be not Ready', { timeoutMs: 20_000 });
  t.regex(await kubectl('get', 'apiserversource', 'blind', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].message}'),
    /system:serviceaccount:pingpong:default cannot get, list, watch pods in namespace "pingpong"/);
});

test.serial('a Service whose ServiceAccount was created with kubectl after the start runs as it', async (t) => {
  await applyText('late.yaml', `apiVersion: v1
kind: ServiceAccount
metadata: { name: late, namespace: pingpong }
---
apiVersion: serving.knative.dev/v1
kind: Service
metadata: { name: late, namespace: pingpong }
spec:
  template:
    spec:
      serviceAccountName: late
      containers:
        - image: x
          env: [{ name: FUNCTION_TARGET, value: coin-flip }]
`);
  t.regex(await kubectl('wait', '--for=condition=Ready', 'ksvc/late', '--timeout=60s'), /condition met/);
  t.regex(await kubectl('get', 'pods', '-l', 'serving.knative.dev/service=late', '-o', 'jsonpath={.items[0].spec.serviceAccountName}'), /^late$/);
  await kubectl('delete', 'ksvc', 'late');
});
