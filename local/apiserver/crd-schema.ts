/**
 * What the apiextensions server does with a custom resource's structural schema on every write:
 * prune unknown fields, apply defaults, validate (OpenAPI v3 through ajv), then the CEL rules of
 * `x-kubernetes-validations` with `self` and, on an update, `oldSelf` (transition rules run only
 * when there is an old value). A refusal is 422 with one cause per field; an unknown field under
 * `fieldValidation=Strict` is 400, as the server's strict decoding answers.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { run, type CelInput } from '@bufbuild/cel';
import { ApiError } from './status.js';
import type { KubeObject } from '../../lib/kube/object.js';

export interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  default?: unknown;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-validations'?: { rule: string; message?: string; fieldPath?: string; reason?: string }[];
  [k: string]: unknown;
}

interface Cause { reason: string; message: string; field: string }

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const ROOT_KEEP = new Set(['apiVersion', 'kind', 'metadata']);

/**
 * Drops fields the schema does not know, unless it preserves unknown fields there; each dropped
 * field's path goes to `dropped` (`.spec.extra`, `.spec.items[0].x`), as the server names them.
 */
export function prune(value: unknown, schema: Schema | undefined, root = false, dropped?: string[], path = ''): unknown {
  if (!schema || schema['x-kubernetes-preserve-unknown-fields']) return value;
  if (Array.isArray(value)) return value.map((v, i) => prune(v, schema.items, false, dropped, `${path}[${i}]`));
  if (!isObj(value)) return value;
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) {
    const at = `${path}.${k}`;
    if (root && ROOT_KEEP.has(k)) out[k] = v;
    else if (schema.properties?.[k]) out[k] = prune(v, schema.properties[k], false, dropped, at);
    else if (isObj(schema.additionalProperties)) out[k] = prune(v, schema.additionalProperties, false, dropped, at);
    else if (schema.additionalProperties === true) out[k] = v;
    else dropped?.push(at);
  }
  return out;
}

/**
 * `?fieldValidation=`: what a write does with fields the schema does not know. Strict refuses
 * them (kubectl's default), Warn prunes them and says so in a Warning header (the server's
 * default), Ignore prunes them silently.
 */
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** How one write is shaped: its field validation, and where its warnings go. */
export interface ShapeOptions { fieldValidation: FieldValidation; warn: (message: string) => void }

/** Fills in `default`s where a field is absent (in objects that are present), deepest last. */
export function withDefaults(value: unknown, schema: Schema | undefined): unknown {
  if (!schema) return value;
  if (Array.isArray(value)) return value.map((v) => withDefaults(v, schema.items));
  if (!isObj(value)) return value;
  const out: Obj = { ...value };
  for (const [k, s] of Object.entries(schema.properties ?? {})) {
    if (out[k] === undefined && s.default !== undefined) out[k] = structuredClone(s.default);
    if (out[k] !== undefined) out[k] = withDefaults(out[k], s);
  }
  return out;
}

/** A JS value as CEL sees a Kubernetes object: maps for objects, int for schema integers. */
function toCel(value: unknown, schema: Schema | undefined): unknown {
  if (Array.isArray(value)) return value.map((v) => toCel(v, schema?.items));
  if (isObj(value)) {
    const m = new Map<string, unknown>();
    for (const [k, v] of Object.entries(value)) {
      const s = schema?.properties?.[k] ?? (isObj(schema?.additionalProperties) ? schema!.additionalProperties as Schema : undefined);
      m.set(k, toCel(v, s));
    }
    return m;
  }
  if (typeof value === 'number' && schema?.type === 'integer' && Number.isInteger(value)) return BigInt(value);
  return value;
}

/** The CEL rules of every node, evaluated where the value is present. */
function celCauses(value: unknown, old: unknown, schema: Schema | undefined, path: string, out: Cause[]): void {
  if (!schema || value === undefined) return;
  for (const rule of schema['x-kubernetes-validations'] ?? []) {
    const transition = /\boldSelf\b/.test(rule.rule);
    if (transition && old === undefined) continue;
    const result = run(rule.rule, { self: toCel(value, schema) as CelInput, ...(transition ? { oldSelf: toCel(old, schema) as CelInput } : {}) });
    if (result === true) continue;
    const field = [path, rule.fieldPath?.replace(/^\./, '')].filter(Boolean).join('.');
    const message = result === false ? rule.message ?? `failed rule: ${rule.rule}` : `rule could not be evaluated: ${rule.rule}: ${(result as Error).message ?? String(result)}`;
    out.push({ reason: rule.reason ?? 'FieldValueInvalid', message, field: field || '<object>' });
  }
  if (isObj(value)) {
    for (const [k, s] of Object.entries(schema.properties ?? {})) {
      celCauses(value[k], isObj(old) ? old[k] : undefined, s, path ? `${path}.${k}` : k, out);
    }
  } else if (Array.isArray(value) && schema.items) {
    value.forEach((v, i) => celCauses(v, undefined, schema.items, `${path}[${i}]`, out));
  }
}

/** JSON Schema for ajv: the OpenAPI schema with Kubernetes' extensions left to the steps above. */
function forAjv(schema: Schema): object {
  return JSON.parse(JSON.stringify(schema, (k, v) => (k.startsWith('x-kubernetes-') ? undefined : v)));
}

/** The admission of one CRD version's schema: returns the object to store or throws 422. */
export function structuralAdmission(kind: string, group: string, schema: Schema): (object: KubeObject, old?: KubeObject, opts?: ShapeOptions) => KubeObject {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats.default(ajv);
  const { metadata: _m, ...rest } = schema.properties ?? {};
  const validate: ValidateFunction = ajv.compile(forAjv({ ...schema, properties: rest }));
  return (object, old, opts) => {
    const dropped: string[] = [];
    const shaped = withDefaults(prune(object, schema, true, dropped), schema) as KubeObject;
    if (dropped.length && opts?.fieldValidation === 'Strict') {
      throw new ApiError(400, 'BadRequest', `${kind} in version "${String(object.apiVersion).split('/')[1] ?? ''}" cannot be handled as a ${kind}: strict decoding error: ${dropped.map((f) => `unknown field "${f.slice(1)}"`).join(', ')}`);
    }
    if (opts?.fieldValidation !== 'Ignore') for (const f of dropped) opts?.warn(`unknown field "${f.slice(1)}"`);
    const causes: Cause[] = [];
    if (!validate(shaped)) {
      for (const e of validate.errors ?? []) {
        const field = [e.instancePath.replace(/^\//, '').replace(/\//g, '.'), (e.params as { missingProperty?: string }).missingProperty].filter(Boolean).join('.');
        causes.push({ reason: e.keyword === 'required' ? 'FieldValueRequired' : 'FieldValueInvalid', message: e.message ?? e.keyword, field: field || '<object>' });
      }
    }
    if (!causes.length) celCauses(shaped, old, schema, '', causes);
    if (causes.length) {
      throw new ApiError(422, 'Invalid', `${kind}.${group} "${object.metadata.name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`,
        { name: object.metadata.name, group, kind, causes });
    }
    return shaped;
  };
}
