/**
 * ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1), as the API server runs it on every
 * write: each binding's policy that matches the request (its resourceRules, and the namespace and
 * object selectors of both), with the binding's param, evaluates its matchConditions, variables
 * and validations in CEL over `object`, `oldObject`, `params`, `request`, `namespaceObject` and
 * `variables` — the same CEL library as the CRD rules. A failed validation under `Deny` is the
 * server's refusal, word for word; under `Warn` a warning; `Audit` is not kept here.
 */
import { run, type CelInput } from '@bufbuild/cel';
import { ApiError } from './status.js';
import { matchLabels, type LabelRequirement } from './selectors.js';
import type { KubeObject } from '../../lib/kube/object.js';

/** What the evaluator needs of one request. */
export interface PolicyRequest {
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  group: string;
  version: string;
  /** The plural, e.g. `pingpongtables`. */
  resource: string;
  kind: string;
  namespace?: string;
  name: string;
  user: string;
  object?: KubeObject;
  oldObject?: KubeObject;
}

/** Where policies, bindings, params and namespaces are read from (the API's own stores). */
export interface PolicySource {
  policies(): readonly KubeObject[];
  bindings(): readonly KubeObject[];
  /** An object of a param kind, or undefined. */
  param(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined;
  namespace(name: string): KubeObject | undefined;
}

interface LabelSelector { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> }
interface ResourceRule { apiGroups?: string[]; apiVersions?: string[]; resources?: string[]; operations?: string[] }
interface MatchResources { namespaceSelector?: LabelSelector; objectSelector?: LabelSelector; resourceRules?: ResourceRule[] }
interface Validation { expression: string; message?: string; messageExpression?: string; reason?: string }

const OPS: Record<string, LabelRequirement['op']> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/** A metav1.LabelSelector as requirements; an absent selector matches everything. */
export function selectorRequirements(s: LabelSelector | undefined): LabelRequirement[] {
  if (!s) return [];
  return [
    ...Object.entries(s.matchLabels ?? {}).map(([key, v]): LabelRequirement => ({ key, op: '=', values: [v] })),
    ...(s.matchExpressions ?? []).map((e): LabelRequirement => ({ key: e.key, op: OPS[e.operator] ?? 'in', values: e.values ?? [] })),
  ];
}

const anyOf = (list: string[] | undefined, value: string) => !list || list.includes('*') || list.includes(value);
const ruleMatches = (rule: ResourceRule, r: PolicyRequest) =>
  anyOf(rule.apiGroups, r.group) && anyOf(rule.apiVersions, r.version) && anyOf(rule.resources, r.resource) && anyOf(rule.operations, r.operation);

function resourcesMatch(m: MatchResources | undefined, r: PolicyRequest, source: PolicySource, requireRules: boolean): boolean {
  if (!m) return !requireRules;
  if (m.resourceRules ? !m.resourceRules.some((rule) => ruleMatches(rule, r)) : requireRules) return false;
  const target = r.object ?? r.oldObject;
  if (!matchLabels(selectorRequirements(m.objectSelector), target?.metadata.labels ?? {})) return false;
  if (m.namespaceSelector && r.namespace !== undefined) {
    const ns = source.namespace(r.namespace);
    if (!matchLabels(selectorRequirements(m.namespaceSelector), ns?.metadata.labels ?? {})) return false;
  }
  return true;
}

/** A JSON value as CEL sees it: maps for objects, int for whole numbers, null for absent. */
function toCel(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return value.map(toCel);
  if (typeof value === 'object') return new Map(Object.entries(value as object).map(([k, v]) => [k, toCel(v)]));
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  return value;
}

/** One evaluation: the value, or an Error naming the expression. */
function evaluate(expression: string, vars: Record<string, unknown>): unknown {
  let result: unknown;
  try { result = run(expression, vars as Record<string, CelInput>); } catch (e) { result = e; }
  return result instanceof Error ? new Error(`expression '${expression}' resulted in error: ${result.message}`) : result;
}

export interface PolicyOutcome { warnings: string[] }

/** Runs every matching binding; throws the server's refusal, or returns the warnings. */
export function admitByPolicies(r: PolicyRequest, source: PolicySource): PolicyOutcome {
  const warnings: string[] = [];
  const policies = new Map(source.policies().map((p) => [p.metadata.name, p]));
  for (const binding of source.bindings()) {
    const policy = policies.get(String(binding.spec?.policyName ?? ''));
    if (!policy) continue;
    const spec = policy.spec ?? {};
    if (!resourcesMatch(spec.matchConstraints, r, source, true)) continue;
    if (!resourcesMatch(binding.spec?.matchResources, r, source, false)) continue;
    const label = `ValidatingAdmissionPolicy '${policy.metadata.name}' with binding '${binding.metadata.name}'`;
    const actions: string[] = binding.spec?.validationActions ?? ['Deny'];
    const failOpen = spec.failurePolicy === 'Ignore';
    const refuse = (message: string, reason = 'Invalid') => {
      if (actions.includes('Warn')) warnings.push(`Validation failed for ${label}: ${message}`);
      if (!actions.includes('Deny')) return;
      const code = reason === 'Forbidden' ? 403 : reason === 'Unauthorized' ? 401 : reason === 'RequestEntityTooLarge' ? 413 : 422;
      const text = `${label} denied request: ${message}`;
      // Named by the resource's plural, as the server's refusal is (`The pingpongtables "default" is invalid`).
      throw new ApiError(code, reason, code === 422 ? `${r.resource}.${r.group} "${r.name}" is invalid: : ${text}` : `${r.resource}.${r.group} "${r.name}" is forbidden: ${text}`,
        { name: r.name, group: r.group, kind: r.resource, ...(code === 422 ? { causes: [{ reason: 'FieldValueInvalid', message: text, field: '' }] } : {}) });
    };

    let params: KubeObject | undefined;
    if (spec.paramKind) {
      const ref = binding.spec?.paramRef as { name?: string; namespace?: string; parameterNotFoundAction?: string } | undefined;
      params = ref?.name ? source.param(spec.paramKind.apiVersion, spec.paramKind.kind, ref.namespace ?? r.namespace, ref.name) : undefined;
      if (!params) {
        if (ref?.parameterNotFoundAction === 'Allow') continue;
        refuse(`failed to configure binding: no params found for policy binding with \`Deny\` parameterNotFoundAction`);
        continue;
      }
    }
    const namespaceObject = r.namespace !== undefined ? source.namespace(r.namespace) : undefined;
    const vars: Record<string, unknown> = {
      object: toCel(r.object), oldObject: toCel(r.oldObject), params: toCel(params), namespaceObject: toCel(namespaceObject),
      request: toCel({
        operation: r.operation, name: r.name, namespace: r.namespace ?? '', userInfo: { username: r.user },
        kind: { group: r.group, version: r.version, kind: r.kind }, resource: { group: r.group, version: r.version, resource: r.resource },
      }),
    };
    const conditions = (spec.matchConditions ?? []) as Array<{ name: string; expression: string }>;
    const unmet = conditions.map((c) => evaluate(c.expression, vars)).find((v) => v !== true);
    if (unmet !== undefined) {
      if (unmet instanceof Error && !failOpen) refuse(unmet.message);
      continue;
    }
    const variables = new Map<string, unknown>();
    vars.variables = variables;
    for (const v of (spec.variables ?? []) as Array<{ name: string; expression: string }>) variables.set(v.name, evaluate(v.expression, vars));
    for (const v of (spec.validations ?? []) as Validation[]) {
      const ok = evaluate(v.expression, vars);
      if (ok === true) continue;
      if (ok instanceof Error) { if (!failOpen) refuse(ok.message); continue; }
      const custom = v.messageExpression ? evaluate(v.messageExpression, vars) : undefined;
      refuse(typeof custom === 'string' && custom.trim() ? custom : v.message ?? `failed expression: ${v.expression}`, v.reason ?? 'Invalid');
    }
  }
  return { warnings };
}

/** The policies, bindings, params and namespaces as this server's registry holds them. */
export function registrySource(registry: { forKind(apiVersion: string, kind: string): { store?: { get(ns: string | undefined, name: string): KubeObject | undefined; list(): { items: KubeObject[] } } } | undefined }): PolicySource {
  const store = (kind: string) => registry.forKind('admissionregistration.k8s.io/v1', kind)?.store;
  return {
    policies: () => store('ValidatingAdmissionPolicy')?.list().items ?? [],
    bindings: () => store('ValidatingAdmissionPolicyBinding')?.list().items ?? [],
    param: (apiVersion, kind, namespace, name) => registry.forKind(apiVersion, kind)?.store?.get(namespace, name),
    namespace: (name) => registry.forKind('v1', 'Namespace')?.store?.get(undefined, name),
  };
}
