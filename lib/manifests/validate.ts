import { KINDS, kindKey } from './models.js';
import { collector, isObject, resourceId, type At } from './paths.js';
import { DEFAULT_FEATURES, modelProblems, unknownFieldProblems } from './schema.js';
import { servingServiceRules } from './serving-rules.js';
import {
  apiServerSourceRules, brokerRules, CESQL_UNSUPPORTED, cesqlFilters, pingSourceRules, sinkBindingRules, triggerRules,
} from './eventing-rules.js';
import type { LoadedResource, ManifestProblem, ValidateOptions } from './types.js';
import type { KubeObject } from '../kube/object.js';

export { DEFAULT_FEATURES } from './schema.js';
export { CESQL_UNSUPPORTED } from './eventing-rules.js';

/** Knative's admission rules per kind, beyond the schema (REFERENCE 1–2). */
const WEBHOOK_RULES: Record<string, (obj: KubeObject, at: At) => void> = {
  'serving.knative.dev/v1/Service': servingServiceRules,
  'eventing.knative.dev/v1/Broker': brokerRules,
  'eventing.knative.dev/v1/Trigger': triggerRules,
  'sources.knative.dev/v1/PingSource': pingSourceRules,
  'sources.knative.dev/v1/SinkBinding': sinkBindingRules,
  'sources.knative.dev/v1/ApiServerSource': apiServerSourceRules,
};

/** DNS-1123 subdomain: what Kubernetes accepts as most object names. */
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Validates one resource as a cluster with Knative would admit it: the typed model's schema
 * (@kubernetes-models), unknown fields (vendored CRD schemas, client-node models), and Knative's
 * webhook rules. With `options.local`, also what the local runtime cannot run
 * (localRuntimeProblems). Returns [] when the resource is fine.
 */
export function validateResource(obj: unknown, file: string, options: ValidateOptions = {}): ManifestProblem[] {
  const { problems, at } = collector(file, obj);
  if (!isObject(obj)) { at('', 'must be a YAML mapping (a Kubernetes object)'); return problems; }
  if (typeof obj.apiVersion !== 'string' || obj.apiVersion === '') at('apiVersion', 'is required');
  if (typeof obj.kind !== 'string' || obj.kind === '') at('kind', 'is required');
  if (!isObject(obj.metadata)) { at('metadata', 'is required'); return problems; }
  const name = obj.metadata.name;
  if (typeof name !== 'string' || name === '') at('metadata.name', 'is required');
  else if (name.length > 253 || !NAME.test(name)) at('metadata.name', `"${name}" is not a valid name (lowercase letters, digits, "-" and ".")`);
  if (problems.length) return problems;
  // The envelope is checked: from here on it is a Kubernetes object.
  const o = obj as KubeObject;

  const key = kindKey(o);
  const info = KINDS.get(key);
  if (!info) {
    const group = o.apiVersion.includes('/') ? o.apiVersion : `core/${o.apiVersion}`;
    if (!options.customKinds?.has(`${group}/${o.kind}`)) {
      at('kind', `${o.kind} (${o.apiVersion}) is not a kind these manifests may use (known: ${[...KINDS.keys()].join(', ')})`);
    }
    return problems;
  }
  if (!info.namespaced && o.metadata.namespace !== undefined) at('metadata.namespace', `${o.kind} is cluster-scoped: no namespace`);
  modelProblems(o, info, at);
  unknownFieldProblems(o, info, new Set(options.features ?? DEFAULT_FEATURES), at);
  WEBHOOK_RULES[key]?.(o, at);
  if (options.local) problems.push(...localRuntimeProblems(o, file));
  return problems;
}

/**
 * What Knative accepts but the local runtime cannot run: kept apart so the cluster validation
 * allows it and the local runtime refuses it on load with a clear message.
 */
export function localRuntimeProblems(obj: unknown, file: string): ManifestProblem[] {
  const { problems, at } = collector(file, obj);
  if (isObject(obj) && kindKey(obj) === 'eventing.knative.dev/v1/Trigger') {
    for (const field of cesqlFilters(obj as KubeObject)) at(field, CESQL_UNSUPPORTED);
  }
  return problems;
}

/**
 * Validates a whole set: every resource (custom resources of CRDs in the set are accepted as
 * such), and no resource defined twice. `local` adds the local runtime's limits.
 */
export function validateAll(resources: readonly LoadedResource[], options: { local: boolean; features?: Iterable<string> }): ManifestProblem[] {
  const customKinds = new Set<string>();
  for (const { object } of resources) {
    if (kindKey(object) !== 'apiextensions.k8s.io/v1/CustomResourceDefinition') continue;
    for (const v of object.spec?.versions ?? []) customKinds.add(`${object.spec?.group}/${v?.name}/${object.spec?.names?.kind}`);
  }
  const problems: ManifestProblem[] = [];
  const seen = new Map<string, string>();
  for (const r of resources) {
    problems.push(...validateResource(r.object, r.file, { ...options, customKinds }));
    const id = `${kindKey(r.object)}/${r.object.metadata?.namespace ?? ''}/${r.object.metadata?.name}`;
    const first = seen.get(id);
    if (first) problems.push({ file: r.file, resource: resourceId(r.object), field: 'metadata.name', message: `defined twice (also in ${first})` });
    else seen.set(id, r.file);
  }
  return problems;
}
