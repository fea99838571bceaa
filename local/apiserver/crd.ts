/**
 * CustomResourceDefinitions: applying one serves its resource, as the apiextensions server does —
 * discovery (names, short names, categories), the storage version's printer columns, and its
 * status subresource. Knative's own kinds are served this way (local/crds/), so the PingPongTable
 * of the next issue needs nothing new.
 */
import { JSONPath } from 'jsonpath-plus';
import type { ResourceDefinition, ResourceRegistry } from './registry.js';
import { timestamp, type ObjectStore } from './store.js';
import { AGE_COLUMN, NAME_COLUMN, age, type TableColumn, type TablePrinter } from './table.js';
import { structuralAdmission, type Schema } from './crd-schema.js';
import type { KubeObject } from '../../lib/kube/object.js';

interface PrinterColumn { name: string; type: string; jsonPath: string; description?: string; priority?: number; format?: string }
interface CrdVersion {
  name: string; served?: boolean; storage?: boolean; additionalPrinterColumns?: PrinterColumn[]; subresources?: { status?: object };
  schema?: { openAPIV3Schema?: Schema };
}
interface CrdSpec {
  group: string;
  scope: 'Namespaced' | 'Cluster';
  names: { plural: string; singular?: string; kind: string; shortNames?: string[]; categories?: string[] };
  versions: CrdVersion[];
}

/**
 * A kubectl-style JSONPath (`.status.conditions[?(@.type=='Ready')].status`, with `\.` for a dot
 * inside a key) as jsonpath-plus reads it (`$.status.conditions[?(@.type=='Ready')].status`).
 */
export function toJsonPath(path: string): string {
  const segments: string[] = [];
  let current = '';
  let depth = 0;
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c === '\\' && path[i + 1] === '.') {
      current += '\\.';
      i++;
    } else if (c === '.' && depth === 0) {
      if (current) segments.push(current);
      current = '';
    } else {
      if (c === '[') depth++;
      if (c === ']') depth--;
      current += c;
    }
  }
  if (current) segments.push(current);
  return '$' + segments.map((s) => {
    const bracket = s.indexOf('[');
    const key = bracket < 0 ? s : s.slice(0, bracket);
    const rest = (bracket < 0 ? '' : s.slice(bracket)).replace(/\\\./g, '.');
    const plain = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key);
    return `${key === '' ? '' : plain ? `.${key}` : `[${JSON.stringify(key.replace(/\\\./g, '.'))}]`}${rest}`;
  }).join('');
}

/** The first value a column's path finds in the object, or null (kubectl prints `<none>`). */
function columnValue(object: KubeObject, path: string): unknown {
  const found = JSONPath({ path, json: object, wrap: true }) as unknown[];
  return found.length ? found[0] : null;
}

/** A printer from a version's additionalPrinterColumns; without any, NAME and AGE. */
export function crdPrinter(columns: readonly PrinterColumn[] | undefined): TablePrinter {
  if (!columns?.length) return { columns: [NAME_COLUMN, AGE_COLUMN], cells: (o, now) => [o.metadata.name, age(o.metadata.creationTimestamp, now)] };
  const paths = columns.map((c) => toJsonPath(c.jsonPath));
  const defs: TableColumn[] = [NAME_COLUMN, ...columns.map((c) => ({
    name: c.name, type: c.type === 'date' ? 'date' : c.type, format: c.format ?? '', description: c.description ?? '', priority: c.priority ?? 0,
  }))];
  return {
    columns: defs,
    cells: (o, now) => [o.metadata.name, ...columns.map((c, i) => {
      const v = columnValue(o, paths[i]!);
      if (v === null || v === undefined) return null;
      if (c.type === 'date') return age(String(v), now);
      if (c.type === 'integer' || c.type === 'number') return typeof v === 'number' ? v : Number(v);
      if (c.type === 'boolean') return Boolean(v);
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
    })],
  };
}

/** The storage version of a CRD (the one served and stored), or the first served one. */
export function storageVersion(crd: KubeObject): CrdVersion | undefined {
  const spec = crd.spec as CrdSpec;
  return spec.versions.find((v) => v.storage && v.served !== false) ?? spec.versions.find((v) => v.served !== false);
}

/** The resource a CRD defines, on the given store. */
export function crdResource(crd: KubeObject, store: ObjectStore): ResourceDefinition {
  const spec = crd.spec as CrdSpec;
  const version = storageVersion(crd)!;
  const schema = version.schema?.openAPIV3Schema;
  return {
    group: spec.group,
    version: version.name,
    resource: spec.names.plural,
    singularName: spec.names.singular ?? spec.names.kind.toLowerCase(),
    kind: spec.names.kind,
    namespaced: spec.scope === 'Namespaced',
    shortNames: spec.names.shortNames,
    categories: spec.names.categories,
    verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'],
    store,
    printer: crdPrinter(version.additionalPrinterColumns),
    statusSubresource: version.subresources?.status !== undefined,
    // Knative's own kinds are checked by the webhook against fuller schemas than their CRDs carry
    // (lib/manifests/schemas), so only other CRDs are shaped by their structural schema here.
    ...(schema && !spec.group.endsWith('knative.dev') ? { shape: structuralAdmission(spec.names.kind, spec.group, schema) } : {}),
  };
}

/**
 * Serves what the CRDs in the registry's CustomResourceDefinition store define, as they are
 * written: a CRD added or changed serves its resource (on a store kept across its updates) and
 * is marked Established; a CRD deleted stops serving it.
 */
export function serveCustomResources(registry: ResourceRegistry, newStore: () => ObjectStore, now: () => Date): void {
  const crds = registry.forKind('apiextensions.k8s.io/v1', 'CustomResourceDefinition')!.store!;
  const stores = new Map<string, ObjectStore>();
  crds.watch(undefined, ({ type, object: crd }) => {
    const key = crd.metadata.name;
    for (const r of registry.all().filter((x) => x.crd === key)) registry.remove(r.group, r.version, r.resource);
    if (type === 'DELETED') {
      stores.delete(key);
      return;
    }
    const store = stores.get(key) ?? newStore();
    stores.set(key, store);
    registry.add({ ...crdResource(crd, store), crd: key });
    const established = (crd.status as { conditions?: { type: string }[] } | undefined)?.conditions?.some((c) => c.type === 'Established');
    if (established) return;
    const at = timestamp(now());
    const condition = (t: string, reason: string) => ({ type: t, status: 'True', reason, message: '', lastTransitionTime: at });
    // After this change has reached every watcher, not in the middle of its delivery.
    queueMicrotask(() => crds.put({ ...crd, status: {
      conditions: [condition('NamesAccepted', 'NoConflicts'), condition('Established', 'InitialNamesAccepted')],
      acceptedNames: (crd.spec as { names: unknown }).names, storedVersions: [storageVersion(crd)?.name],
    } }));
  });
}
