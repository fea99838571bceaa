/**
 * What a user types, with the machine's kubectl, against the local API server holding the
 * project's manifests (as `pingpong up` applies them): `get` of every kind in every output,
 * `-w` on a Knative kind, `edit` through KUBE_EDITOR, `apply -k`, `describe`, `delete`.
 */
import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { LocalApiServer } from '../../local/apiserver/index.js';
import { applyObjects, knativeCrds } from '../../local/runtime/apply.js';
import { knativeWebhook } from '../../local/runtime/webhook.js';
import { loadKustomization } from '../../lib/manifests/index.js';
import { ROOT } from '../../lib/process/function-command.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);

async function start() {
  const api = new LocalApiServer({ webhook: knativeWebhook });
  await api.listen(0, '127.0.0.1');
  applyObjects(api, [...await knativeCrds(), ...(await loadKustomization(ROOT)).map((l) => l.object)]);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kubectl-matrix-'));
  const { admin } = await api.writeKubeconfigs({ dataDir: dir, serviceAccounts: [] });
  const env = { ...process.env, HOME: dir, KUBECONFIG: '' };
  const args = (...a: string[]) => ['--kubeconfig', admin, '--cache-dir', path.join(dir, 'cache'), ...a];
  const kubectlRun = (a: string[], extraEnv: Record<string, string> = {}) => run('kubectl', args(...a), { env: { ...env, ...extraEnv }, timeout: 60_000 });
  const kubectl = async (...a: string[]) => (await kubectlRun(a)).stdout;
  const file = async (name: string, text: string) => { const p = path.join(dir, name); await mkdir(path.dirname(p), { recursive: true }); await writeFile(p, text); return p; };
  return { api, dir, env, args, kubectl, kubectlRun, file, stop: async () => { await api.close(); await rm(dir, { recursive: true, force: true }); } };
}
type Server = Awaited<ReturnType<typeof start>>;

/** The kinds the manifests hold, by the name a user types, with one object each must list. */
const KINDS: Array<[string, string, string]> = [
  ['namespaces', '', 'pingpong'],
  ['configmaps', 'pingpong', 'pingpong-table-limits'],
  ['secrets', 'pingpong', 'pingpong-postgres'],
  ['serviceaccounts', 'pingpong', 'ping'],
  ['roles', 'pingpong', 'ping'],
  ['rolebindings', 'pingpong', 'ping'],
  ['ksvc', 'pingpong', 'forward'],
  ['brokers', 'pingpong', 'default'],
  ['triggers', 'pingpong', 'forward'],
  ['pingsources', 'pingpong', 'serve-balls'],
  ['customresourcedefinitions', '', 'services.serving.knative.dev'],
];

const ns = (n: string) => (n ? ['-n', n] : []);

test('get of every kind, in every output: table, wide, yaml, json, jsonpath, name', async (t) => {
  const s = await start();
  try {
    for (const [kind, n, name] of KINDS) {
      const table = await s.kubectl('get', kind, ...ns(n));
      t.regex(table.split('\n')[0]!, /^NAME\s/, `${kind}: a table with a header`);
      t.regex(table, new RegExp(`^${name.replace(/\./g, '\\.')}\\s`, 'm'), `${kind}: lists ${name}`);
      const wide = await s.kubectl('get', kind, ...ns(n), '-o', 'wide');
      t.true(wide.split('\n')[0]!.trim().split(/\s+/).length >= table.split('\n')[0]!.trim().split(/\s+/).length, `${kind}: -o wide has every column of the table`);
      t.regex(await s.kubectl('get', kind, name, ...ns(n), '-o', 'yaml'), new RegExp(`^  name: ${name.replace(/\./g, '\\.')}$`, 'm'), `${kind}: -o yaml`);
      const json = JSON.parse(await s.kubectl('get', kind, ...ns(n), '-o', 'json')) as { items: Array<{ metadata: { name: string; uid: string } }> };
      t.true(json.items.some((i) => i.metadata.name === name && i.metadata.uid.length > 0), `${kind}: -o json`);
      const names = await s.kubectl('get', kind, ...ns(n), '-o', 'jsonpath={.items[*].metadata.name}');
      t.true(names.split(' ').includes(name), `${kind}: -o jsonpath gives ${names}`);
      t.regex(await s.kubectl('get', kind, name, ...ns(n), '-o', 'name'), /^[a-z0-9.]+\/\S+\n$/, `${kind}: -o name`);
    }
    // The printer columns of Knative's CRDs, wide ones included.
    const ksvc = (await s.kubectl('get', 'ksvc', '-n', 'pingpong', '-o', 'wide')).split('\n')[0]!.trim().split(/\s+/);
    t.deepEqual(ksvc, ['NAME', 'URL', 'LATESTCREATED', 'LATESTREADY', 'READY', 'REASON']);
    t.deepEqual((await s.kubectl('get', 'trigger', '-n', 'pingpong', '-o', 'wide')).split('\n')[0]!.trim().split(/\s+/),
      ['NAME', 'BROKER', 'SUBSCRIBER_URI', 'AGE', 'READY', 'REASON']);
  } finally { await s.stop(); }
});

test('get -w on a Knative kind shows a Trigger added, changed and deleted', async (t) => {
  const s = await start();
  const child = spawn('kubectl', s.args('get', 'triggers', '-n', 'pingpong', '-w', '--output-watch-events'), { env: s.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const rows = () => out.split('\n').map((l) => l.trim().split(/\s+/)).filter((l) => l.length > 2);
  try {
    await waitFor(() => rows().some((r) => r[0] === 'ADDED' && r[1] === 'forward'), 'kubectl to list the shipped Trigger', { timeoutMs: 60_000 });
    const trigger = (uri: string) => `apiVersion: eventing.knative.dev/v1\nkind: Trigger\nmetadata: { name: watched, namespace: pingpong }\nspec:\n  broker: default\n  subscriber: { uri: "${uri}" }\n`;
    await s.kubectl('apply', '-f', await s.file('w.yaml', trigger('http://127.0.0.1:9/a')));
    await waitFor(() => rows().some((r) => r[0] === 'ADDED' && r[1] === 'watched'), 'the new Trigger', { timeoutMs: 60_000 });
    await s.kubectl('apply', '-f', await s.file('w.yaml', trigger('http://127.0.0.1:9/b')));
    await waitFor(() => rows().some((r) => r[0] === 'MODIFIED' && r[1] === 'watched'), 'the change', { timeoutMs: 60_000 });
    t.regex(await s.kubectl('delete', 'trigger', 'watched', '-n', 'pingpong'), /trigger\.eventing\.knative\.dev "watched" deleted/);
    await waitFor(() => rows().some((r) => r[0] === 'DELETED' && r[1] === 'watched'), 'the deletion', { timeoutMs: 60_000 });
    t.deepEqual(rows().filter((r) => r[1] === 'watched').map((r) => r[0]), ['ADDED', 'MODIFIED', 'DELETED']);
    t.regex(rows()[0]!.join(' '), /^EVENT NAME BROKER/);
  } finally {
    try { process.kill(-child.pid!, 'SIGTERM'); } catch { /* already gone */ }
    await exited;
    await s.stop();
  }
});

/** A KUBE_EDITOR that runs `sed -i <expr>` on the file kubectl hands it. */
async function editor(s: Server, name: string, sedExpr: string): Promise<string> {
  return s.file(name, `#!/bin/sh\nexec sed -i '${sedExpr}' "$1"\n`).then(async (p) => { await chmod(p, 0o755); return p; });
}

test('edit through KUBE_EDITOR changes the object; an invalid edit is refused naming the field, and nothing changes', async (t) => {
  const s = await start();
  try {
    const good = await editor(s, 'good.sh', 's|autoscaling.knative.dev/max-scale: "[0-9]*"|autoscaling.knative.dev/max-scale: "7"|');
    const before = JSON.parse(await s.kubectl('get', 'ksvc', 'forward', '-n', 'pingpong', '-o', 'json'));
    const { stdout } = await s.kubectlRun(['edit', 'ksvc', 'forward', '-n', 'pingpong'], { KUBE_EDITOR: good });
    t.regex(stdout, /service\.serving\.knative\.dev\/forward edited/);
    const after = JSON.parse(await s.kubectl('get', 'ksvc', 'forward', '-n', 'pingpong', '-o', 'json'));
    t.is(after.spec.template.metadata.annotations['autoscaling.knative.dev/max-scale'], '7');
    t.is(after.metadata.generation, before.metadata.generation + 1, 'a template edit is a new generation');

    const bad = await editor(s, 'bad.sh', 's|containerConcurrency: [0-9]*|containerConcurrency: 5000|');
    const refused = await s.kubectlRun(['edit', 'ksvc', 'forward', '-n', 'pingpong'], { KUBE_EDITOR: bad }).then(() => undefined, (e: { stderr: string }) => e.stderr);
    t.truthy(refused, 'kubectl edit fails');
    t.regex(refused!, /services\.serving\.knative\.dev "forward" is invalid/);
    // kubectl reopens the file with the server's causes as comments, and keeps a copy when it gives up.
    const copy = /stored to "([^"]+)"/.exec(refused!)?.[1];
    t.truthy(copy, refused);
    t.teardown(() => rm(copy!, { force: true }));
    t.regex(await readFile(copy!, 'utf8'), /^# \* spec\.template\.spec\.containerConcurrency: .*must be between 0 and 1000/m);
    const unchanged = JSON.parse(await s.kubectl('get', 'ksvc', 'forward', '-n', 'pingpong', '-o', 'json'));
    t.is(unchanged.metadata.resourceVersion, after.metadata.resourceVersion, 'the refused edit wrote nothing');
  } finally { await s.stop(); }
});

test('apply -k applies a kustomization: created, then unchanged; describe shows it; delete removes it', async (t) => {
  const s = await start();
  try {
    await s.file('k/kustomization.yaml', 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: pingpong\nresources:\n- trigger.yaml\n- ping.yaml\n');
    await s.file('k/trigger.yaml', 'apiVersion: eventing.knative.dev/v1\nkind: Trigger\nmetadata: { name: kustomized }\nspec:\n  broker: default\n  filter: { attributes: { type: dev.pingpong.ball.landed } }\n  subscriber: { ref: { apiVersion: serving.knative.dev/v1, kind: Service, name: record-hop } }\n');
    await s.file('k/ping.yaml', 'apiVersion: sources.knative.dev/v1\nkind: PingSource\nmetadata: { name: kustomized-tick }\nspec:\n  schedule: "*/5 * * * *"\n  sink: { ref: { apiVersion: eventing.knative.dev/v1, kind: Broker, name: default } }\n');
    const first = await s.kubectl('apply', '-k', path.join(s.dir, 'k'));
    t.regex(first, /trigger\.eventing\.knative\.dev\/kustomized created/);
    t.regex(first, /pingsource\.sources\.knative\.dev\/kustomized-tick created/);
    const again = await s.kubectl('apply', '-k', path.join(s.dir, 'k'));
    t.regex(again, /trigger\.eventing\.knative\.dev\/kustomized unchanged/);
    t.regex(again, /pingsource\.sources\.knative\.dev\/kustomized-tick unchanged/);
    const described = await s.kubectl('describe', 'trigger', 'kustomized', '-n', 'pingpong');
    t.regex(described, /^Name:\s+kustomized$/m);
    t.regex(described, /^Namespace:\s+pingpong$/m);
    t.regex(described, /dev\.pingpong\.ball\.landed/);
    t.regex(await s.kubectl('delete', '-k', path.join(s.dir, 'k')), /pingsource\.sources\.knative\.dev "kustomized-tick" deleted/);
    await t.throwsAsync(s.kubectl('get', 'pingsource', 'kustomized-tick', '-n', 'pingpong'), { message: /NotFound|not found/ });
  } finally { await s.stop(); }
});

test('the runtime applies the manifests as kubectl apply does: applying a shipped file again is unchanged, with no warning', async (t) => {
  const s = await start();
  try {
    const { stdout, stderr } = await s.kubectlRun(['apply', '-f', path.join(ROOT, 'knative/400-pingpongtable-default.yaml')]);
    t.regex(stdout, /pingpongtable\.pingpong\.dev\/default unchanged/);
    t.notRegex(stderr, /last-applied-configuration/, stderr);
    const changed = await s.kubectlRun(['apply', '-f', path.join(ROOT, 'eventing/500-pingsource-serve-balls.yaml')]);
    t.regex(changed.stdout, /unchanged/);
  } finally { await s.stop(); }
});

test('a patch that changes nothing writes nothing: same resourceVersion, kubectl says (no change)', async (t) => {
  const s = await start();
  try {
    const patch = ['patch', 'ppt', 'default', '-n', 'pingpong', '--type=merge', '-p', '{"spec":{"peering":{"intervalSeconds":7}}}'];
    t.regex(await s.kubectl(...patch), /patched$/m);
    const rv = JSON.parse(await s.kubectl('get', 'ppt', 'default', '-n', 'pingpong', '-o', 'json')).metadata.resourceVersion;
    t.regex(await s.kubectl(...patch), /patched \(no change\)/);
    t.is(JSON.parse(await s.kubectl('get', 'ppt', 'default', '-n', 'pingpong', '-o', 'json')).metadata.resourceVersion, rv);
  } finally { await s.stop(); }
});
