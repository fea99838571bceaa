import type { GeneratedResource } from './load.js';
import { isObject, join, resourceId } from './paths.js';
import type { LoadedResource, ManifestProblem } from './types.js';
import type { KubeObject } from '../kube/object.js';

/** A reference found in a manifest: what it points at, and where it was written. */
export interface Reference {
  from: LoadedResource;
  field: string;
  kind: string;
  /** apiVersion when the reference states one (a KReference); undefined for kind-only references. */
  apiVersion?: string;
  name: string;
  namespace: string;
}

const SERVICE = 'serving.knative.dev/v1';

/**
 * Every reference between resources that Knative or Kubernetes resolves by name: Trigger broker and
 * subscriber, dead-letter sinks, source and binding sinks, SinkBinding subjects, ServiceAccounts,
 * RoleBinding roles and subjects, and env from ConfigMaps and Secrets.
 */
export function referencesOf(r: LoadedResource): Reference[] {
  const o = r.object;
  const ns: string = o.metadata?.namespace ?? 'default';
  const refs: Reference[] = [];
  const add = (field: string, kind: string, name: unknown, apiVersion?: unknown, namespace?: unknown) => {
    if (typeof name !== 'string') return;
    refs.push({ from: r, field, kind, name, namespace: typeof namespace === 'string' ? namespace : ns,
      ...(typeof apiVersion === 'string' ? { apiVersion } : {}) });
  };
  const dest = (d: unknown, field: string) => {
    if (isObject(d) && isObject(d.ref)) add(join(field, 'ref'), d.ref.kind, d.ref.name, d.ref.apiVersion, d.ref.namespace);
  };
  const podSpec = (spec: unknown, field: string) => {
    if (!isObject(spec)) return;
    if (typeof spec.serviceAccountName === 'string' && spec.serviceAccountName !== 'default') {
      add(join(field, 'serviceAccountName'), 'ServiceAccount', spec.serviceAccountName, 'v1');
    }
    for (const list of ['containers', 'initContainers'] as const) {
      (Array.isArray(spec[list]) ? spec[list] : []).forEach((c: KubeObject, i: number) => {
        (Array.isArray(c?.env) ? c.env : []).forEach((e: KubeObject, j: number) => {
          const f = `${join(join(join(field, list), i), 'env')}[${j}].valueFrom`;
          if (isObject(e?.valueFrom?.configMapKeyRef)) add(`${f}.configMapKeyRef`, 'ConfigMap', e.valueFrom.configMapKeyRef.name, 'v1');
          if (isObject(e?.valueFrom?.secretKeyRef)) add(`${f}.secretKeyRef`, 'Secret', e.valueFrom.secretKeyRef.name, 'v1');
        });
      });
    }
  };
  switch (o.kind) {
    case 'Trigger':
      add('spec.broker', 'Broker', o.spec?.broker, 'eventing.knative.dev/v1');
      dest(o.spec?.subscriber, 'spec.subscriber');
      dest(o.spec?.delivery?.deadLetterSink, 'spec.delivery.deadLetterSink');
      break;
    case 'Broker':
      dest(o.spec?.delivery?.deadLetterSink, 'spec.delivery.deadLetterSink');
      break;
    case 'PingSource': case 'ApiServerSource': case 'SinkBinding': case 'ContainerSource':
      dest(o.spec?.sink, 'spec.sink');
      if (o.kind === 'ApiServerSource') add('spec.serviceAccountName', 'ServiceAccount', o.spec?.serviceAccountName ?? 'default', 'v1');
      if (o.kind === 'SinkBinding' && isObject(o.spec?.subject)) {
        const s = o.spec.subject;
        add('spec.subject', s.kind, s.name, s.apiVersion, s.namespace);
      }
      break;
    case 'Service':
      if (o.apiVersion === SERVICE) podSpec(o.spec?.template?.spec, 'spec.template.spec');
      break;
    case 'StatefulSet': case 'Deployment': case 'Job':
      podSpec(o.spec?.template?.spec, 'spec.template.spec');
      break;
    case 'RoleBinding':
      add('roleRef', String(o.roleRef?.kind), o.roleRef?.name, 'rbac.authorization.k8s.io/v1');
      (Array.isArray(o.subjects) ? o.subjects : []).forEach((s: KubeObject, i: number) => {
        if (s?.kind === 'ServiceAccount') add(`subjects[${i}]`, 'ServiceAccount', s.name, 'v1', s.namespace);
      });
      break;
  }
  // ApiServerSource's default ServiceAccount exists in every namespace.
  return refs.filter((x) => !(x.kind === 'ServiceAccount' && x.name === 'default'));
}

/**
 * References that resolve to nothing in the set (plus what the kustomization generates): each is
 * a Trigger that never becomes Ready, a sink that drops events, or a pod that never starts.
 */
export function referenceProblems(resources: readonly LoadedResource[], generated: readonly GeneratedResource[] = []): ManifestProblem[] {
  const have = new Set<string>();
  const key = (apiVersion: string | undefined, kind: string, ns: string, name: string) => `${apiVersion ?? '*'}|${kind}|${ns}|${name}`;
  for (const { object: o } of resources) {
    const ns = o.metadata?.namespace ?? 'default';
    have.add(key(o.apiVersion, o.kind, ns, o.metadata?.name));
    have.add(key(undefined, o.kind, ns, o.metadata?.name));
  }
  for (const g of generated) {
    have.add(key('v1', g.kind, g.namespace ?? 'default', g.name));
    have.add(key(undefined, g.kind, g.namespace ?? 'default', g.name));
  }
  const problems: ManifestProblem[] = [];
  for (const r of resources) {
    for (const ref of referencesOf(r)) {
      if (have.has(key(ref.apiVersion, ref.kind, ref.namespace, ref.name))) continue;
      problems.push({ file: r.file, resource: resourceId(r.object), field: ref.field,
        message: `refers to ${ref.kind}${ref.apiVersion ? ` (${ref.apiVersion})` : ''} "${ref.name}" in namespace "${ref.namespace}", which is not in the manifests` });
    }
  }
  return problems;
}
