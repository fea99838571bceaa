/**
 * The local Kubernetes API server: plain HTTP, bearer tokens, the manifests' RBAC, discovery,
 * and the registry's resources (pods, the built-in kinds, and every CRD applied), so clients written for a
 * cluster (@kubernetes/client-node, kubectl) work unchanged against the local runtime.
 */
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { selfSignedCertificate } from './certificate.js';
import type { ShapeOptions } from './crd-schema.js';
import { admitByPolicies, registrySource, type PolicyOutcome, type PolicyRequest } from './admission-policy.js';
import { listenDual, type DualListener } from './listener.js';
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from '../../lib/log.js';
import type { PodEvent, PodRecord } from '../types.js';
import { accessReviewResources } from './access-review.js';
import { builtinResources } from './builtin.js';
import { serveCustomResources } from './crd.js';
import { openApiDocument, openApiRoot } from './openapi.js';
import { TokenAuthenticator } from './auth.js';
import { groupsOf, impersonated } from './impersonation.js';
import { apiGroupDoc, apiGroupList, apiResourceList, apiVersions, SERVER_VERSION } from './discovery.js';
import { writeKubeconfigFiles, type KubeconfigPaths } from './kubeconfig.js';
import { negotiate } from './negotiate.js';
import { podObject, podsResource } from './pods.js';
import { PodLogs } from './pod-logs.js';
import { eventRecorder, type RecordEvent } from './events.js';
import { authorize, buildPolicy, forbiddenMessage, type RbacPolicy, type RequestAttributes, type UserInfo } from './rbac.js';
import { ResourceRegistry, type Resource, type WriteRequest } from './registry.js';
import { requestInfo, type RequestInfo } from './request-info.js';
import { nextGeneration, sendJson, serveResource } from './rest.js';
import { mergePatch } from './patch.js';
import { ApiError, errors } from './status.js';
import { ObjectStore, ResourceVersionCounter, timestamp } from './store.js';
import { WatchSet } from './watch.js';
import type { KubeObject } from '../../lib/kube/object.js';

/** The identity of a request without credentials; only public paths let it through. */
const ANONYMOUS: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'] };

/** Options of a LocalApiServer; all have defaults. */
export interface LocalApiServerOptions {
  log?: Logger;
  /** Changes kept per resource for watches to resume from (older → 410 Expired). Default 1000. */
  historySize?: number;
  /** Seconds a watch without `timeoutSeconds` stays open. Default 1800, the API server's minimum request timeout. */
  watchTimeoutSeconds?: number;
  /** The clock for timestamps and ages; tests may fix it. */
  now?: () => Date;
  /** Unread bytes after which a slow watcher is dropped (default 8 MiB). */
  watchBufferBytes?: number;
  /** Mutating admission: fills in defaults, on every write and on the runtime's own applies. */
  defaulter?: <T extends KubeObject | KubeObject>(object: T) => T;
  /** Validating admission for writes to every resource (the runtime passes Knative's webhook rules). */
  webhook?: (req: WriteRequest) => KubeObject | void | Promise<KubeObject | void>;
}

/** The ServiceAccounts to write kubeconfigs for, and where. */
export interface WriteKubeconfigsOptions {
  dataDir: string;
  /** The plain-HTTP URL; defaults to the one the server listens on. The admin's is its https:// twin. */
  serverUrl?: string;
  serviceAccounts: readonly { namespace: string; name: string }[];
  /** The admin kubeconfig's namespace. Default `pingpong`. */
  namespace?: string;
}

/** A local API server; see the file comment. */
export class LocalApiServer {
  /** The served resources: add one to serve it (the next resources go here). */
  readonly registry = new ResourceRegistry();
  /** The resourceVersion counter every store of this server shares. */
  readonly counter = new ResourceVersionCounter();
  /** The runtime's pods as v1 Pods. */
  readonly pods: ObjectStore;
  /** The pods' output, for `kubectl logs`: the runtime appends each line. */
  readonly podLogs = new PodLogs();
  /** Records a core v1 Event (aggregated with an identical earlier one). */
  readonly recordEvent: RecordEvent;
  /** Stops a pod for `kubectl delete pod`; true when there was one. Set by the runtime. */
  podRemover?: (namespace: string, name: string) => boolean;

  private readonly log?: Logger;
  private readonly now: () => Date;
  private readonly watchSeconds: number;
  private readonly tokens = new TokenAuthenticator();
  private readonly watches = new WatchSet();
  private policy: RbacPolicy = buildPolicy([]);
  private listener?: DualListener;
  private hostPort?: string;
  private certPem?: string;
  private readonly historySize: number;
  private readonly watchBufferBytes?: number;
  private readonly defaulter: <T extends KubeObject | KubeObject>(object: T) => T;
  private readonly webhook?: LocalApiServerOptions['webhook'];

  constructor(opts: LocalApiServerOptions = {}) {
    this.log = opts.log;
    this.now = opts.now ?? (() => new Date());
    this.watchSeconds = opts.watchTimeoutSeconds ?? 1800;
    this.historySize = opts.historySize ?? 1000;
    this.watchBufferBytes = opts.watchBufferBytes;
    // A refusal is also an Event on the object, so `kubectl get events` tells it afterwards.
    this.defaulter = opts.defaulter ?? ((o) => o);
    const validate = opts.webhook;
    this.webhook = (validate || opts.defaulter) && (async (req) => {
      const defaulted = req.object ? { ...req, object: this.defaulter(req.object) } : req;
      try {
        return (await validate?.(defaulted)) ?? defaulted.object;
      } catch (e) {
        if (e instanceof ApiError && req.object) {
          const o = req.object;
          this.recordEvent({ object: { apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace ?? 'default', name: o.metadata.name, uid: o.metadata.uid },
            type: 'Warning', reason: 'FailedAdmission', message: e.message });
        }
        throw e;
      }
    });
    this.pods = this.newStore();
    this.registry.add(podsResource(this.pods, this.podLogs, (ns, name) => {
      // Without a runtime attached nobody can stop a pod: refused as a read-only resource would be.
      if (!this.podRemover) throw errors.methodNotAllowed();
      return this.podRemover(ns ?? 'default', name) ? this.pods.get(ns, name) : undefined;
    }));
    for (const r of accessReviewResources(() => this.policy)) this.registry.add(r);
    for (const r of builtinResources(() => this.newStore())) this.registry.add(r);
    this.recordEvent = eventRecorder(this.registry.forKind('v1', 'Event')!.store!, this.now);
    serveCustomResources(this.registry, () => this.newStore(), this.now);
  }

  /**
   * Creates an object in-process, as `kubectl create` would but without a request: the runtime
   * writing its manifests. Returns false for a kind this server does not serve.
   */
  create(given: KubeObject): boolean {
    const object = this.defaulter(given);
    const resource = this.registry.forKind(object.apiVersion, object.kind);
    if (!resource?.store) return false;
    const ns = resource.namespaced ? object.metadata.namespace ?? 'default' : undefined;
    if (resource.store.get(ns, object.metadata.name)) throw errors.alreadyExists(resource.group, resource.resource, object.metadata.name);
    const { status: _status, ...rest } = object as KubeObject & { status?: unknown };
    const stored = { ...(resource.statusSubresource ? rest : object) } as KubeObject;
    const shaped = resource.shape ? resource.shape(stored, undefined, this.inProcess(object)) : stored;
    this.checkPolicies(resource, { ...shaped, metadata: { ...shaped.metadata, namespace: ns } });
    resource.store.put({ ...shaped, metadata: { ...object.metadata, namespace: ns, uid: randomUUID(), creationTimestamp: timestamp(this.now()), generation: 1 } });
    return true;
  }

  /**
   * An object kept from an earlier run, back with its identity (uid, creationTimestamp,
   * generation); its status is the controllers' to write again.
   */
  restore(object: KubeObject): boolean {
    const resource = this.registry.forKind(object.apiVersion, object.kind);
    if (!resource?.store) return false;
    const { status: _status, ...rest } = object;
    resource.store.put({ ...rest, metadata: { ...rest.metadata, resourceVersion: undefined } });
    return true;
  }

  /**
   * Applies a manifest over what is stored, as `kubectl apply` does to a live object: the fields
   * the file sets win, fields set only on the live object stay, a changed spec is a new
   * generation. Creates it when absent. False for a kind this server does not serve.
   */
  apply(given: KubeObject): boolean {
    const object = this.defaulter(given);
    const resource = this.registry.forKind(object.apiVersion, object.kind);
    if (!resource?.store) return false;
    const ns = resource.namespaced ? object.metadata.namespace ?? 'default' : undefined;
    const live = resource.store.get(ns, object.metadata.name);
    if (!live) return this.create(object);
    const patchedLive = mergePatch(live, { ...object, metadata: { ...object.metadata, namespace: ns } }) as KubeObject;
    const merged = resource.shape ? resource.shape(patchedLive, live, this.inProcess(object)) : patchedLive;
    if (isDeepStrictEqual(merged, live)) return true;
    this.checkPolicies(resource, merged, live);
    const generation = nextGeneration(live, merged);
    resource.store.put({ ...merged, status: live.status, metadata: { ...merged.metadata, uid: live.metadata.uid, creationTimestamp: live.metadata.creationTimestamp, generation } });
    return true;
  }

  /** ValidatingAdmissionPolicies over what this server holds, for requests and the runtime's own writes. */
  private readonly policies = (r: PolicyRequest): PolicyOutcome => admitByPolicies(r, registrySource(this.registry));

  /** The policies' verdict on an in-process write; a refusal throws, as it would for kubectl. */
  private checkPolicies(resource: Resource, object: KubeObject, old?: KubeObject): void {
    const { warnings } = this.policies({
      operation: old ? 'UPDATE' : 'CREATE', group: resource.group, version: resource.version, resource: resource.resource, kind: resource.kind,
      namespace: resource.namespaced ? object.metadata.namespace ?? 'default' : undefined, name: object.metadata.name, user: 'system:pingpong-runtime',
      object, ...(old ? { oldObject: old } : {}),
    });
    for (const w of warnings) this.log?.warn({ object: `${object.kind}/${object.metadata.name}` }, w);
  }

  /** The runtime's own writes (its manifests) prune an unknown field and log it, as Warn would. */
  private inProcess(object: KubeObject): ShapeOptions {
    return { fieldValidation: 'Warn', warn: (message) => this.log?.warn({ object: `${object.kind}/${object.metadata.name}` }, message) };
  }

  /** Whether the manifests' RBAC lets `user` do `verb` on a resource in a namespace (a SubjectAccessReview). */
  allowed(user: string, verb: string, group: string, resource: string, namespace: string): boolean {
    return authorize(this.policy, {
      user: { name: user, groups: groupsOf(user) }, verb, resourceRequest: true, apiGroup: group, resource, subresource: '', name: '', namespace, path: '',
    }).allowed;
  }

  /** The store of a served resource by group and plural (any version), for the runtime's controllers. */
  objects(group: string, resource: string): ObjectStore | undefined {
    return this.registry.all().find((r) => r.group === group && r.resource === resource)?.store;
  }

  /** A store on this server's resourceVersion counter, for a resource to be added to the registry. */
  newStore(): ObjectStore {
    return new ObjectStore(this.counter, this.historySize);
  }

  /** Starts listening; resolves to the URL, e.g. `http://127.0.0.1:6443`. Port 0 picks a free one. */
  async listen(port = 6443, host = '127.0.0.1'): Promise<string> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    const cert = await selfSignedCertificate(['127.0.0.1', '::1', 'localhost', host]);
    this.listener = await listenDual(server, { key: cert.keyPem, cert: cert.certPem }, port, host);
    this.certPem = cert.certPem;
    const addr = this.listener.address;
    this.hostPort = `${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
    this.log?.info({ url: this.url, secureUrl: this.secureUrl }, 'local API server listening');
    return this.url;
  }

  /** The plain-HTTP URL it listens on (after `listen`), e.g. `http://127.0.0.1:6443`. */
  get url(): string {
    return `http://${this.listening()}`;
  }

  /** The same port over TLS, e.g. `https://127.0.0.1:6443`: what kubectl must use to send its token. */
  get secureUrl(): string {
    return `https://${this.listening()}`;
  }

  /** The PEM certificate the TLS side serves; it is its own CA. */
  get certificate(): string {
    this.listening();
    return this.certPem!;
  }

  private listening(): string {
    if (!this.hostPort) throw new Error('the local API server is not listening yet');
    return this.hostPort;
  }

  /** Ends every watch and stops listening. */
  async close(): Promise<void> {
    this.watches.closeAll();
    const listener = this.listener;
    this.listener = undefined;
    await listener?.close();
  }

  /** Replaces the RBAC in force with the Roles, ClusterRoles, bindings and ServiceAccounts given. */
  setRbac(objects: readonly KubeObject[]): void {
    this.policy = buildPolicy(objects);
  }

  /**
   * Creates or updates the v1 Pod of a runtime pod. A pod keeps its uid; it gets its
   * deletionTimestamp when it starts terminating; an update that changes nothing is not an event
   * (as a no-op update keeps its resourceVersion in Kubernetes).
   */
  upsertPod(p: PodRecord): void {
    const old = this.pods.get(p.namespace, p.name);
    const deletionTimestamp = (old?.metadata.deletionTimestamp as string | undefined) ?? (p.terminating ? this.now().toISOString() : undefined);
    const next = podObject(p, { uid: old?.metadata.uid ?? randomUUID(), deletionTimestamp });
    if (old) {
      const { resourceVersion: _, ...oldMeta } = old.metadata;
      if (isDeepStrictEqual({ ...old, metadata: oldMeta }, next)) return;
    }
    this.pods.put(next);
  }

  /** Removes a pod (its process has exited). */
  deletePod(namespace: string, name: string): void {
    this.pods.delete(namespace, name);
  }

  /** Applies a runtime PodEvent: ADDED/MODIFIED upsert, DELETED removes. */
  applyPodEvent(event: PodEvent): void {
    if (event.type === 'DELETED') this.deletePod(event.pod.namespace, event.pod.name);
    else this.upsertPod(event.pod);
  }

  /**
   * Writes `<dataDir>/kubeconfig` (admin, https:// with the server's CA, for kubectl) and
   * `<dataDir>/kubeconfigs/<namespace>-<sa>.yaml` per ServiceAccount (plain http://), each with its
   * own token; hand the latter to the pods as KUBECONFIG.
   */
  writeKubeconfigs(opts: WriteKubeconfigsOptions): Promise<KubeconfigPaths> {
    const plain = opts.serverUrl ?? this.url;
    return writeKubeconfigFiles({
      dataDir: opts.dataDir,
      // kubectl (client-go) sends no token to an http:// server, so the admin's goes over TLS.
      admin: {
        server: plain.replace(/^http:/, 'https:'), certificateAuthority: this.certificate,
        user: 'pingpong-admin', token: this.tokens.adminToken, namespace: opts.namespace ?? 'pingpong',
      },
      serviceAccounts: opts.serviceAccounts.map((sa) => ({
        server: plain,
        user: `system:serviceaccount:${sa.namespace}:${sa.name}`, serviceAccount: sa.name, namespace: sa.namespace,
        token: this.tokens.serviceAccountToken(sa.namespace, sa.name),
      })),
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    let who = '';
    let info: RequestInfo | undefined;
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      info = requestInfo(req.method ?? 'GET', url);
      const user = this.authenticate(req, info);
      who = user.name;
      await this.serve(req, res, url, info, user);
    } catch (e) {
      const err = e instanceof ApiError ? e : errors.internal('the local API server failed; see its log');
      if (!(e instanceof ApiError)) this.log?.error({ err: e, path: info?.path }, 'local API server request failed');
      if (res.headersSent) res.destroy();
      else sendJson(res, err.code, err.toStatus());
    } finally {
      // The path and user only: never headers, which hold the token.
      this.log?.debug({ method: req.method, path: info?.path, verb: info?.verb, user: who, code: res.statusCode, ms: Date.now() - started }, 'api request');
    }
  }

  /**
   * The user of a request. A wrong token is always 401; no token is anonymous, which RBAC lets
   * read /version and the health checks only, so anything else without a token is 401 too.
   */
  private authenticate(req: IncomingMessage, info: RequestInfo): UserInfo {
    const user = this.tokens.authenticate(req.headers.authorization);
    if (user) return impersonated(this.policy, req.headers, user);
    if (user === null && authorize(this.policy, this.attributes(ANONYMOUS, info)).allowed) return ANONYMOUS;
    throw errors.unauthorized();
  }

  private attributes(user: UserInfo, info: RequestInfo): RequestAttributes {
    return {
      user, verb: info.verb, resourceRequest: info.isResourceRequest, apiGroup: info.apiGroup, resource: info.resource,
      subresource: info.subresource, name: info.name, namespace: info.namespace, path: info.path,
    };
  }

  private async serve(req: IncomingMessage, res: ServerResponse, url: URL, info: RequestInfo, user: UserInfo): Promise<void> {
    // Authorization comes before routing, as in Kubernetes: a resource not granted is 403 even if
    // this server does not serve it.
    const attrs = this.attributes(user, info);
    if (!authorize(this.policy, attrs).allowed) {
      throw new ApiError(403, 'Forbidden', forbiddenMessage(attrs), {
        ...(info.name ? { name: info.name } : {}), ...(info.apiGroup ? { group: info.apiGroup } : {}), ...(info.resource ? { kind: info.resource } : {}),
      });
    }
    if (!info.isResourceRequest) return this.serveNonResource(req, res, info);
    const resource = this.registry.find(info.apiGroup, info.apiVersion, info.resource);
    if (!resource) throw errors.noRoute();
    await serveResource({
      req, res, url, info, user, resource, output: negotiate(req.headers.accept),
      now: this.now, watches: this.watches, defaultWatchSeconds: this.watchSeconds, webhook: this.webhook, policies: this.policies,
      watchBufferBytes: this.watchBufferBytes,
    });
  }

  /** Discovery, /version and the health checks; anything else is 404. */
  private serveNonResource(req: IncomingMessage, res: ServerResponse, info: RequestInfo): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw errors.methodNotAllowed();
    const parts = info.path.split('/').filter(Boolean);
    const host = req.headers.host ?? '127.0.0.1';
    let body: unknown;
    if (info.path === '/version' || info.path === '/version/') body = SERVER_VERSION;
    else if (['/healthz', '/livez', '/readyz'].includes(info.path)) {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      return void res.end('ok');
    } else if (parts[0] === 'api' && parts.length === 1) body = apiVersions(host);
    else if (parts[0] === 'api' && parts.length === 2 && parts[1] === 'v1') body = apiResourceList(this.registry, '', 'v1');
    else if (parts[0] === 'apis' && parts.length === 1) body = apiGroupList(this.registry);
    else if (parts[0] === 'apis' && parts.length === 2) body = apiGroupDoc(this.registry, parts[1]!);
    else if (parts[0] === 'apis' && parts.length === 3) body = apiResourceList(this.registry, parts[1]!, parts[2]!);
    else if (parts[0] === 'openapi' && parts[1] === 'v3') {
      const crds = this.registry.forKind('apiextensions.k8s.io/v1', 'CustomResourceDefinition')!.store!.list().items;
      if (parts.length === 2) body = openApiRoot(this.registry, crds);
      else if (parts[2] === 'api' && parts.length === 4) body = openApiDocument(this.registry, crds, '', parts[3]!);
      else if (parts[2] === 'apis' && parts.length === 5) body = openApiDocument(this.registry, crds, parts[3]!, parts[4]!);
    }
    if (body === undefined) throw errors.noRoute();
    sendJson(res, 200, body);
  }
}
