/**
 * The local API server as a cluster's control plane, through the machine's real kubectl: Knative's
 * CRDs served like any CRD (api-resources, get with printer columns, explain), apply/apply
 * again/change, the status subresource, and resourceVersion conflicts.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { LocalApiServer } from '../../local/apiserver/index.js';
import { applyObjects, knativeCrds } from '../../local/runtime/apply.js';
import { ROOT } from '../../lib/process/function-command.js';
import { knativeWebhook } from '../../local/runtime/webhook.js';

const run = promisify(execFile);

async function start() {
  const api = new LocalApiServer({ webhook: knativeWebhook });
  const url = await api.listen(0, '127.0.0.1');
  applyObjects(api, await knativeCrds());
  const dir = await mkdtemp(path.join(os.tmpdir(), 'control-plane-'));
  const { admin } = await api.writeKubeconfigs({ dataDir: dir, serviceAccounts: [] });
  const env = { ...process.env, HOME: dir, KUBECONFIG: '' };
  /** kubectl's stdout and stderr (a warning goes to stderr); rejects on a non-zero exit. */
  const kubectlRun = (...a: string[]) => run('kubectl', ['--kubeconfig', admin, '--cache-dir', path.join(dir, 'cache'), ...a], { env, timeout: 60_000 });
  const kubectl = async (...a: string[]) => (await kubectlRun(...a)).stdout;
  const file = async (name: string, text: string) => { const p = path.join(dir, name); await writeFile(p, text); return p; };
  const token = (api as unknown as { tokens: { adminToken: string } }).tokens.adminToken;
  return { api, url, token, kubectl, kubectlRun, file, stop: async () => { await api.close(); await rm(dir, { recursive: true, force: true }); } };
}

const TRIGGER = (uri: string) => `apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: mine, namespace: pingpong }
spec:
  broker: default
  subscriber: { uri: "${uri}" }
`;

test('Knative kinds are served from their CRDs: api-resources, short names, printer columns, explain', async (t) => {
  const s = await start();
  try {
    const resources = await s.kubectl('api-resources', '--no-headers');
    t.regex(resources, /^services\s+kservice,ksvc\s+serving\.knative\.dev\/v1\s+true\s+Service$/m);
    for (const kind of ['Broker', 'Trigger', 'PingSource', 'ApiServerSource', 'SinkBinding', 'Revision', 'Configuration', 'Route']) t.regex(resources, new RegExp(`\\s${kind}$`, 'm'));
    t.regex(resources, /^configmaps\s+cm\s+v1\s+true\s+ConfigMap$/m);
    const file = await s.file('t.yaml', TRIGGER('http://127.0.0.1:9/'));
    t.regex(await s.kubectl('apply', '-f', file), /trigger.eventing.knative.dev\/mine created/);
    const header = (await s.kubectl('get', 'trigger', '-n', 'pingpong')).split('\n')[0]!.trim().split(/\s+/);
    t.deepEqual(header, ['NAME', 'BROKER', 'SUBSCRIBER_URI', 'AGE', 'READY', 'REASON']);
    s.api.create({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'hello', namespace: 'pingpong' }, spec: { template: { spec: { containers: [{ image: 'x' }] } } } });
    t.deepEqual((await s.kubectl('get', 'ksvc', '-A')).split('\n')[0]!.trim().split(/\s+/),
      ['NAMESPACE', 'NAME', 'URL', 'LATESTCREATED', 'LATESTREADY', 'READY', 'REASON']);
    t.regex(await s.kubectl('explain', 'ksvc.spec.template'), /KIND:\s+Service[\s\S]*FIELD:\s+template/);
  } finally { await s.stop(); }
});

test('apply, apply again, change: created, unchanged, configured; a spec change bumps generation, status does not', async (t) => {
  const s = await start();
  try {
    const file = await s.file('t.yaml', TRIGGER('http://127.0.0.1:9/'));
    t.regex(await s.kubectl('apply', '-f', file), /created/);
    t.regex(await s.kubectl('apply', '-f', file), /unchanged/);
    await writeFile(file, TRIGGER('http://127.0.0.1:10/'));
    t.regex(await s.kubectl('apply', '-f', file), /configured/);
    const get = async () => JSON.parse(await s.kubectl('get', 'trigger', 'mine', '-n', 'pingpong', '-o', 'json')) as { metadata: { generation: number }; spec: { subscriber: { uri: string } }; status?: { phase?: string } };
    let o = await get();
    t.is(o.spec.subscriber.uri, 'http://127.0.0.1:10/');
    t.is(o.metadata.generation, 2);
    // The status subresource writes only status; the main resource ignores a status it is sent.
    await s.kubectl('patch', 'trigger', 'mine', '-n', 'pingpong', '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"x"},"spec":{"broker":"other"}}');
    o = await get();
    t.is(o.status?.phase, 'x');
    t.is((o.spec as { broker?: string } & typeof o.spec).broker, 'default', '/status ignored the spec');
    t.is(o.metadata.generation, 2, 'a status write is not a new generation');
    await s.kubectl('patch', 'trigger', 'mine', '-n', 'pingpong', '--type=merge', '-p', '{"status":{"phase":"y"}}');
    t.is((await get()).status?.phase, 'x', 'the main resource kept the stored status');
  } finally { await s.stop(); }
});

test('a stale replace is a Conflict, and of concurrent updates with one resourceVersion exactly one wins', async (t) => {
  const s = await start();
  try {
    await s.kubectl('apply', '-f', await s.file('t.yaml', TRIGGER('http://127.0.0.1:9/')));
    const stale = await s.kubectl('get', 'trigger', 'mine', '-n', 'pingpong', '-o', 'yaml');
    await s.kubectl('apply', '-f', await s.file('t.yaml', TRIGGER('http://127.0.0.1:10/')));
    const err = await s.kubectl('replace', '-f', await s.file('stale.yaml', stale)).then(() => '', (e: { stderr: string }) => e.stderr);
    t.regex(err, /Conflict|the object has been modified/);

    const url = `${s.url}/apis/eventing.knative.dev/v1/namespaces/pingpong/triggers/mine`;
    const headers = { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' };
    const current = await (await fetch(url, { headers })).json() as { spec: { subscriber: { uri: string } } };
    const answers = await Promise.all([11, 12, 13, 14, 15].map((port) => fetch(url, {
      method: 'PUT', headers,
      body: JSON.stringify({ ...current, spec: { ...current.spec, subscriber: { uri: `http://127.0.0.1:${port}/` } } }),
    }).then((r) => r.status)));
    t.deepEqual(answers.filter((c) => c === 200).length, 1, `answers ${answers}`);
    t.deepEqual(answers.filter((c) => c === 409).length, 4);
  } finally { await s.stop(); }
});

test('any CRD applied is served with its printer columns; deleted, it is not', async (t) => {
  const s = await start();
  try {
    await s.kubectl('apply', '-f', path.join(ROOT, 'test/fixtures/manifests/widget-crd.yaml'));
    await s.kubectl('apply', '-f', await s.file('w.yaml', 'apiVersion: example.dev/v1\nkind: Widget\nmetadata: { name: w1, namespace: default, labels: { example.dev/color: red } }\nspec: { size: 3 }\n'));
    const rows = (await s.kubectl('get', 'wd', '-n', 'default')).trim().split('\n').map((l) => l.trim().split(/\s+/));
    t.deepEqual(rows[0], ['NAME', 'SIZE', 'COLOR', 'AGE']);
    t.deepEqual(rows[1]!.slice(0, 3), ['w1', '3', 'red']);
    await s.kubectl('delete', 'crd', 'widgets.example.dev');
    await t.throwsAsync(s.kubectl('get', 'widgets', '-n', 'default'), { message: /doesn't have a resource type "widgets"|could not find the requested resource/ });
  } finally { await s.stop(); }
});

test('admission refuses what Knative would, with 422 naming each field; a valid object passes, again after edits', async (t) => {
  const s = await start();
  try {
    const refusal = async (yaml: string) => s.kubectl('apply', '-f', await s.file('bad.yaml', yaml)).then(() => '', (e: { stderr: string }) => e.stderr);
    const unknownField = await refusal(TRIGGER('http://127.0.0.1:9/').replace('  broker: default', '  broker: default\n  brokr: typo'));
    t.regex(unknownField, /Trigger "mine" is invalid: spec\.brokr: unknown field/);
    const noSubscriber = await refusal('apiVersion: eventing.knative.dev/v1\nkind: Trigger\nmetadata: { name: mine, namespace: pingpong }\nspec: { broker: default }\n');
    t.regex(noSubscriber, /spec\.subscriber/);
    const badSchedule = await refusal('apiVersion: sources.knative.dev/v1\nkind: PingSource\nmetadata: { name: p, namespace: pingpong }\nspec:\n  schedule: "every minute"\n  sink: { uri: "http://127.0.0.1:9/" }\n');
    t.regex(badSchedule, /spec\.schedule/);
    t.is((await s.kubectl('get', 'triggers,pingsources', '-n', 'pingpong', '-o', 'name')).trim(), '', 'nothing refused was stored');
    const file = await s.file('t.yaml', TRIGGER('http://127.0.0.1:9/'));
    t.regex(await s.kubectl('apply', '-f', file), /created/);
    await writeFile(file, TRIGGER('http://127.0.0.1:10/'));
    t.regex(await s.kubectl('apply', '-f', file), /configured/, 'server-set metadata (uid, resourceVersion, annotations) does not trip validation');
    t.regex(await s.kubectl('label', 'trigger', 'mine', '-n', 'pingpong', 'team=blue'), /labeled/);
  } finally { await s.stop(); }
});

test('patch: merge, JSON (with a failing test op) and strategic on a built-in kind; kubectl apply changes a ConfigMap', async (t) => {
  const s = await start();
  try {
    const cm = (data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings, namespace: pingpong }\ndata: { ${data} }\n`;
    const file = await s.file('cm.yaml', cm('a: "1", b: "2"'));
    t.regex(await s.kubectl('apply', '-f', file), /created/);
    await writeFile(file, cm('a: "1", c: "3"'));
    // kubectl apply sends a strategic merge patch for a built-in kind, removing b and adding c.
    t.regex(await s.kubectl('apply', '-f', file), /configured/);
    const data = async () => JSON.parse(await s.kubectl('get', 'cm', 'settings', '-n', 'pingpong', '-o', 'jsonpath={.data}')) as Record<string, string>;
    t.deepEqual(await data(), { a: '1', c: '3' });
    await s.kubectl('patch', 'cm', 'settings', '-n', 'pingpong', '--type=json', '-p', '[{"op":"replace","path":"/data/a","value":"9"}]');
    t.is((await data()).a, '9');
    const failed = await s.kubectl('patch', 'cm', 'settings', '-n', 'pingpong', '--type=json', '-p', '[{"op":"test","path":"/data/a","value":"0"},{"op":"remove","path":"/data/c"}]')
      .then(() => '', (e: { stderr: string }) => e.stderr);
    t.regex(failed, /JSON patch could not be applied: operation 0/);
    t.is((await data()).c, '3', 'a failed JSON patch changes nothing');
    await s.kubectl('patch', 'cm', 'settings', '-n', 'pingpong', '--type=strategic', '-p', '{"data":{"d":"4"}}');
    t.is((await data()).d, '4');
    // Custom resources take merge and JSON patches; a strategic one is 415, as on a cluster.
    await s.kubectl('apply', '-f', await s.file('t.yaml', TRIGGER('http://127.0.0.1:9/')));
    const smp = await s.kubectl('patch', 'trigger', 'mine', '-n', 'pingpong', '--type=strategic', '-p', '{"spec":{"broker":"x"}}').then(() => '', (e: { stderr: string }) => e.stderr);
    t.regex(smp, /strategic merge patch is not supported for custom resources/);
    await s.kubectl('patch', 'trigger', 'mine', '-n', 'pingpong', '--type=json', '-p', '[{"op":"replace","path":"/spec/subscriber/uri","value":"http://127.0.0.1:11/"}]');
    t.is((await s.kubectl('get', 'trigger', 'mine', '-n', 'pingpong', '-o', 'jsonpath={.spec.subscriber.uri}')).trim(), 'http://127.0.0.1:11/');
  } finally { await s.stop(); }
});

test('kubectl auth can-i --as a ServiceAccount answers from the RBAC in force', async (t) => {
  const s = await start();
  try {
    s.api.setRbac([
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reader', namespace: 'pingpong' } },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'reader', namespace: 'pingpong' },
        rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'reader', namespace: 'pingpong' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' }, subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: 'pingpong' }] },
    ]);
    const canI = (...a: string[]) => s.kubectl('auth', 'can-i', ...a, '-n', 'pingpong', '--as=system:serviceaccount:pingpong:reader').then((o) => o.trim(), (e: { stdout: string }) => e.stdout.trim());
    t.is(await canI('list', 'pods'), 'yes');
    t.is(await canI('delete', 'pods'), 'no');
    t.is(await canI('get', 'triggers.eventing.knative.dev'), 'no');
    const asOther = await s.kubectl('get', 'triggers', '-n', 'pingpong', '--as=system:serviceaccount:pingpong:reader').then(() => '', (e: { stderr: string }) => e.stderr);
    t.regex(asOther, /forbidden: User "system:serviceaccount:pingpong:reader" cannot list resource "triggers"/);
    // Only who may impersonate can: the ServiceAccount itself may not become the admin.
    const saToken = (s.api as unknown as { tokens: { serviceAccountToken(ns: string, name: string): string } }).tokens.serviceAccountToken('pingpong', 'reader');
    const res = await fetch(`${s.url}/api/v1/namespaces/pingpong/pods`, { headers: { authorization: `Bearer ${saToken}`, 'impersonate-user': 'pingpong-admin' } });
    t.is(res.status, 403);
    t.regex(((await res.json()) as { message: string }).message, /cannot impersonate/);
  } finally { await s.stop(); }
});

test('a CRD\'s schema shapes its objects: defaults filled, unknown fields pruned, types, enums and CEL rules (with oldSelf) enforced', async (t) => {
  const s = await start();
  try {
    await s.kubectl('apply', '-f', path.join(ROOT, 'test/fixtures/manifests/widget-crd.yaml'));
    const widget = (spec: string) => `apiVersion: example.dev/v1\nkind: Widget\nmetadata: { name: w, namespace: default }\nspec: ${spec}\n`;
    const refusal = async (spec: string) => s.kubectl('apply', '-f', await s.file('w.yaml', widget(spec))).then(() => '', (e: { stderr: string }) => e.stderr);
    // kubectl's default --validate=strict sends fieldValidation=Strict: an unknown field is refused, named.
    t.regex(await refusal('{ size: 2, extra: dropped }'), /strict decoding error: unknown field "spec\.extra"/);
    const warned = await s.kubectlRun('apply', '--validate=warn', '-f', await s.file('w.yaml', widget('{ size: 2, extra: dropped }')));
    t.regex(warned.stdout, /created/);
    t.regex(warned.stderr, /Warning: unknown field "spec\.extra"/, 'Warn prunes and says so');
    const stored = JSON.parse(await s.kubectl('get', 'widget', 'w', '-n', 'default', '-o', 'json')) as { spec: Record<string, unknown> };
    t.deepEqual(stored.spec, { size: 2, finish: 'matte', min: 0, max: 10 }, 'defaults filled, the unknown field pruned');
    const ignored = await s.kubectlRun('apply', '--validate=false', '-f', await s.file('w.yaml', widget('{ size: 2, extra: again }')));
    t.notRegex(ignored.stderr, /unknown field/, 'Ignore prunes silently');
    const bad = await fetch(`${s.url}/apis/example.dev/v1/namespaces/default/widgets?fieldValidation=Sometimes`, {
      method: 'POST', headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'example.dev/v1', kind: 'Widget', metadata: { name: 'w2' }, spec: { size: 1 } }),
    });
    t.is(bad.status, 400);
    t.regex(((await bad.json()) as { message: string }).message, /fieldValidation: invalid value "Sometimes"/);
    t.regex(await refusal('{ size: 3, finish: shiny }'), /spec\.finish/);
    t.regex(await refusal('{ size: "big" }'), /spec\.size/);
    t.regex(await refusal('{ size: 3, min: 5, max: 4 }'), /min must not exceed max/);
    t.regex(await refusal('{ size: 1 }'), /size may only grow/);
    t.regex(await s.kubectl('apply', '-f', await s.file('w.yaml', widget('{ size: 5 }'))), /configured/, 'a growing size passes the transition rule');
  } finally { await s.stop(); }
});
