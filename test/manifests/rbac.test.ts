import test from 'ava';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ManifestObject } from '../../lib/manifests/types.js';
import { ROOT, repoResources } from './fixtures.js';

/** One API access: apiGroup, resource, verb, as a comparable string. */
type Access = string;
const access = (group: string, resource: string, verb: string): Access => `${group || 'core'}/${resource}:${verb}`;

/** What a Role grants, one entry per (group, resource, verb). */
function grantsOf(role: ManifestObject): Access[] {
  return (role.rules ?? []).flatMap((r: { apiGroups?: string[]; resources?: string[]; verbs?: string[] }) =>
    (r.apiGroups ?? []).flatMap((g) => (r.resources ?? []).flatMap((res) => (r.verbs ?? []).map((v) => access(g, res, v))))).sort();
}

/** What a function's code calls, from its kube-access.ts; undefined when it calls no API. */
async function codeAccessOf(fn: string): Promise<Access[] | undefined> {
  const file = path.join(ROOT, 'functions', fn, 'kube-access.ts');
  if (!(await stat(file).catch(() => undefined))) return undefined;
  const { KUBE_ACCESS } = await import(pathToFileURL(file).href) as { KUBE_ACCESS: ReadonlyArray<{ apiGroup: string; resource: string; verbs: readonly string[] }> };
  return KUBE_ACCESS.flatMap((a) => a.verbs.map((v) => access(a.apiGroup, a.resource, v))).sort();
}

/** The Roles bound to a ServiceAccount in its namespace. */
function rolesOf(objects: ManifestObject[], sa: string, ns: string): ManifestObject[] {
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

test('the comparison tells a Role that grants more, or less, than the code calls', (t) => {
  const role = (verbs: string[], resources = ['pods'], apiGroups = ['']) => ({ rules: [{ apiGroups, resources, verbs }] });
  const calls = [access('', 'pods', 'list')];
  t.deepEqual(grantsOf(role(['list'])), calls);
  t.notDeepEqual(grantsOf(role(['list', 'watch'])), calls);
  t.notDeepEqual(grantsOf(role(['get'])), calls);
  t.notDeepEqual(grantsOf(role(['list'], ['pods', 'services'])), calls);
  t.notDeepEqual(grantsOf(role(['list'], ['pods'], ['apps'])), calls);
});
