// The models alone (their attribute type maps), not the package's API clients: half the memory.
import * as k8s from '@kubernetes/client-node/dist/gen/models/all.js';
import type { KindInfo } from './models.js';
import { fromPointer, isObject, join, type At } from './paths.js';
import type { KubeObject } from '../kube/object.js';

/**
 * Knative `config-features` flags that are on by default (SRV config/core/configmaps/features.yaml):
 * of the PodSpec parts the CRD marks as feature-flagged, only emptyDir volumes.
 */
export const DEFAULT_FEATURES: readonly string[] = ['kubernetes.podspec-volumes-emptydir'];

interface AjvLikeError { instancePath: string; message?: string; params?: Record<string, unknown> }

/** Types and required fields, by the @kubernetes-models typed model's own validate(). */
export function modelProblems(obj: KubeObject, info: KindInfo, at: At): void {
  try {
    new info.model(obj).validate();
  } catch (err) {
    const errors = (err as { errors?: AjvLikeError[] }).errors;
    if (!Array.isArray(errors)) { at('', `schema validation failed: ${(err as Error).message}`); return; }
    for (const e of errors) {
      const missing = e.params?.missingProperty;
      const field = typeof missing === 'string' ? join(fromPointer(e.instancePath), missing) : fromPointer(e.instancePath);
      const allowed = e.params?.allowedValues;
      at(field, typeof missing === 'string' ? 'is required'
        : `${e.message ?? 'is invalid'}${Array.isArray(allowed) ? `: ${allowed.join(', ')}` : ''}`);
    }
  }
}

/**
 * Fields the schema does not know. The typed models accept unknown fields, and the CRDs keep
 * many with x-kubernetes-preserve-unknown-fields, but Knative's webhooks decode into Go structs
 * with unknown fields disallowed, and `kubectl apply` validates built-in kinds strictly. So an
 * object schema that lists `properties` is closed here unless it says `additionalProperties`;
 * preserve-unknown objects without properties (free-form maps) stay open.
 */
export function unknownFieldProblems(obj: KubeObject, info: KindInfo, features: ReadonlySet<string>, at: At): void {
  if (info.crd) {
    for (const [key, value] of Object.entries(obj)) {
      if (key === 'metadata') walkClientModel(value, 'V1ObjectMeta', 'metadata', at);
      else if (key === 'apiVersion' || key === 'kind') continue;
      else if (info.crd.properties?.[key]) walkCrd(value, info.crd.properties[key], key, features, at);
      else at(key, 'unknown field');
    }
  } else if (info.clientModel) {
    walkClientModel(obj, info.clientModel, '', at);
  }
}

function walkCrd(value: unknown, schema: Record<string, any>, path: string, features: ReadonlySet<string>, at: At): void {
  const flag = schema['x-feature-flag'];
  if (typeof flag === 'string' && !features.has(flag)) {
    at(path, `is behind the Knative feature flag "${flag}", disabled by default (config-features in knative-serving)`);
    return;
  }
  if (Array.isArray(value)) {
    if (isObject(schema.items)) value.forEach((v, i) => walkCrd(v, schema.items, join(path, i), features, at));
    return;
  }
  if (!isObject(value)) return;
  const props = schema.properties as Record<string, any> | undefined;
  const extra = schema.additionalProperties;
  for (const [key, v] of Object.entries(value)) {
    const sub = props?.[key] ?? (isObject(extra) ? extra : undefined);
    if (sub) walkCrd(v, sub, join(path, key), features, at);
    else if (props && extra !== true) at(join(path, key), 'unknown field');
  }
}

type ClientModel = { attributeTypeMap?: Array<{ baseName: string; type: string }> };
const clientModels = k8s as unknown as Record<string, ClientModel | undefined>;

function walkClientModel(value: unknown, type: string, path: string, at: At): void {
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (Array.isArray(value)) value.forEach((v, i) => walkClientModel(v, array[1]!, join(path, i), at));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (isObject(value)) for (const [k, v] of Object.entries(value)) walkClientModel(v, map[1]!, join(path, k), at);
    return;
  }
  const attributes = clientModels[type]?.attributeTypeMap;
  if (!attributes || !isObject(value)) return; // a scalar type, IntOrString, any
  for (const [key, v] of Object.entries(value)) {
    const attribute = attributes.find((a) => a.baseName === key);
    if (attribute) walkClientModel(v, attribute.type, join(path, key), at);
    else at(join(path, key), 'unknown field');
  }
}
