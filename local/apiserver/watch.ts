/**
 * Watch over HTTP: newline-delimited `{"type":…,"object":…}` events on a chunked 200 answer, from
 * a resourceVersion or from a synthetic ADDED per existing object, filtered by namespace and
 * selectors the way Kubernetes' watch cache filters them, until `timeoutSeconds` or the server closes.
 */
import type { ServerResponse } from 'node:http';
import type { Change, ObjectStore } from './store.js';
import { ApiError } from './status.js';
import type { KubeObject } from '../../lib/kube/object.js';

/** An event as sent on the wire. */
export interface WatchEvent { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'ERROR' | 'BOOKMARK'; object: unknown }

/**
 * What a watcher with a filter sees of a change: an object entering its selection is ADDED, one
 * leaving it is DELETED (with its previous state at the change's resourceVersion), as in Kubernetes.
 */
export function filterChange(c: Change, matches: (o: KubeObject) => boolean): { type: WatchEvent['type']; object: KubeObject } | undefined {
  if (c.type !== 'MODIFIED') return matches(c.object) ? { type: c.type, object: c.object } : undefined;
  const now = matches(c.object);
  const before = c.previous ? matches(c.previous) : false;
  if (now) return { type: before ? 'MODIFIED' : 'ADDED', object: c.object };
  if (!before) return undefined;
  const gone = structuredClone(c.previous!);
  gone.metadata.resourceVersion = String(c.rv);
  return { type: 'DELETED', object: gone };
}

/**
 * What a slow watcher may leave unread before it is dropped: its stream is ended (it relists and
 * watches again, as after the watch cache drops it), so the server holds at most this plus one
 * event for it, and nothing more once the socket has taken the rest.
 */
export const DEFAULT_WATCH_BUFFER = 8 * 1024 * 1024;

/** The watches a server has open, so closing the server ends them. */
export class WatchSet {
  private readonly open = new Set<() => void>();
  add(end: () => void): () => void {
    this.open.add(end);
    return () => this.open.delete(end);
  }
  /** Ends every open watch. */
  closeAll(): void {
    for (const end of [...this.open]) end();
  }
  get size(): number { return this.open.size; }
}

/**
 * Streams a watch to `res`. A resourceVersion older than the store's history is answered as
 * Kubernetes does once a watch is accepted: 200 with one ERROR event carrying the 410 Expired
 * Status, which is what informers look for to relist.
 */
export function serveWatch(res: ServerResponse, opts: {
  store: ObjectStore;
  fromRv: number | undefined;
  matches: (o: KubeObject) => boolean;
  encode: (type: WatchEvent['type'], o: KubeObject) => unknown;
  timeoutSeconds: number;
  watches: WatchSet;
  /** Bytes a watcher may leave unread before it is dropped (it relists), as the watch cache drops slow watchers. */
  maxBufferBytes?: number;
}): void {
  const limit = opts.maxBufferBytes ?? DEFAULT_WATCH_BUFFER;
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  const send = (e: WatchEvent) => { if (!res.writableEnded) res.write(`${JSON.stringify(e)}\n`); };
  const emit = (c: Change) => {
    const out = filterChange(c, opts.matches);
    if (!out) return;
    send({ type: out.type, object: opts.encode(out.type, out.object) });
    // A watcher that does not read would make the server hold every later change for it.
    if (res.writableLength > limit) end();
  };
  let started: { backlog: Change[]; stop: () => void };
  try {
    started = opts.store.watch(opts.fromRv, emit);
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    send({ type: 'ERROR', object: e.toStatus() });
    res.end();
    return;
  }
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    clearTimeout(timer);
    started.stop();
    forget();
    if (!res.writableEnded) res.end();
  };
  const timer = setTimeout(end, opts.timeoutSeconds * 1000);
  const forget = opts.watches.add(end);
  res.on('close', end);
  for (const c of started.backlog) {
    if (ended) break;
    emit(c);
  }
}
