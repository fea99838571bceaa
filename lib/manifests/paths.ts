import type { ManifestProblem } from './types.js';
import type { KubeObject } from '../kube/object.js';

/** `Kind/namespace/name` for messages; tolerant of objects that are not well formed. */
export function resourceId(obj: unknown): string {
  const o = (obj ?? {}) as KubeObject;
  const kind = typeof o.kind === 'string' ? o.kind : '?';
  const name = typeof o.metadata?.name === 'string' ? o.metadata.name : '?';
  const ns = typeof o.metadata?.namespace === 'string' ? o.metadata.namespace : '';
  return `${kind}/${ns}/${name}`;
}

/** Appends a key to a dotted path: `a.b`, `a[0]`, and `a["x/y"]` for keys that are not identifiers. */
export function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (/^[A-Za-z_$][\w$-]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

/** A JSON pointer (`/spec/template/0`), as ajv reports it, as a dotted path. */
export function fromPointer(pointer: string): string {
  return pointer.split('/').slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<string>((path, p) => join(path, /^\d+$/.test(p) ? Number(p) : p), '');
}

/** Collects problems for one resource: `at(field, message)`. */
export function collector(file: string, obj: unknown) {
  const problems: ManifestProblem[] = [];
  const resource = resourceId(obj);
  const at = (field: string, message: string) => { problems.push({ file, resource, field, message }); };
  return { problems, at };
}

export type At = (field: string, message: string) => void;

export const isObject = (v: unknown): v is Record<string, any> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
