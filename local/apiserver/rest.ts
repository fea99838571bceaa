/**
 * The generic REST handlers of a registered resource: get, list, watch, create, update, merge
 * patch, delete and deletecollection over its store, with selectors, Tables and admission. A
 * resource only declares which verbs it serves; the rest is the same for every resource.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestInfo } from './request-info.js';
import type { UserInfo } from './rbac.js';
import { fieldsOf, type Resource, type Verb, type WriteRequest } from './registry.js';
import { checkFieldKeys, matchFields, matchLabels, parseFieldSelector, parseLabelSelector } from './selectors.js';
import { ApiError, errors } from './status.js';
import { timestamp } from './store.js';
import { partialMetadata, toTable, type IncludeObject } from './table.js';
import type { Output } from './negotiate.js';
import { decodeProtobufObject } from './protobuf.js';
import { serveWatch, type WatchSet } from './watch.js';
import { serveLog } from './log-subresource.js';
import { PATCH_TYPES, patched } from './patch.js';
import { admit } from './write-admission.js';
import { conflict, invalid, mainOnly, statusOnly, unchanged } from './write-rules.js';
import type { PolicyOutcome, PolicyRequest } from './admission-policy.js';
import type { KubeObject } from '../../lib/kube/object.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../lib/json-depth.js';

/** Everything a handler needs about one request. */
export interface RestRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  info: RequestInfo;
  user: UserInfo;
  resource: Resource;
  output: Output;
  now: () => Date;
  watches: WatchSet;
  /** Watches without `timeoutSeconds` end after this long, as the API server's request timeout. */
  defaultWatchSeconds: number;
  /** Unread bytes after which a slow watcher is dropped. */
  watchBufferBytes?: number;
  /** Admission for every resource after its own (validating webhooks); throws an ApiError to refuse. */
  webhook?: (req: WriteRequest) => KubeObject | void | Promise<KubeObject | void>;
  /** ValidatingAdmissionPolicies, last: throws the refusal, or returns warnings. */
  policies?: (req: PolicyRequest) => PolicyOutcome;
}

/** The largest request body accepted, as the API server's limit. */
const MAX_BODY = 3 * 1024 * 1024;

/** Sends a JSON body. */
export function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Reads a JSON object body (a 400 names what is wrong with it); `array` lets a JSON patch through. */
async function readBody(req: IncomingMessage, opts: { array?: boolean } = {}): Promise<KubeObject> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
    chunks.push(c);
  }
  const raw = Buffer.concat(chunks);
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (type === 'application/vnd.kubernetes.protobuf') return decodeProtobufObject(raw);
  const text = raw.toString('utf8');
  // Every walk over the object (schemas, CEL, copies) recurses: refuse what would overflow the stack.
  if (nestsDeeperThan(text)) throw errors.badRequest(`the body of the request is nested deeper than ${MAX_JSON_DEPTH} levels`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw errors.badRequest(`the body of the request is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof body !== 'object' || body === null || (Array.isArray(body) && !opts.array)) throw errors.badRequest('the body of the request must be a JSON object');
  return body as KubeObject;
}

/** The predicate of a list or watch: namespace, label selector, field selector (400 if malformed). */
function selection(r: RestRequest): (o: KubeObject) => boolean {
  const labels = parseLabelSelector(r.url.searchParams.get('labelSelector') ?? '');
  const fields = parseFieldSelector(r.url.searchParams.get('fieldSelector') ?? '');
  checkFieldKeys(fields, r.resource.fieldKeys);
  // A legacy `/watch/…/<name>` watches one object.
  if (r.info.pathName) fields.push({ key: 'metadata.name', op: '=', value: r.info.pathName });
  const ns = r.info.namespace;
  return (o) => (!ns || o.metadata.namespace === ns) && matchLabels(labels, o.metadata.labels) && matchFields(fields, fieldsOf(r.resource, o));
}

const includeObject = (url: URL): IncludeObject => {
  const v = url.searchParams.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
};

/** One object in the negotiated shape. */
function encodeOne(r: RestRequest, o: KubeObject, opts: { watch?: boolean } = {}): unknown {
  switch (r.output.as) {
    case 'json': return o;
    case 'PartialObjectMetadata': return { ...partialMetadata(o), apiVersion: r.output.apiVersion };
    case 'Table': return toTable(r.resource.printer, [o], { apiVersion: r.output.apiVersion, now: r.now(), include: includeObject(r.url), noHeaders: opts.watch && r.url.searchParams.get('noHeaders') === 'true' });
  }
}

/** A list in the negotiated shape, at the snapshot's resourceVersion. */
function encodeList(r: RestRequest, items: KubeObject[], resourceVersion: number): unknown {
  const rv = String(resourceVersion);
  switch (r.output.as) {
    case 'json': return { kind: `${r.resource.kind}List`, apiVersion: r.resource.apiVersion, metadata: { resourceVersion: rv }, items };
    case 'PartialObjectMetadata': {
      const apiVersion = r.output.apiVersion;
      return { kind: 'PartialObjectMetadataList', apiVersion, metadata: { resourceVersion: rv }, items: items.map((o) => ({ ...partialMetadata(o), apiVersion })) };
    }
    case 'Table': return toTable(r.resource.printer, items, { apiVersion: r.output.apiVersion, now: r.now(), include: includeObject(r.url), resourceVersion: rv });
  }
}

/** Node's timers hold at most 2^31-1 ms; a longer one fires at once. */
const MAX_WATCH_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** A watch's timeoutSeconds: a whole number of seconds, or the server's default when absent or 0. */
function parseTimeout(v: string | null, fallback: number): number {
  if (v === null || v === '') return fallback;
  if (!/^\d+$/.test(v)) throw errors.badRequest(`timeoutSeconds: Invalid value: "${v.slice(0, 40)}": must be a non-negative integer`);
  const t = Number(v);
  return t > 0 ? Math.min(t, MAX_WATCH_SECONDS) : fallback;
}

/** A resourceVersion query parameter as a number; '' means none. */
function parseRv(v: string | null): number | undefined {
  if (v === null || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw errors.badRequest(`resourceVersion: Invalid value: "${v}": must be a non-negative integer`);
  return Number(v);
}

/** Serves one request on a registered resource, after authentication and authorization. */
export async function serveResource(r: RestRequest): Promise<void> {
  const { info, resource } = r;
  const verb = info.verb as Verb;
  if (!resource.verbs.includes(verb)) throw errors.methodNotAllowed();
  const status = info.subresource === 'status';
  const log = info.subresource === 'log' && resource.logs !== undefined && verb === 'get';
  if (info.subresource && !log && !(status && resource.statusSubresource && ['get', 'update', 'patch'].includes(verb))) throw errors.noRoute();
  // A cluster-scoped resource has no namespace; a namespaced one needs one except to list or watch.
  // `/api/v1/namespaces/<name>` names a Namespace by its own namespace segment, as in Kubernetes.
  const namespaceItself = resource.group === '' && resource.resource === 'namespaces' && info.name === info.namespace;
  if (!resource.namespaced && info.namespace && !namespaceItself) throw errors.noRoute();
  if (resource.namespaced && !info.namespace && !['list', 'watch', 'create'].includes(verb)) throw errors.noRoute();

  if (verb === 'create' && resource.create) {
    return sendJson(r.res, 201, await resource.create(await readBody(r.req), { user: r.user, namespace: info.namespace }));
  }
  const store = resource.store;
  if (!store) throw errors.methodNotAllowed();
  const ns = resource.namespaced && info.namespace ? info.namespace : undefined;
  const name = info.pathName;

  if (log) return serveLog(r.res, r.url, name, store.get(ns, name) !== undefined, resource.logs!, r.now());
  switch (verb) {
    case 'get': {
      const o = store.get(ns, name);
      if (!o) throw errors.notFound(resource.group, resource.resource, name);
      return sendJson(r.res, 200, encodeOne(r, o));
    }
    case 'list': {
      const matches = selection(r);
      const { items, resourceVersion } = store.list(ns, matches);
      return sendJson(r.res, 200, encodeList(r, items, resourceVersion));
    }
    case 'watch': {
      const matches = selection(r);
      const timeoutSeconds = parseTimeout(r.url.searchParams.get('timeoutSeconds'), r.defaultWatchSeconds);
      return serveWatch(r.res, {
        store, matches, watches: r.watches,
        fromRv: parseRv(r.url.searchParams.get('resourceVersion')),
        timeoutSeconds,
        encode: (_type, o) => encodeOne(r, o, { watch: true }),
        maxBufferBytes: r.watchBufferBytes,
      });
    }
    case 'create': {
      if (resource.namespaced && !info.namespace) throw errors.noRoute();
      const body = await readBody(r.req);
      checkKind(r, body);
      const meta = body.metadata ?? ({} as KubeObject['metadata']);
      if (!meta.name && typeof meta.generateName === 'string') meta.name = `${meta.generateName}${randomBytes(4).toString('hex').slice(0, 5)}`;
      if (!meta.name) throw invalid(resource, '', 'metadata.name', 'name or generateName is required');
      if (meta.namespace && ns && meta.namespace !== ns) throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      if (store.get(ns, meta.name)) throw errors.alreadyExists(resource.group, resource.resource, meta.name);
      const obj: KubeObject = { ...body, metadata: { ...meta, namespace: ns, uid: randomUUID(), creationTimestamp: timestamp(r.now()), resourceVersion: undefined, generation: 1 } };
      if (!resource.namespaced) delete obj.metadata.namespace;
      // With a status subresource, status is the controllers' to write, not the creator's.
      if (resource.statusSubresource) delete obj.status;
      const admitted = (await admit(r, { operation: 'CREATE', object: obj, namespace: info.namespace, user: r.user.name })) ?? obj;
      return sendJson(r.res, 201, store.put(admitted));
    }
    case 'update':
    case 'patch': {
      const type = (r.req.headers['content-type'] ?? '').split(';')[0]!.trim();
      if (verb === 'patch' && !PATCH_TYPES.includes(type)) throw errors.unsupportedMediaType(type);
      const body = await readBody(r.req, { array: type === 'application/json-patch+json' });
      if (verb === 'update') checkKind(r, body);
      // Read, change, admit, then write only if nobody wrote in between (admission may wait): a
      // stale update is a Conflict; a patch is applied again to the newer object, as the API
      // server's GuaranteedUpdate does.
      for (let attempt = 0; ; attempt++) {
        const old = store.get(ns, name);
        if (!old) throw errors.notFound(resource.group, resource.resource, name);
        const next = verb === 'update' ? structuredClone(body) : patched(type, old, body, !resource.crd);
        if (next.metadata?.name !== name) throw errors.badRequest(`the name of the object (${next.metadata?.name}) does not match the name on the URL (${name})`);
        const rv = next.metadata.resourceVersion;
        if (rv && rv !== old.metadata.resourceVersion) throw conflict(resource, name);
        const written = status ? statusOnly(old, next) : mainOnly(resource, old, next);
        const admitted = (await admit(r, { operation: 'UPDATE', object: written, oldObject: old, namespace: info.namespace, user: r.user.name })) ?? written;
        // A write that changes nothing is not a write: no new resourceVersion, no watch event
        // (kubectl then says "(no change)"), as the API server skips a no-op update.
        if (unchanged(old, admitted)) return sendJson(r.res, 200, old);
        if (store.get(ns, name)?.metadata.resourceVersion === old.metadata.resourceVersion) return sendJson(r.res, 200, store.put(admitted));
        if (rv || attempt >= 4) throw conflict(resource, name);
      }
    }
    case 'delete': {
      const old = store.get(ns, name);
      if (!old) throw errors.notFound(resource.group, resource.resource, name);
      if (resource.remove) {
        const now = resource.remove(ns, name);
        if (!now) throw errors.notFound(resource.group, resource.resource, name);
        return sendJson(r.res, 200, now);
      }
      await admit(r, { operation: 'DELETE', oldObject: old, namespace: info.namespace, user: r.user.name });
      return sendJson(r.res, 200, store.delete(ns, name));
    }
    case 'deletecollection': {
      const matches = selection(r);
      const gone: KubeObject[] = [];
      for (const o of store.list(ns).items.filter(matches)) {
        await admit(r, { operation: 'DELETE', oldObject: o, namespace: info.namespace, user: r.user.name });
        const d = store.delete(o.metadata.namespace, o.metadata.name);
        if (d) gone.push(d);
      }
      return sendJson(r.res, 200, { kind: `${resource.kind}List`, apiVersion: resource.apiVersion, metadata: { resourceVersion: String(store.counter.current()) }, items: gone });
    }
  }
}

/** A body must be of the resource's kind and apiVersion. */
function checkKind(r: RestRequest, body: KubeObject): void {
  if (body.kind !== r.resource.kind || body.apiVersion !== r.resource.apiVersion) {
    throw errors.badRequest(`the API version in the data (${body.apiVersion}) and kind (${body.kind}) do not match the resource ${r.resource.apiVersion}, Kind=${r.resource.kind}`);
  }
}

