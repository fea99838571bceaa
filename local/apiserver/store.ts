/**
 * The objects of one resource, versioned by a resourceVersion counter shared by every resource of
 * the server (as etcd's revision is), with a bounded history of changes so a watch can resume
 * from a resourceVersion it was given, or learn with 410 Expired that it must list again.
 */
import { errors } from './status.js';
import type { KubeObject } from '../../lib/kube/object.js';

/** metav1.Time as it serializes: RFC 3339 in whole seconds. */
export const timestamp = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/**
 * One change, at resourceVersion `rv`. `previous` is the object before a MODIFIED, so a watcher
 * with a selector can turn a change that moves an object in or out of its selection into ADDED or
 * DELETED, as Kubernetes' watch cache does.
 */
export interface Change { type: ChangeType; object: KubeObject; previous?: KubeObject; rv: number }

/** The resourceVersion counter one server's stores share. */
export class ResourceVersionCounter {
  private n = 0;
  /** The latest resourceVersion handed out. */
  current(): number { return this.n; }
  next(): number { return ++this.n; }
}

const keyOf = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;

/** Deep copies, so callers never share (and mutate) the stored object. */
const copy = <T>(o: T): T => structuredClone(o);

/** The objects of one resource plus their recent history; single-threaded, so no locks. */
export class ObjectStore {
  private readonly objects = new Map<string, KubeObject>();
  private readonly history: Change[] = [];
  /** Highest resourceVersion dropped from history: a watch must start at or after it. */
  private floor = 0;
  private readonly listeners = new Set<(c: Change) => void>();

  constructor(readonly counter: ResourceVersionCounter, readonly historySize = 1000) {}

  get(namespace: string | undefined, name: string): KubeObject | undefined {
    const o = this.objects.get(keyOf(namespace, name));
    return o && copy(o);
  }

  /**
   * All objects (of one namespace if given, and those `matches` keeps), in key order as etcd
   * returns them (byte order of namespace/name), with the resourceVersion of the snapshot. Only
   * what is kept is copied: a selector that keeps 5 of 1,000 pods copies 5.
   */
  list(namespace?: string, matches: (o: KubeObject) => boolean = () => true): { items: KubeObject[]; resourceVersion: number } {
    const kept: Array<[string, KubeObject]> = [];
    for (const [key, o] of this.objects) if ((namespace === undefined || o.metadata.namespace === namespace) && matches(o)) kept.push([key, o]);
    kept.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return { items: kept.map(([, o]) => copy(o)), resourceVersion: this.counter.current() };
  }

  /** Creates or replaces an object; stamps a new resourceVersion and returns the stored copy. */
  put(object: KubeObject): KubeObject {
    const key = keyOf(object.metadata.namespace, object.metadata.name);
    const previous = this.objects.get(key);
    const rv = this.counter.next();
    const stored = copy(object);
    stored.metadata.resourceVersion = String(rv);
    this.objects.set(key, stored);
    this.record({ type: previous ? 'MODIFIED' : 'ADDED', object: stored, previous, rv });
    return copy(stored);
  }

  /** Removes an object; the DELETED event carries its last state at the deletion's resourceVersion. */
  delete(namespace: string | undefined, name: string): KubeObject | undefined {
    const key = keyOf(namespace, name);
    const previous = this.objects.get(key);
    if (!previous) return undefined;
    this.objects.delete(key);
    const rv = this.counter.next();
    const last = copy(previous);
    last.metadata.resourceVersion = String(rv);
    this.record({ type: 'DELETED', object: last, previous, rv });
    return copy(last);
  }

  private record(change: Change): void {
    this.history.push(change);
    while (this.history.length > this.historySize) this.floor = this.history.shift()!.rv;
    for (const l of [...this.listeners]) l(change);
  }

  /**
   * Starts a watch. Without a resourceVersion (or with "0") it begins with a synthetic ADDED for
   * every current object; from resourceVersion N it replays the kept changes after N, or throws
   * 410 Expired when some of them are no longer kept. Then `onChange` gets every later change,
   * until the returned function is called.
   */
  watch(fromRv: number | undefined, onChange: (c: Change) => void): { backlog: Change[]; stop: () => void } {
    let backlog: Change[];
    if (fromRv === undefined || fromRv === 0) {
      backlog = [...this.objects.values()].map((o) => ({ type: 'ADDED' as const, object: copy(o), rv: Number(o.metadata.resourceVersion) }));
    } else {
      if (fromRv < this.floor) throw errors.expired(`too old resource version: ${fromRv} (${this.floor})`);
      backlog = this.history.filter((c) => c.rv > fromRv).map((c) => copy(c));
    }
    // Registered in the same tick as the backlog was read: no change can fall in between.
    const listener = (c: Change) => onChange(copy(c));
    this.listeners.add(listener);
    return { backlog, stop: () => this.listeners.delete(listener) };
  }
}
