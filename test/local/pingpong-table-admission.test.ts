/**
 * The PingPongTable's admission on the local API holding the project's manifests, as a cluster
 * would run it: the CRD's schema (defaults, enums, bounds), its CEL rules (with a transition rule
 * on oldSelf), and the ValidatingAdmissionPolicy with its param ConfigMap.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { LocalApiServer } from '../../local/apiserver/index.js';
import { applyObjects, knativeCrds } from '../../local/runtime/apply.js';
import { knativeWebhook } from '../../local/runtime/webhook.js';
import { loadKustomization } from '../../lib/manifests/index.js';
import { ROOT } from '../../lib/process/function-command.js';

const run = promisify(execFile);

async function start() {
  const api = new LocalApiServer({ webhook: knativeWebhook });
  const url = await api.listen(0, '127.0.0.1');
  applyObjects(api, [...await knativeCrds(), ...(await loadKustomization(ROOT)).map((l) => l.object)]);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ppt-admission-'));
  const { admin } = await api.writeKubeconfigs({ dataDir: dir, serviceAccounts: [] });
  const token = (api as unknown as { tokens: { adminToken: string } }).tokens.adminToken;
  const call = async (method: string, p: string, body?: unknown, type = 'application/json') => {
    const res = await fetch(`${url}${p}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': type }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: await res.json() as any };
  };
  const kubectl = async (...a: string[]) => (await run('kubectl', ['--kubeconfig', admin, '--cache-dir', path.join(dir, 'cache'), ...a],
    { env: { ...process.env, HOME: dir, KUBECONFIG: '' }, timeout: 60_000 })).stdout;
  return { api, call, kubectl, stop: async () => { await api.close(); await rm(dir, { recursive: true, force: true }); } };
}

const TABLES = '/apis/pingpong.dev/v1alpha1/namespaces/pingpong/pingpongtables';
const table = (spec: unknown, name = 'default') => ({ apiVersion: 'pingpong.dev/v1alpha1', kind: 'PingPongTable', metadata: { name, namespace: 'pingpong' }, spec });

/** [what, spec (or a full object), expected status, what the refusal must name] */
const CASES: Array<[string, unknown, number, RegExp?]> = [
  ['an empty spec takes every default', {}, 201],
  ['Fixed with replicas within [min, max]', { workers: { mode: 'Fixed', min: 1, max: 5, replicas: 3 } }, 201],
  ['a mode outside the enum', { workers: { mode: 'Sometimes' } }, 422, /spec\.workers\.mode/],
  ['min over max (CEL)', { workers: { min: 5, max: 3 } }, 422, /spec\.workers\.min: min must not exceed max/],
  ['Fixed without replicas (CEL)', { workers: { mode: 'Fixed' } }, 422, /spec\.workers\.replicas: Fixed mode needs replicas within \[min, max\]/],
  ['Fixed replicas outside [min, max] (CEL)', { workers: { mode: 'Fixed', min: 2, max: 4, replicas: 5 } }, 422, /spec\.workers\.replicas/],
  ['max over the schema bound', { workers: { max: 21 } }, 422, /spec\.workers\.max/],
  ['a zero peering interval', { peering: { intervalSeconds: 0 } }, 422, /spec\.peering\.intervalSeconds/],
  ['a string where a number goes', { balls: { perTick: 'many' } }, 422, /spec\.balls\.perTick/],
  ['max over the namespace ceiling (policy)', { workers: { max: 12 } }, 422,
    /ValidatingAdmissionPolicy 'pingpong-table-limits' with binding 'pingpong-table-limits' denied request: spec\.workers\.max: 12 is over this namespace's ceiling of 10 workers/],
  ['maxHops over the namespace ceiling (policy)', { balls: { maxHops: 220 } }, 422, /spec\.balls\.maxHops: 220 is over this namespace's ceiling of 200 hops/],
  ['a table not named default (policy)', table({}, 'second'), 422, /one PingPongTable per namespace, named default/],
];

for (const [what, spec, status, names] of CASES) {
  test(`admission: ${what} → ${status}`, async (t) => {
    const s = await start();
    try {
      await s.call('DELETE', `${TABLES}/default`);
      const body = (spec as { kind?: string }).kind ? spec : table(spec);
      const res = await s.call('POST', TABLES, body);
      t.is(res.status, status, JSON.stringify(res.body));
      if (names) {
        t.is(res.body.kind, 'Status');
        t.is(res.body.reason, 'Invalid');
        t.regex(res.body.message, names);
      }
    } finally { await s.stop(); }
  });
}

test('defaults fill in every field; the shipped table is there, printed with MODE, WORKERS, READY and AGE', async (t) => {
  const s = await start();
  try {
    await s.call('DELETE', `${TABLES}/default`);
    const made = await s.call('POST', TABLES, table({}));
    t.deepEqual(made.body.spec, { workers: { mode: 'Random', min: 2, max: 5 }, peering: { intervalSeconds: 5 }, balls: { perTick: 3, maxHops: 20 } });
    await s.call('DELETE', `${TABLES}/default`);
    await s.call('POST', TABLES, table({ workers: { mode: 'Fixed', min: 1, max: 5, replicas: 4 } }));
    const out = await s.kubectl('get', 'ppt', '-n', 'pingpong');
    t.deepEqual(out.split('\n')[0]!.trim().split(/\s+/), ['NAME', 'MODE', 'WORKERS', 'READY', 'AGE']);
    t.regex(out, /^default\s+Fixed\s/m);
    t.deepEqual((await s.kubectl('get', 'ppt', '-n', 'pingpong', '-o', 'wide')).split('\n')[0]!.trim().split(/\s+/), ['NAME', 'MODE', 'WORKERS', 'READY', 'REASON', 'AGE']);
  } finally { await s.stop(); }
});

test('the transition rule: Fixed replicas may grow by at most 5 in one change, and shrink freely', async (t) => {
  const s = await start();
  try {
    const patch = (workers: unknown) => s.call('PATCH', `${TABLES}/default`, { spec: { workers } }, 'application/merge-patch+json');
    t.is((await patch({ mode: 'Fixed', min: 1, max: 10, replicas: 1 })).status, 200, 'from Random: no old Fixed count to compare');
    const jump = await patch({ replicas: 7 });
    t.is(jump.status, 422);
    t.regex(jump.body.message, /spec\.workers\.replicas: Fixed replicas may grow by at most 5 in one change/);
    t.is((await patch({ replicas: 6 })).status, 200);
    t.is((await patch({ replicas: 1 })).status, 200, 'shrinking is not limited');
  } finally { await s.stop(); }
});

test('the policy reads its ceiling from the param ConfigMap at each write, and a namespace without it may have no table', async (t) => {
  const s = await start();
  try {
    const patch = (max: number) => s.call('PATCH', `${TABLES}/default`, { spec: { workers: { max } } }, 'application/merge-patch+json');
    t.is((await patch(12)).status, 422);
    const cm = await s.call('PATCH', '/api/v1/namespaces/pingpong/configmaps/pingpong-table-limits', { data: { maxWorkers: '15' } }, 'application/merge-patch+json');
    t.is(cm.status, 200);
    t.is((await patch(12)).status, 200, 'the new ceiling applies to the next write');
    await s.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'elsewhere' } });
    const res = await s.call('POST', '/apis/pingpong.dev/v1alpha1/namespaces/elsewhere/pingpongtables', { ...table({}), metadata: { name: 'default', namespace: 'elsewhere' } });
    t.is(res.status, 422);
    t.regex(res.body.message, /no params found for policy binding with `Deny` parameterNotFoundAction/);
  } finally { await s.stop(); }
});

test('kubectl shows the policy and its binding; a refused kubectl apply names the policy', async (t) => {
  const s = await start();
  try {
    t.regex(await s.kubectl('get', 'validatingadmissionpolicies'), /^pingpong-table-limits\s+3\s+v1\/ConfigMap\s/m);
    t.regex(await s.kubectl('get', 'validatingadmissionpolicybindings'), /^pingpong-table-limits\s+pingpong-table-limits\s+\*\/pingpong-table-limits\s/m);
    const refused = await s.kubectl('patch', 'ppt', 'default', '-n', 'pingpong', '--type=merge', '-p', '{"spec":{"workers":{"max":11}}}').then(() => '', (e: { stderr: string }) => e.stderr);
    t.regex(refused, /The pingpongtables "default" is invalid: : ValidatingAdmissionPolicy 'pingpong-table-limits' with binding 'pingpong-table-limits' denied request/);
  } finally { await s.stop(); }
});
