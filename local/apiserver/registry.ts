/**
 * The resources the server serves, keyed by group, version and plural name, each with its store,
 * its printer and its selectable fields. Discovery, routing and authorization all read this one
 * registry, so adding a resource (Knative Services, a CRD's objects) is one `add` call.
 */
import type { ShapeOptions } from './crd-schema.js';
import { ObjectStore } from './store.js';
import { DEFAULT_PRINTER, type TablePrinter } from './table.js';
import type { PodLogs } from './pod-logs.js';
import type { KubeObject } from '../../lib/kube/object.js';

/** The verbs of a resource, as discovery lists them and RBAC grants them. */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** What happens to an object on a write, for admission to check or change. */
export interface WriteRequest { operation: 'CREATE' | 'UPDATE' | 'DELETE'; object?: KubeObject; oldObject?: KubeObject; namespace: string; user: string }

/** One served resource (an APIResource in discovery). */
export interface ResourceDefinition {
  group: string;
  version: string;
  /** The plural, lower-case name used in URLs and RBAC rules, e.g. `pods`. */
  resource: string;
  singularName: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  /** The verbs served; any other verb on this resource is answered 405 MethodNotAllowed. */
  verbs: Verb[];
  /** Where the objects live; absent for virtual resources answered by `create` alone (reviews). */
  store?: ObjectStore;
  /** Field selectors beyond `metadata.name` and `metadata.namespace`: key → the object's value. */
  selectableFields?: Record<string, (o: KubeObject) => string>;
  printer?: TablePrinter;
  /**
   * The schema's part of admission, for custom resources: prune, default, validate (throws a 422).
   * Runs on every write, the runtime's own included; `opts` carries the request's fieldValidation.
   */
  shape?: (object: KubeObject, old?: KubeObject, opts?: ShapeOptions) => KubeObject;
  /** Output kept per object for a `log` subresource (pods). */
  logs?: PodLogs;
  /**
   * A delete that its owner carries out instead of the store (a pod: its process is stopped and
   * the object goes when it has exited); returns the object as it is now, or undefined if absent.
   */
  remove?: (namespace: string | undefined, name: string) => KubeObject | undefined;
  /** The CustomResourceDefinition serving it, for a custom resource. */
  crd?: string;
  /** Has a `status` subresource: the main resource keeps `.status` as stored, `/status` changes only it. */
  statusSubresource?: boolean;
  /**
   * Admission for writes: may change the object (defaulting) and throws an ApiError to refuse it
   * (validation), as mutating and validating webhooks do.
   */
  admit?: (req: WriteRequest) => KubeObject | void | Promise<KubeObject | void>;
  /** Answers a create without storing (e.g. SelfSubjectAccessReview). */
  create?: (body: KubeObject, ctx: { user: { name: string; groups: readonly string[] }; namespace: string }) => KubeObject | Promise<KubeObject>;
}

/** A resource as the server uses it: the definition plus what is derived from it. */
export interface Resource extends ResourceDefinition {
  apiVersion: string;
  printer: TablePrinter;
  /** All field selector keys this resource answers. */
  fieldKeys: string[];
}

/** Every selectable field of an object of this resource. */
export function fieldsOf(r: Resource, o: KubeObject): Record<string, string> {
  const out: Record<string, string> = { 'metadata.name': o.metadata.name, 'metadata.namespace': o.metadata.namespace ?? '' };
  for (const [k, get] of Object.entries(r.selectableFields ?? {})) out[k] = get(o);
  return out;
}

/** The registry: resources by `<group>/<version>/<resource>`. */
export class ResourceRegistry {
  private readonly byKey = new Map<string, Resource>();

  /** Serves a resource; a second definition for the same group/version/resource replaces the first. */
  add(def: ResourceDefinition): Resource {
    const r: Resource = {
      ...def,
      apiVersion: def.group ? `${def.group}/${def.version}` : def.version,
      printer: def.printer ?? DEFAULT_PRINTER,
      fieldKeys: ['metadata.name', 'metadata.namespace', ...Object.keys(def.selectableFields ?? {})],
    };
    this.byKey.set(`${def.group}/${def.version}/${def.resource}`, r);
    return r;
  }

  /** Stops serving a resource (its CRD was deleted). */
  remove(group: string, version: string, resource: string): void {
    this.byKey.delete(`${group}/${version}/${resource}`);
  }

  find(group: string, version: string, resource: string): Resource | undefined {
    return this.byKey.get(`${group}/${version}/${resource}`);
  }

  all(): Resource[] { return [...this.byKey.values()]; }

  /** The resource serving objects of this apiVersion and kind, if any. */
  forKind(apiVersion: string, kind: string): Resource | undefined {
    return this.all().find((r) => r.apiVersion === apiVersion && r.kind === kind);
  }

  /** The groups served under /apis (the core group '' is under /api), with their versions. */
  groups(): { name: string; versions: string[] }[] {
    const out = new Map<string, Set<string>>();
    for (const r of this.byKey.values()) if (r.group) (out.get(r.group) ?? out.set(r.group, new Set()).get(r.group)!).add(r.version);
    return [...out].map(([name, v]) => ({ name, versions: [...v] }));
  }
}
