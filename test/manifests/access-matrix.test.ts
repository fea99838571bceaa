/**
 * Every ServiceAccount × every resource and verb the manifests' Roles mention, asked of the local
 * API server holding the manifests' RBAC three ways: a SelfSubjectAccessReview with the
 * ServiceAccount's own token, the same review by the admin impersonating it, and the real request
 * made with its token. The expected answer is the table ALLOWED below, written by hand from what
 * each function's code needs, not computed by the server's RBAC code; so a Role that grants more or
 * less than the table, or a server that enforces it wrongly, fails here. The server holds no object
 * the requests name (only the CRDs), so an allowed write finds nothing to change.
 */
import test from 'ava';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { LocalApiServer } from '../../local/apiserver/index.js';
import { applyObjects, knativeCrds } from '../../local/runtime/apply.js';
import { startRbacController } from '../../local/controllers/rbac.js';
import { waitFor } from '../helpers/wait.js';
import { repoResources } from './fixtures.js';
import type { KubeObject } from '../../lib/kube/object.js';

const NS = 'pingpong';

/** The resources the Roles mention, with the object names their rules are limited to. */
const RESOURCES: Array<{ id: string; group: string; version: string; resource: string; subresource?: string; kind: string; names: string[] }> = [
  { id: 'pods', group: '', version: 'v1', resource: 'pods', kind: 'Pod', names: ['forward-00001-deployment-x', 'other'] },
  { id: 'secrets', group: '', version: 'v1', resource: 'secrets', kind: 'Secret', names: ['pingpong-postgres', 'other'] },
  { id: 'services.serving.knative.dev', group: 'serving.knative.dev', version: 'v1', resource: 'services', kind: 'Service', names: ['forward', 'other'] },
  { id: 'triggers.eventing.knative.dev', group: 'eventing.knative.dev', version: 'v1', resource: 'triggers', kind: 'Trigger', names: ['forward', 'other'] },
  { id: 'pingsources.sources.knative.dev', group: 'sources.knative.dev', version: 'v1', resource: 'pingsources', kind: 'PingSource', names: ['serve-balls', 'other'] },
  { id: 'pingpongtables.pingpong.dev', group: 'pingpong.dev', version: 'v1alpha1', resource: 'pingpongtables', kind: 'PingPongTable', names: ['default', 'other'] },
  { id: 'pingpongtables.pingpong.dev/status', group: 'pingpong.dev', version: 'v1alpha1', resource: 'pingpongtables', subresource: 'status', kind: 'PingPongTable', names: ['default', 'other'] },
];

/** Verbs on one object (each name above), and on the collection (no name). A watch is both: an informer's, or one object's. */
const OBJECT_VERBS = ['get', 'update', 'patch', 'delete', 'watch'] as const;
const COLLECTION_VERBS = ['list', 'watch', 'create', 'deletecollection'] as const;
const SUBRESOURCE_VERBS = ['get', 'update', 'patch'] as const;

/**
 * The expected answer: what each ServiceAccount may do, `<resource> <verb>` for the collection,
 * `<resource> <verb>@<name>` for one object, `@*` for every name. Anything not here is denied.
 */
const ALLOWED: Record<string, string[]> = {
  // ping: lists the workers once per ball; reads and follows the table's balls settings.
  ping: ['pods list', 'pingpongtables.pingpong.dev get@default', 'pingpongtables.pingpong.dev watch@default'],
  // history-ui: informers over the players and the system picture; reads, follows and changes the table.
  // (A rule without resourceNames grants a watch of one object too: watch@*.)
  'history-ui': ['pods list', 'pods watch', 'pods watch@*', 'services.serving.knative.dev list', 'services.serving.knative.dev watch',
    'services.serving.knative.dev watch@*', 'triggers.eventing.knative.dev list', 'triggers.eventing.knative.dev watch',
    'triggers.eventing.knative.dev watch@*', 'pingsources.sources.knative.dev list', 'pingsources.sources.knative.dev watch',
    'pingsources.sources.knative.dev watch@*', 'pingpongtables.pingpong.dev get@default', 'pingpongtables.pingpong.dev watch@default',
    'pingpongtables.pingpong.dev patch@default'],
  // forward: the worker pods' informer; the table's peering interval.
  forward: ['pods list', 'pods watch', 'pods watch@*', 'pingpongtables.pingpong.dev get@default', 'pingpongtables.pingpong.dev watch@default'],
  'list-pods': ['pods list', 'pods watch', 'pods watch@*'],
  // scale-workers: pins forward's scale, reads the table, reports in its status (never the spec).
  'scale-workers': ['services.serving.knative.dev get@forward', 'services.serving.knative.dev patch@forward',
    'pingpongtables.pingpong.dev get@default', 'pingpongtables.pingpong.dev watch@default', 'pingpongtables.pingpong.dev/status update@default'],
  // The ApiServerSources: get, list and watch what they watch (RBAC cannot narrow by label).
  'pingpongtables-source': ['pingpongtables.pingpong.dev get@*', 'pingpongtables.pingpong.dev list', 'pingpongtables.pingpong.dev watch', 'pingpongtables.pingpong.dev watch@*'],
  'worker-pods-source': ['pods get@*', 'pods list', 'pods watch', 'pods watch@*'],
  // The credentials Job: reads and fills the one Secret.
  'pingpong-credentials': ['secrets get@pingpong-postgres', 'secrets patch@pingpong-postgres'],
  // record-hop and coin-flip run as the namespace's default ServiceAccount: no rights at all.
  default: [],
};

interface Cell { sa: string; r: (typeof RESOURCES)[number]; verb: string; name: string; key: string; want: boolean }

function cells(): Cell[] {
  const out: Cell[] = [];
  for (const [sa, allowed] of Object.entries(ALLOWED)) {
    const grants = new Set(allowed);
    const add = (r: Cell['r'], verb: string, name: string) => {
      const key = `${r.id} ${verb}${name ? `@${name}` : ''}`;
      out.push({ sa, r, verb, name, key, want: grants.has(key) || (name !== '' && grants.has(`${r.id} ${verb}@*`)) });
    };
    for (const r of RESOURCES) {
      if (r.subresource) { for (const v of SUBRESOURCE_VERBS) for (const n of r.names) add(r, v, n); continue; }
      for (const v of OBJECT_VERBS) for (const n of r.names) add(r, v, n);
      for (const v of COLLECTION_VERBS) add(r, v, '');
    }
  }
  return out;
}

const resourceOf = (r: Cell['r']) => (r.subresource ? `${r.resource}/${r.subresource}` : r.resource);

test('the matrix covers every ServiceAccount, resource and verb the manifests mention, and the table names only real cells', async (t) => {
  const objects = (await repoResources()).map((r) => r.object);
  const accounts = objects.filter((o) => o.kind === 'ServiceAccount').map((o) => o.metadata.name).sort();
  t.deepEqual(accounts, Object.keys(ALLOWED).filter((sa) => sa !== 'default').sort(), 'a new ServiceAccount needs its row here');
  const rules = objects.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole').flatMap((o) => o.rules ?? []) as Array<{ apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }>;
  const mentioned = new Set(rules.flatMap((rule) => rule.apiGroups.flatMap((g) => rule.resources.map((res) => `${g}/${res}`))));
  t.deepEqual([...mentioned].sort(), [...new Set(RESOURCES.map((r) => `${r.group}/${resourceOf(r)}`))].sort(), 'every resource a Role names is in the matrix');
  const verbs = new Set<string>([...OBJECT_VERBS, ...COLLECTION_VERBS]);
  for (const v of rules.flatMap((rule) => rule.verbs)) t.true(verbs.has(v), `verb ${v} is in the matrix`);
  for (const n of rules.flatMap((rule) => rule.resourceNames ?? [])) t.true(RESOURCES.some((r) => r.names[0] === n), `resourceName ${n} is tried`);
  // A typo in the table would silently expect a denial: every entry must be a cell.
  const keys = new Set(cells().map((c) => c.key));
  for (const [sa, allowed] of Object.entries(ALLOWED)) for (const a of allowed) t.true(keys.has(a.replace('@*', `@${RESOURCES.find((r) => a.startsWith(`${r.id} `))?.names[0]}`)), `${sa}: ${a} is a cell`);
});

test('every ServiceAccount × resource × verb is allowed exactly where the table says: access review, impersonation and the real request', async (t) => {
  const objects = (await repoResources()).map((r) => r.object) as KubeObject[];
  const api = new LocalApiServer();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'access-matrix-'));
  let stopRbac = () => {};
  try {
    const url = await api.listen(0, '127.0.0.1');
    // What `pingpong up` applies, minus the objects the requests could touch: the CRDs, the
    // namespace and the RBAC, which the runtime's RBAC controller puts in force.
    const rbacKinds = new Set(['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding', 'Namespace', 'CustomResourceDefinition']);
    applyObjects(api, [...await knativeCrds(), ...objects.filter((o) => rbacKinds.has(o.kind))]);
    stopRbac = startRbacController(api);
    const accounts = Object.keys(ALLOWED).map((name) => ({ namespace: NS, name }));
    const paths = await api.writeKubeconfigs({ dataDir: dir, serviceAccounts: accounts });
    const tokenIn = async (file: string) => (parse(await readFile(file, 'utf8')) as { users: Array<{ user: { token: string } }> }).users[0]!.user.token;
    const adminToken = await tokenIn(paths.admin);
    const tokens = new Map(await Promise.all(accounts.map(async (a) => [a.name, await tokenIn(paths.serviceAccounts[`${NS}/${a.name}`]!)] as const)));

    const review = async (c: Cell, headers: Record<string, string>): Promise<boolean> => {
      const res = await fetch(`${url}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`, {
        method: 'POST', headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: {
          namespace: NS, verb: c.verb, group: c.r.group, resource: c.r.resource, subresource: c.r.subresource ?? '', name: c.name } } }),
      });
      if (res.status !== 201 && res.status !== 200) throw new Error(`review ${c.sa} ${c.key}: HTTP ${res.status} ${await res.text()}`);
      return ((await res.json()) as { status: { allowed: boolean } }).status.allowed;
    };
    /** The request the verb stands for, as the ServiceAccount; its HTTP status. */
    const request = async (c: Cell): Promise<number> => {
      const base = `${url}/${c.r.group ? `apis/${c.r.group}` : 'api'}/${c.r.version}/namespaces/${NS}/${c.r.resource}`;
      const one = `${base}/${c.name}${c.r.subresource ? `/${c.r.subresource}` : ''}`;
      const body = JSON.stringify({ apiVersion: c.r.group ? `${c.r.group}/${c.r.version}` : c.r.version, kind: c.r.kind, metadata: { name: c.name || 'made', namespace: NS } });
      const json = { 'content-type': 'application/json' };
      const [method, target, init] = ({
        get: ['GET', one, {}],
        list: ['GET', base, {}],
        watch: ['GET', `${base}?watch=true&timeoutSeconds=1${c.name ? `&fieldSelector=metadata.name%3D${c.name}` : ''}`, {}],
        create: ['POST', base, { headers: json, body }],
        update: ['PUT', one, { headers: json, body }],
        patch: ['PATCH', one, { headers: { 'content-type': 'application/merge-patch+json' }, body: '{}' }],
        delete: ['DELETE', one, {}],
        deletecollection: ['DELETE', base, {}],
      } as Record<string, [string, string, { headers?: Record<string, string>; body?: string }]>)[c.verb]!;
      const res = await fetch(target, { method, ...init, headers: { ...init.headers, authorization: `Bearer ${tokens.get(c.sa)}` } });
      await res.body?.cancel(); // an allowed watch streams: its status is all we need
      return res.status;
    };

    // The RBAC controller has put the manifests' RBAC in force once ping may list pods.
    await waitFor(async () => review({ sa: 'ping', r: RESOURCES[0]!, verb: 'list', name: '', key: '', want: true }, { authorization: `Bearer ${tokens.get('ping')}` }), 'the RBAC in force');

    const all = cells();
    const wrong: string[] = [];
    for (const c of all) {
      const own = await review(c, { authorization: `Bearer ${tokens.get(c.sa)}` });
      const as = await review(c, { authorization: `Bearer ${adminToken}`, 'impersonate-user': `system:serviceaccount:${NS}:${c.sa}` });
      const status = await request(c);
      const real = status !== 403;
      if (own !== c.want || as !== c.want || real !== c.want || status === 401 || status >= 500) {
        wrong.push(`${c.sa} ${c.key}: want ${c.want ? 'allowed' : 'denied'}, review ${own}, impersonated ${as}, request HTTP ${status}`);
      }
    }
    t.deepEqual(wrong, []);
    const allowed = all.filter((c) => c.want).length;
    t.is(allowed, Object.values(ALLOWED).flat().reduce((n, a) => n + (a.endsWith('@*') ? 2 : 1), 0), 'each table entry is one cell (two for @*)');
    t.log(`${Object.keys(ALLOWED).length} ServiceAccounts × ${RESOURCES.length} resources × their verbs = ${all.length} cells: ${allowed} allowed, ${all.length - allowed} denied`);
  } finally {
    stopRbac();
    await api.close();
    await rm(dir, { recursive: true, force: true });
  }
});
