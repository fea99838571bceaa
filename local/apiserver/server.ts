/**
 * The local Kubernetes API server: plain HTTP, bearer tokens, the manifests' RBAC, discovery,
 * and the registry's resources (pods, the built-in kinds, and every CRD applied), so clients written for a
 * cluster (@kubernetes/client-node, kubectl) work unchanged against the local runtime. This class
 * is the facade that builds the registry and wires the parts to it: requests.ts answers HTTP,
 * in-process.ts makes the runtime's own writes, pods.ts mirrors the runtime's pods.
 */
import http from 'node:http';
import { selfSignedCertificate } from './certificate.js';
import { admitByPolicies, registrySource, type PolicyRequest } from './admission-policy.js';
import { listenDual, type DualListener } from './listener.js';
import type { Logger } from '../../lib/log.js';
import type { PodEvent, PodRecord } from '../types.js';
import { accessReviewResources } from './access-review.js';
import { builtinResources } from './builtin.js';
import { serveCustomResources } from './crd.js';
import { TokenAuthenticator } from './auth.js';
import { groupsOf } from './impersonation.js';
import { applyObject, createObject, restoreObject, type Defaulter, type InProcessContext } from './in-process.js';
import { writeKubeconfigFiles, type KubeconfigPaths } from './kubeconfig.js';
import { podsResource, storePod, storePodEvent } from './pods.js';
import { PodLogs } from './pod-logs.js';
import { eventRecorder, type RecordEvent } from './events.js';
import { authorize, buildPolicy, type RbacPolicy } from './rbac.js';
import { ResourceRegistry, type WriteRequest } from './registry.js';
import { requestHandler } from './requests.js';
import { ApiError, errors } from './status.js';
import { ObjectStore, ResourceVersionCounter } from './store.js';
import { WatchSet } from './watch.js';
import type { KubeObject } from '../../lib/kube/object.js';
import { answerClientErrors } from '../../lib/http/client-error.js';

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
  defaulter?: Defaulter;
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
  private readonly tokens = new TokenAuthenticator();
  private readonly watches = new WatchSet();
  private policy: RbacPolicy = buildPolicy([]);
  private listener?: DualListener;
  private hostPort?: string;
  private certPem?: string;
  private readonly historySize: number;
  private readonly writes: InProcessContext;
  private readonly handle: ReturnType<typeof requestHandler>;

  constructor(opts: LocalApiServerOptions = {}) {
    this.log = opts.log;
    this.now = opts.now ?? (() => new Date());
    this.historySize = opts.historySize ?? 1000;
    const defaulter = opts.defaulter ?? ((o) => o);
    const validate = opts.webhook;
    // A refusal is also an Event on the object, so `kubectl get events` tells it afterwards.
    const webhook = (validate || opts.defaulter) && (async (req: WriteRequest) => {
      const defaulted = req.object ? { ...req, object: defaulter(req.object) } : req;
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
    // ValidatingAdmissionPolicies over what this server holds, for requests and the runtime's own writes alike.
    const policies = (r: PolicyRequest) => admitByPolicies(r, registrySource(this.registry));
    this.writes = { registry: this.registry, defaulter, now: this.now, policies, log: this.log };
    this.handle = requestHandler({
      registry: this.registry, tokens: this.tokens, policy: () => this.policy, log: this.log,
      now: this.now, watches: this.watches, defaultWatchSeconds: opts.watchTimeoutSeconds ?? 1800, watchBufferBytes: opts.watchBufferBytes, webhook, policies,
    });
  }

  /**
   * Creates an object in-process, as `kubectl create` would but without a request: the runtime
   * writing its manifests. Returns false for a kind this server does not serve.
   */
  create(given: KubeObject): boolean {
    return createObject(this.writes, given);
  }

  /** An object kept from an earlier run, back with its identity; see restoreObject. */
  restore(object: KubeObject): boolean {
    return restoreObject(this.registry, object);
  }

  /** Applies a manifest over what is stored, as `kubectl apply` does; see applyObject. */
  apply(given: KubeObject): boolean {
    return applyObject(this.writes, given);
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
    const server = answerClientErrors(http.createServer((req, res) => void this.handle(req, res)));
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

  /** Creates or updates the v1 Pod of a runtime pod; see storePod. */
  upsertPod(p: PodRecord): void {
    storePod(this.pods, p, this.now);
  }

  /** Removes a pod (its process has exited). */
  deletePod(namespace: string, name: string): void {
    this.pods.delete(namespace, name);
  }

  /** Applies a runtime PodEvent: ADDED/MODIFIED upsert, DELETED removes. */
  applyPodEvent(event: PodEvent): void {
    storePodEvent(this.pods, event, this.now);
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
}
