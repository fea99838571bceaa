import test from 'ava';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, repoResources } from './fixtures.js';
import type { KubeObject } from '../../lib/kube/object.js';

/** One API access: apiGroup, resource, verb and, when limited to some, the object's name. */
type Access = string;
const access = (group: string, resource: string, verb: string, name?: string): Access =>
  `${group || 'core'}/${resource}:${verb}${name === undefined ? '' : `@${name}`}`;

/** A rule or a declared access: each combination, one entry per resource name if it names any. */
const expand = (groups: readonly string[], resources: readonly string[], verbs: readonly string[], names?: readonly string[]): Access[] =>
  groups.flatMap((g) => resources.flatMap((res) => verbs.flatMap((v) =>
    names?.length ? names.map((n) => access(g, res, v, n)) : [access(g, res, v)])));

/** What a Role grants, one entry per (group, resource, verb[, resourceName]). */
function grantsOf(role: Record<string, any>): Access[] {
  return (role.rules ?? []).flatMap((r: { apiGroups?: string[]; resources?: string[]; verbs?: string[]; resourceNames?: string[] }) =>
    expand(r.apiGroups ?? [], r.resources ?? [], r.verbs ?? [], r.resourceNames)).sort();
}

type Declared = ReadonlyArray<{ apiGroup: string; resource: string; verbs: readonly string[]; resourceNames?: readonly string[] }>;

/** What a kube-access module declares its code calls; undefined when there is no such file. */
async function declaredAccess(file: string): Promise<Access[] | undefined> {
  if (!(await stat(file).catch(() => undefined))) return undefined;
  const { KUBE_ACCESS } = await import(pathToFileURL(file).href) as { KUBE_ACCESS: Declared };
  return KUBE_ACCESS.flatMap((a) => expand([a.apiGroup], [a.resource], a.verbs, a.resourceNames)).sort();
}

/** What a function's code calls, from its kube-access.ts; undefined when it calls no API. */
const codeAccessOf = (fn: string): Promise<Access[] | undefined> => declaredAccess(path.join(ROOT, 'functions', fn, 'kube-access.ts'));

/**
 * The workloads that are not Knative Services and call the API, by the script their container
 * runs, and where that code declares its calls. Any other Job, StatefulSet or Deployment must
 * run with no rights at all.
 */
const SCRIPT_ACCESS: Record<string, string> = {
  'dist/lib/db/k8s-credentials-cli.js': 'lib/db/k8s-access.ts',
};

/** The Roles bound to a ServiceAccount in its namespace. */
function rolesOf(objects: KubeObject[], sa: string, ns = "default"): KubeObject[] {
  const bindings = objects.filter((o) => o.kind === 'RoleBinding' && o.metadata.namespace === ns
    && (o.subjects ?? []).some((s: { kind: string; name: string; namespace?: string }) => s.kind === 'ServiceAccount' && s.name === sa && (s.namespace ?? ns) === ns));
  return bindings.map((b) => objects.find((o) => o.kind === b.roleRef.kind && o.metadata.name === b.roleRef.name && (o.kind === 'ClusterRole' || o.metadata.namespace === ns))!)
    .filter(Boolean);
}

test('no Role grants a wildcard verb, resource or apiGroup', async (t) => {
  const roles = (await repoResources()).map((r) => r.object).filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole');
  t.true(roles.length > 0);
  for (const role of roles) for (const rule of role.rules ?? []) {
    for (const f of ['verbs', 'resources', 'apiGroups'] as const) t.false((rule[f] ?? []).includes('*'), `${role.kind}/${role.metadata.name} ${f} has *`);
  }
});

test('each ServiceAccount is granted exactly what its function calls (functions/<fn>/kube-access.ts)', async (t) => {
  const objects = (await repoResources()).map((r) => r.object);
  const services = objects.filter((o) => o.apiVersion === 'serving.knative.dev/v1' && o.kind === 'Service');
  let compared = 0;
  for (const svc of services) {
    const fn = svc.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'FUNCTION_TARGET').value as string;
    const sa = svc.spec.template.spec.serviceAccountName as string | undefined;
    const granted = sa ? rolesOf(objects, sa, svc.metadata.namespace).flatMap(grantsOf).sort() : [];
    const calls = await codeAccessOf(fn);
    if (calls === undefined) {
      t.deepEqual(granted, [], `${fn} calls no Kubernetes API but its ServiceAccount ${sa} has a Role`);
    } else {
      t.truthy(sa, `${fn} calls the Kubernetes API but has no ServiceAccount`);
      t.not(sa, 'default', `${fn} needs its own ServiceAccount`);
      t.deepEqual(granted, calls, `${fn}: Role grants ≠ what the code calls`);
      compared++;
    }
  }
  t.true(compared >= 1, 'at least ping is compared');
});

test('each Job, StatefulSet and Deployment is granted exactly what its script calls (lib/db/k8s-access.ts…)', async (t) => {
  const objects = (await repoResources()).map((r) => r.object);
  const workloads = objects.filter((o) => ['Job', 'StatefulSet', 'Deployment'].includes(o.kind));
  t.true(workloads.length >= 3, 'postgres, the migrate Job and the credentials Job');
  const compared = new Set<string>();
  for (const w of workloads) {
    const spec = w.spec.template.spec;
    const name = `${w.kind}/${w.metadata.name}`;
    const sa = spec.serviceAccountName as string | undefined;
    const granted = sa ? rolesOf(objects, sa, w.metadata.namespace).flatMap(grantsOf).sort() : [];
    const scripts = (spec.containers as Array<{ command?: string[] }>).flatMap((c) => c.command ?? []).filter((a) => a in SCRIPT_ACCESS);
    if (scripts.length === 0) {
      t.deepEqual(granted, [], `${name} declares no Kubernetes calls but its ServiceAccount ${sa} has a Role`);
      continue;
    }
    const calls = (await Promise.all(scripts.map((s) => declaredAccess(path.join(ROOT, SCRIPT_ACCESS[s]!))))).flatMap((x) => x ?? []).sort();
    t.truthy(sa && sa !== 'default', `${name} calls the Kubernetes API: it needs its own ServiceAccount`);
    t.deepEqual(granted, calls, `${name}: Role grants ≠ what ${scripts.map((s) => SCRIPT_ACCESS[s]).join(', ')} declares`);
    scripts.forEach((s) => compared.add(s));
  }
  t.deepEqual([...compared].sort(), Object.keys(SCRIPT_ACCESS).sort(), 'every declared script runs in some workload');
});

test('a ServiceAccount with a Role is used by exactly one workload (so its rights are that code\'s)', async (t) => {
  const objects = (await repoResources()).map((r) => r.object);
  for (const sa of objects.filter((o) => o.kind === 'ServiceAccount')) {
    if (rolesOf(objects, sa.metadata.name, sa.metadata.namespace).length === 0) continue;
    const users = objects.filter((o) => o.metadata.namespace === sa.metadata.namespace
      && (o.spec?.template?.spec?.serviceAccountName ?? o.spec?.serviceAccountName) === sa.metadata.name);
    t.is(users.length, 1, `ServiceAccount ${sa.metadata.name} is used by ${users.map((u) => `${u.kind}/${u.metadata.name}`).join(', ') || 'nothing'}`);
  }
});

test('the comparison tells a Role that grants more, or less, than the code calls', (t) => {
  const role = (verbs: string[], resources = ['pods'], apiGroups = ['']) => ({ rules: [{ apiGroups, resources, verbs }] });
  const calls = [access('', 'pods', 'list')];
  t.deepEqual(grantsOf(role(['list'])), calls);
  t.notDeepEqual(grantsOf(role(['list', 'watch'])), calls);
  t.notDeepEqual(grantsOf(role(['get'])), calls);
  t.notDeepEqual(grantsOf(role(['list'], ['pods', 'services'])), calls);
  t.notDeepEqual(grantsOf(role(['list'], ['pods'], ['apps'])), calls);
});

test('the comparison tells a Role limited to other names, or to none, from the declared one', (t) => {
  const role = (resourceNames?: string[]) => ({ rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'patch'], ...(resourceNames ? { resourceNames } : {}) }] });
  const calls = expand([''], ['secrets'], ['get', 'patch'], ['pingpong-postgres']).sort();
  t.deepEqual(grantsOf(role(['pingpong-postgres'])), calls);
  t.notDeepEqual(grantsOf(role()), calls, 'every Secret in the namespace');
  t.notDeepEqual(grantsOf(role(['other'])), calls);
  t.notDeepEqual(grantsOf(role(['pingpong-postgres', 'other'])), calls);
});

test('each ApiServerSource\'s ServiceAccount may get, list and watch exactly the kinds it names', async (t) => {
  const objects = (await repoResources()).map((r) => r.object);
  const crdPlural = new Map(objects.filter((o) => o.kind === 'CustomResourceDefinition').map((c) => [`${c.spec.group}/${c.spec.names.kind}`, c.spec.names.plural as string]));
  const sources = objects.filter((o) => o.kind === 'ApiServerSource');
  t.true(sources.length > 0);
  for (const src of sources) {
    const ns = src.metadata.namespace ?? 'default';
    const granted = rolesOf(objects, src.spec.serviceAccountName, ns).flatMap(grantsOf).sort();
    const wanted = (src.spec.resources as Array<{ apiVersion: string; kind: string }>).flatMap((r) => {
      const group = r.apiVersion.includes('/') ? r.apiVersion.split('/')[0]! : '';
      const plural = crdPlural.get(`${group}/${r.kind}`) ?? `${r.kind.toLowerCase()}s`;
      return expand([group], [plural], ['get', 'list', 'watch']);
    }).sort();
    t.deepEqual(granted, wanted, `ApiServerSource ${src.metadata.name} (ServiceAccount ${src.spec.serviceAccountName})`);
  }
});
