/**
 * The local API server fed generated bad input over HTTP, as its admin: broken and deep JSON
 * bodies on create (a ConfigMap, and a PingPongTable checked against its CRD schema), label and
 * field selectors, watch parameters, paths with bad percent-encoding, wrong methods and request
 * heads Node cannot parse. Every refusal is a Kubernetes Status with a 4xx code and a message.
 */
import test from 'ava';
import fc from 'fast-check';
import http from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { parse as parseYaml } from 'yaml';
import { loadKustomization } from '../../lib/manifests/index.js';
import { ROOT } from '../../lib/process/function-command.js';
import { LocalApiServer } from '../../local/apiserver/index.js';
import { applyObjects, knativeCrds } from '../../local/runtime/apply.js';
import { anyJson, badSegment, brokenJson, check, deepJson, getUntilHead, keepAlive, malformedHead, methodsBut, refused, send, sendRaw, type Answer } from './arbitraries.js';

const agent = keepAlive();
let api: LocalApiServer;
let port: number;
let dir: string;
let auth: Record<string, string>;
let cases = 0;

const PODS = '/api/v1/namespaces/pingpong/pods';
const CONFIGMAPS = '/api/v1/namespaces/pingpong/configmaps';
const TABLES = '/apis/pingpong.dev/v1alpha1/namespaces/pingpong/pingpongtables';

test.before(async () => {
  api = new LocalApiServer({ log: pino({ level: 'silent' }) });
  const url = await api.listen(0, '127.0.0.1');
  port = Number(new URL(url).port);
  applyObjects(api, [...await knativeCrds(), ...(await loadKustomization(ROOT)).map((l) => l.object)]);
  dir = await mkdtemp(path.join(os.tmpdir(), 'property-api-'));
  const files = await api.writeKubeconfigs({ dataDir: dir, serverUrl: url, serviceAccounts: [] });
  const kubeconfig = parseYaml(await readFile(files.admin, 'utf8')) as { users: Array<{ user: { token: string } }> };
  auth = { authorization: `Bearer ${kubeconfig.users[0]!.user.token}` };
});

test.after.always(async () => {
  agent.destroy();
  await api?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A Kubernetes Status refusing the request: a 4xx in both the HTTP status and its code, with a message. */
function status(a: Answer, names: RegExp, allowed?: number[]): void {
  refused(a, names, allowed);
  const s = JSON.parse(a.body) as { kind?: string; code?: number; message?: string };
  if (s.kind !== 'Status' || s.code !== a.status || !s.message) throw new Error(`not a Status for ${a.status}: ${a.body.slice(0, 200)}`);
}

async function stillServes(t: { is: (a: unknown, b: unknown, m?: string) => void }) {
  const list = await send(port, agent, { method: 'GET', path: PODS, headers: auth });
  t.is(list.status, 200, `list pods after the property: ${list.body.slice(0, 200)}`);
  const name = `good-${Date.now()}-${Math.random().toString(36).slice(2, 7)}`;
  const made = await send(port, agent, { method: 'POST', path: CONFIGMAPS, headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: 'b' } }) });
  t.is(made.status, 201, `create a ConfigMap after the property: ${made.body.slice(0, 200)}`);
}

test.serial('a create body that is broken, not an object, or nested past 512 levels is a 400 Status', async (t) => {
  const body = fc.oneof(
    brokenJson.map((b) => ({ b, names: /not valid JSON/ })),
    fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.array(anyJson, { maxLength: 2 })).map((v) => ({ b: JSON.stringify(v), names: /must be a JSON object/ })),
    deepJson.map((d) => ({ b: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"data":${d}}`, names: /nested deeper than 512/ })),
    deepJson.map((d) => ({ b: `{"apiVersion":"pingpong.dev/v1alpha1","kind":"PingPongTable","metadata":{"name":"deep"},"spec":${d}}`, names: /nested deeper than 512/ })),
  );
  cases += await check(fc.tuple(body, fc.constantFrom(CONFIGMAPS, TABLES)), 500, async ([{ b, names }, where]) => {
    status(await send(port, agent, { method: 'POST', path: where, headers: { ...auth, 'content-type': 'application/json' }, body: b }), names, [400]);
  });
  await stillServes(t);
});

test.serial('a create body of the wrong shape is a 4xx Status naming what is wrong', async (t) => {
  const object = fc.record({
    apiVersion: fc.oneof(fc.constant('v1'), anyJson), kind: fc.oneof(fc.constant('ConfigMap'), anyJson),
    metadata: fc.oneof(fc.record({ name: fc.oneof(fc.stringMatching(/^[a-z0-9-]{1,10}$/), anyJson) }, { requiredKeys: [] }), anyJson),
    data: fc.oneof(fc.dictionary(fc.string({ maxLength: 6 }), anyJson, { maxKeys: 3 }), anyJson),
  }, { requiredKeys: [] });
  cases += await check(object, 800, async (o) => {
    const a = await send(port, agent, { method: 'POST', path: CONFIGMAPS, headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(o) });
    // A well-formed ConfigMap with a fresh name may be created: that is the one good outcome.
    if (a.status === 201) return;
    status(a, /./);
  });
  await stillServes(t);
});

test.serial('a label or field selector that does not parse is a 400 Status naming the selector; one that does is a 200', async (t) => {
  const selector = fc.oneof(
    fc.stringMatching(/^[a-z0-9=!,()<> .\/_-]{0,30}$/),
    fc.string({ maxLength: 20 }),
    fc.constantFrom('a=b,', 'in (a)', 'a in b', 'a in (b', 'a b', '!', 'a>b', '-a=b', 'a=(', ',,', 'a==', 'a!=', 'a in ()', 'x/y/z=1'),
  );
  cases += await check(fc.tuple(fc.constantFrom('labelSelector', 'fieldSelector'), selector, fc.boolean()), 1500, async ([param, value, watch]) => {
    const q = new URLSearchParams({ [param]: value, ...(watch ? { watch: 'true', timeoutSeconds: '1' } : {}) });
    const a = await getUntilHead(port, `${PODS}?${q}`, auth);
    if (a.status === 200) return;
    status(a, /selector|field label|not supported/i, [400]);
  });
  await stillServes(t);
});

test.serial('regression: timeoutSeconds=abc is a 400 naming it, not a watch of the default length', async (t) => {
  const a = await getUntilHead(port, `${PODS}?watch=true&timeoutSeconds=abc`, auth);
  t.is(a.status, 400);
  t.regex(a.body, /timeoutSeconds: Invalid value: \\"abc\\"/);
});

test.serial('watch parameters that are not what they say are a 400 Status naming the parameter', async (t) => {
  const bad = fc.oneof(
    fc.string({ maxLength: 10 }).filter((v) => v !== '' && !/^\d+$/.test(v)).map((v) => ({ timeoutSeconds: v, names: /timeoutSeconds/ })),
    fc.string({ maxLength: 10 }).filter((v) => v !== '' && !/^\d+$/.test(v)).map((v) => ({ resourceVersion: v, names: /resourceVersion/ })),
  );
  cases += await check(bad, 600, async ({ names, ...params }) => {
    const q = new URLSearchParams({ watch: 'true', ...(params as Record<string, string>) });
    status(await getUntilHead(port, `${PODS}?${q}`, auth), names, [400]);
  });
  // A long timeout is a long watch, not one that ends at once (setTimeout's limit is 24.8 days).
  const long = await new Promise<number>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: `${PODS}?watch=true&timeoutSeconds=3000000`, headers: auth, agent: false }, (res) => {
      const opened = Date.now();
      res.resume();
      res.on('end', () => resolve(Date.now() - opened));
      setTimeout(() => { req.destroy(); resolve(Infinity); }, 1_500);
    });
    req.on('error', reject);
  });
  t.true(long >= 1_500, `a watch with timeoutSeconds=3000000 ended after ${long} ms`);
  await stillServes(t);
});

test.serial('paths with broken percent-encoding, unknown resources and wrong methods are 4xx Statuses', async (t) => {
  const req = fc.oneof(
    badSegment.map((s) => ({ method: 'GET', path: `/api/v1/namespaces/${s}/pods` })),
    badSegment.map((s) => ({ method: 'GET', path: `/api/v1/namespaces/pingpong/pods/${s}` })),
    badSegment.map((s) => ({ method: 'GET', path: `/apis/${s}/v1/things` })),
    fc.array(fc.stringMatching(/^[a-z0-9.%-]{0,8}$/), { maxLength: 6 }).map((parts) => ({ method: 'GET', path: `/apis/${parts.join('/')}` })),
    methodsBut('GET', 'POST', 'DELETE', 'OPTIONS').map((method) => ({ method, path: PODS })),
  );
  cases += await check(req, 800, async ({ method, path: p }) => {
    const a = await send(port, agent, { method, path: p, headers: { ...auth, 'content-type': 'application/json' }, body: method === 'GET' ? undefined : '{}' });
    if (a.status === 200) return; // a discovery path that exists
    status(a, /./);
  });
  await stillServes(t);
});

test.serial('a request head Node cannot parse is a 400 or 431 naming the request', async (t) => {
  cases += await check(malformedHead(PODS), 300, async (raw) => {
    // A head that parses (the chunk after it does not) is answered before its body: 401 without a token.
    refused(await sendRaw(port, raw), /"field":"request"|Unauthorized/, [400, 401, 431]);
  });
  await stillServes(t);
});

test.serial('the cases of this file add up', (t) => {
  t.log(`API server: ${cases} generated cases`);
  t.true(cases >= 3000);
});
