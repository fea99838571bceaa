import { EventEmitter } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { freePort } from '../../lib/net/free-port.js';
import { pino, type Logger } from 'pino';
import { servingServiceRules } from '../../lib/manifests/serving-rules.js';
import type { PodEvent, PodRecord, RuntimeEvent } from '../types.js';
import { Activator, DEFAULT_QUEUE_LIMIT } from './activator.js';
import { decideScale, type PanicState } from './autoscaler.js';
import { podEnvironment, type ResolveEnvFrom } from './env.js';
import { ConcurrencyWindow } from './metrics.js';
import { podName, revisionName, templateHash } from './names.js';
import { Pod, probeOf, type LogSink, type PodChange, type PodCommand } from './pod.js';
import { revisionSettings, type RevisionSettings } from './settings.js';
import type { KubeObject } from '../../lib/kube/object.js';

export const CLUSTER_LOCAL_DOMAIN = 'svc.cluster.local';
export const DEFAULT_DOMAIN = '127.0.0.1.sslip.io';
export const VISIBILITY_LABEL = 'networking.knative.dev/visibility';

export interface ServingOptions {
  /** Told of rollouts, scaling and pod failures, which the runtime records as Events. */
  record?: (e: RuntimeEvent) => void;
  /** The global stable window (config-autoscaler `stable-window`, 60 s); `window` annotations override it. */
  stableWindowMs?: number;
  /** How often the autoscaler decides (Knative: every 2 s). */
  tickMs?: number;
  /** Which process runs a container (the CLI maps FUNCTION_TARGET to functionCommand). */
  podCommand: (service: KubeObject, container: any) => PodCommand;
  /** Extra env for a pod of a revision (DATABASE_URL, KUBECONFIG, K_SINK…). */
  podEnv?: (service: KubeObject, revision: string, pod: string) => Record<string, string> | Promise<Record<string, string>>;
  /** Resolves env `valueFrom` (configMapKeyRef, secretKeyRef). */
  resolveEnvFrom?: ResolveEnvFrom;
  log?: Logger;
  /** Where pod output goes, one prefixed line at a time (default: stdout). */
  logSink?: LogSink;
  /** Grace for in-flight requests to drain, then between SIGTERM and SIGKILL (default 10 s). */
  terminationGraceMs?: number;
  /** Requests buffered per Service before 503 (default 10000, Knative's breakerQueueDepth). */
  queueLimit?: number;
  /** The external domain (config-domain); default 127.0.0.1.sslip.io. */
  domain?: string;
  /** Working directory of pod processes (default process.cwd()). */
  cwd?: string;
  /**
   * Variables of the runtime's own environment a pod inherits, as a container image would have
   * them (PATH, HOME…); nothing else of the host leaks in.
   */
  inheritEnv?: string[];
}

/** One revision in a status view. */
export interface RevisionStatus {
  name: string;
  generation: number;
  /** The autoscaler's current decision. */
  desired: number;
  /** Pods running or starting, not terminating. */
  actual: number;
  ready: number;
  inFlight: number;
  /** 100 for the revision the route sends traffic to, else 0. */
  traffic: number;
  /** Whether the revision has reached its initial scale once (Knative's Ready condition). */
  isReady: boolean;
  warnings: string[];
}

/** One Service in a status view. */
export interface ServiceStatus {
  name: string;
  namespace: string;
  visibility: 'external' | 'cluster-local';
  /** status.url: the external URL, or the cluster-local one for a cluster-local Service. */
  url: string;
  /** status.address.url: always the cluster-local URL. */
  address: string;
  latestCreatedRevision: string;
  latestReadyRevision?: string;
  revisions: RevisionStatus[];
  /** Requests buffered in the activator now. */
  queued: number;
}

const DEFAULT_INHERIT = ['PATH', 'HOME', 'TMPDIR', 'TMP', 'TEMP', 'LANG', 'LC_ALL', 'TZ', 'NODE_EXTRA_CA_CERTS', 'SYSTEMROOT'];
/** What the log says about a pod: its name, revision and address. */
const podFields = (p: PodRecord) => ({ pod: p.name, revision: p.revision, ip: p.ip, port: p.port });

/** Kubernetes' CrashLoopBackOff: 10 s, doubling, capped at 5 min; the first replacement is at once. */
const BACKOFF_START_MS = 10_000;
const BACKOFF_MAX_MS = 300_000;

interface Revision {
  name: string;
  generation: number;
  template: any;
  container: any;
  settings: RevisionSettings;
  createdAt: number;
  pods: Set<Pod>;
  desired: number;
  window: ConcurrencyWindow;
  panic: PanicState;
  initialScaleReached: boolean;
  activeSince?: number;
  isReady: boolean;
  failures: number;
  retryAt: number;
  retryTimer?: NodeJS.Timeout;
}

interface Service {
  namespace: string;
  name: string;
  object: KubeObject;
  hash: string;
  generation: number;
  revisions: Revision[];
  routed?: Revision;
  activator: Activator;
  removed: boolean;
}

export class ServingValidationError extends Error {
  constructor(readonly resource: string, readonly problems: string[]) {
    super(`${resource}: ${problems.join('; ')}`);
    this.name = 'ServingValidationError';
  }
}

/**
 * Knative Serving on one machine: Services → revisions (`<svc>-0000N` per template change) →
 * pods (functions-framework processes), an activator per Service and a KPA-like autoscaler.
 * Traffic always goes 100 % to the latest ready revision (`spec.traffic` splits are not emulated).
 *
 * Events: `pod` (PodEvent: ADDED when spawned, MODIFIED when ready/terminating/failed, DELETED on
 * exit) and `change` (no payload: something in `services()` changed).
 */
export class Serving extends EventEmitter {
  private readonly byKey = new Map<string, Service>();
  /** Pods of removed Services, until their processes exit. */
  private readonly exiting = new Set<Pod>();
  private readonly opts: Required<Pick<ServingOptions, 'stableWindowMs' | 'tickMs' | 'terminationGraceMs' | 'queueLimit' | 'domain' | 'cwd' | 'inheritEnv'>> & ServingOptions;
  private readonly log: Logger;
  private readonly sink: LogSink;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  private readonly ticker: NodeJS.Timeout;
  private readonly usedPorts = new Set<number>();
  private stopping?: Promise<void>;

  constructor(options: ServingOptions) {
    super();
    this.opts = {
      stableWindowMs: 60_000, tickMs: 2_000, terminationGraceMs: 10_000, queueLimit: DEFAULT_QUEUE_LIMIT,
      domain: DEFAULT_DOMAIN, cwd: process.cwd(), inheritEnv: DEFAULT_INHERIT,
      ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    } as Serving['opts'];
    this.log = options.log ?? pino({ name: 'serving' });
    this.sink = options.logSink ?? ((line) => process.stdout.write(line + '\n'));
    this.ticker = setInterval(() => this.tick(), this.opts.tickMs);
  }

  /**
   * Creates or updates a Knative Service. A changed `spec.template` makes a new revision whose
   * pods start; traffic moves to it once it has reached its initial scale. Throws
   * ServingValidationError for what Knative's webhook would reject.
   */
  apply(object: KubeObject): { revision: string; created: boolean } {
    if (this.stopping) throw new Error('serving is stopping');
    const namespace = object.metadata.namespace ?? 'default';
    const name = object.metadata.name;
    const problems: string[] = [];
    servingServiceRules(object as any, (field, message) => problems.push(`${field}: ${message}`));
    if (problems.length) throw new ServingValidationError(`Service ${namespace}/${name}`, problems);

    const key = `${namespace}/${name}`;
    const traffic = object.spec?.traffic;
    if (Array.isArray(traffic) && !(traffic.length === 1 && traffic[0]?.latestRevision !== false && !traffic[0]?.revisionName && (traffic[0]?.percent ?? 100) === 100)) {
      this.log.warn({ service: key }, 'spec.traffic splits and tags are not emulated locally: 100% goes to the latest ready revision');
    }
    let svc = this.byKey.get(key);
    const template = object.spec.template;
    const hash = templateHash(template);
    if (svc && svc.hash === hash) {
      svc.object = object; // labels (visibility) may change without a new revision
      this.emit('change');
      return { revision: svc.revisions.at(-1)!.name, created: false };
    }
    const byo = template?.metadata?.name as string | undefined;
    if (svc && byo && svc.revisions.some((r) => r.name === byo)) {
      throw new ServingValidationError(`Service ${key}`, [`spec.template.metadata.name: Saw the following changes without a name change (-old +new) in revision "${byo}"`]);
    }
    if (!svc) {
      const s: Service = {
        namespace, name, object, hash, generation: 0, revisions: [], removed: false,
        activator: undefined as unknown as Activator,
      };
      s.activator = new Activator({
        pick: () => this.pick(s),
        timeoutMs: () => (s.routed ?? s.revisions.at(-1))!.settings.timeoutMs,
        changed: () => this.measure(s),
        demand: () => this.activate(s),
      }, this.agent, this.opts.queueLimit);
      this.byKey.set(key, s);
      svc = s;
    }
    svc.object = object;
    svc.hash = hash;
    svc.generation++;
    const now = Date.now();
    const settings = revisionSettings(template, this.opts.stableWindowMs);
    const containers: any[] = template?.spec?.containers ?? [];
    const rev: Revision = {
      name: byo ?? revisionName(name, svc.generation),
      generation: svc.generation,
      template,
      container: containers.find((c) => Array.isArray(c?.ports) && c.ports.length > 0) ?? containers[0],
      settings,
      createdAt: now,
      pods: new Set(),
      desired: 0,
      window: new ConcurrencyWindow(now),
      panic: { maxPods: 0 },
      initialScaleReached: false,
      isReady: false,
      failures: 0,
      retryAt: 0,
    };
    svc.revisions.push(rev);
    for (const w of settings.warnings) this.log.warn({ revision: rev.name }, w);
    if (containers.length > 1) this.log.warn({ revision: rev.name }, 'only the serving container runs locally; sidecars are not started');
    this.log.info({ service: key, revision: rev.name }, 'revision created');
    this.opts.record?.({ kind: 'Service', namespace, name, type: 'Normal', reason: 'Created', message: `Created Revision "${rev.name}"` });
    this.decide(svc, rev, now);
    this.checkReady(svc, rev);
    this.emit('change');
    return { revision: rev.name, created: true };
  }

  /** Deletes a Service: buffered and in-flight requests get 503, its pods are stopped. */
  async remove(namespace: string, name: string): Promise<void> {
    const svc = this.byKey.get(`${namespace}/${name}`);
    if (!svc) return;
    this.byKey.delete(`${namespace}/${name}`);
    svc.removed = true;
    svc.activator.abortAll(`Service ${namespace}/${name} was deleted\n`);
    const gone: Promise<void>[] = [];
    for (const rev of svc.revisions) {
      rev.desired = 0;
      clearTimeout(rev.retryTimer);
      for (const pod of rev.pods) {
        this.exiting.add(pod);
        gone.push(pod.terminate(this.opts.terminationGraceMs));
      }
    }
    this.emit('change');
    await Promise.all(gone);
  }

  /** Serves one request for a Service through its activator; 404 when there is no such Service. */
  handle(namespace: string, name: string, req: IncomingMessage, res: ServerResponse): void {
    const svc = this.byKey.get(`${namespace}/${name}`);
    if (!svc || this.stopping) {
      const body = `no Knative Service ${namespace}/${name}\n`;
      res.writeHead(this.stopping ? 503 : 404, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    svc.activator.handle(req, res);
  }

  /** One Service's status, or undefined. */
  service(namespace: string, name: string): ServiceStatus | undefined {
    const svc = this.byKey.get(`${namespace}/${name}`);
    return svc && this.status(svc);
  }

  /** Every Service's status, sorted by namespace and name. */
  services(): ServiceStatus[] {
    return [...this.byKey.values()].map((s) => this.status(s))
      .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  }

  /** Snapshots of every pod, terminating ones included until their process exits. */
  pods(): PodRecord[] {
    const out: PodRecord[] = [];
    for (const svc of this.byKey.values()) for (const rev of svc.revisions) for (const pod of rev.pods) out.push({ ...pod.record });
    for (const pod of this.exiting) out.push({ ...pod.record });
    return out;
  }

  /**
   * Deletes one pod, as `kubectl delete pod` does: it drains and stops, and its revision starts a
   * replacement at once (a ReplicaSet's job on a cluster). False when there is no such pod.
   */
  deletePod(namespace: string, name: string): boolean {
    for (const svc of this.byKey.values()) {
      if (svc.namespace !== namespace) continue;
      for (const rev of svc.revisions) {
        const pod = [...rev.pods].find((p) => p.record.name === name && !p.gone);
        if (!pod) continue;
        if (!pod.record.terminating) {
          void this.terminate(pod);
          this.reconcile(svc, rev);
        }
        return true;
      }
    }
    return false;
  }

  /** Stops every pod (buffered requests get 503) and resolves when all processes are gone. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.ticker);
      const gone: Promise<void>[] = [];
      for (const svc of this.byKey.values()) {
        svc.activator.abortAll('the local runtime is stopping\n');
        for (const rev of svc.revisions) {
          clearTimeout(rev.retryTimer);
          rev.desired = 0;
          for (const pod of rev.pods) gone.push(pod.terminate(this.opts.terminationGraceMs));
        }
      }
      for (const pod of this.exiting) gone.push(pod.exited);
      await Promise.all(gone);
      this.agent.destroy();
    })();
    return this.stopping;
  }

  /**
   * Kills every pod now (SIGKILL to its process group) instead of waiting out the grace periods:
   * a second Ctrl-C while `stop` runs.
   */
  hurry(): void {
    for (const svc of this.byKey.values()) for (const rev of svc.revisions) for (const pod of rev.pods) pod.signal('SIGKILL');
    for (const pod of this.exiting) pod.signal('SIGKILL');
  }

  private status(svc: Service): ServiceStatus {
    const local = `http://${svc.name}.${svc.namespace}.${CLUSTER_LOCAL_DOMAIN}`;
    const clusterLocal = svc.object.metadata.labels?.[VISIBILITY_LABEL] === 'cluster-local';
    return {
      name: svc.name,
      namespace: svc.namespace,
      visibility: clusterLocal ? 'cluster-local' : 'external',
      url: clusterLocal ? local : `http://${svc.name}.${svc.namespace}.${this.opts.domain}`,
      address: local,
      latestCreatedRevision: svc.revisions.at(-1)!.name,
      latestReadyRevision: [...svc.revisions].reverse().find((r) => r.isReady)?.name,
      queued: svc.activator.queued,
      revisions: svc.revisions.map((r) => {
        const pods = [...r.pods];
        return {
          name: r.name,
          generation: r.generation,
          desired: r.desired,
          actual: pods.filter((p) => !p.record.terminating && !p.gone).length,
          ready: pods.filter((p) => p.record.ready && !p.record.terminating).length,
          inFlight: pods.reduce((n, p) => n + p.record.inFlight, 0),
          traffic: svc.routed === r ? 100 : 0,
          isReady: r.isReady,
          warnings: r.settings.warnings,
        };
      }),
    };
  }

  // ---- routing and the activator's view ------------------------------------------------------

  /** A ready pod with a free slot of the routed revision, at random (Knative's random choice of two is close enough). */
  private pick(svc: Service): Pod | undefined {
    const rev = svc.routed;
    if (!rev) return undefined;
    const cc = rev.settings.containerConcurrency;
    const free = [...rev.pods].filter((p) => p.record.ready && !p.record.terminating && !p.gone && (cc === 0 || p.record.inFlight < cc));
    return free[Math.floor(Math.random() * free.length)];
  }

  /** The revision buffered requests count towards: the routed one, else the newest (first rollout). */
  private target(svc: Service): Revision | undefined {
    return svc.routed ?? svc.revisions.at(-1);
  }

  /** Feeds the concurrency windows: in flight per revision, plus the buffer for the target. */
  private measure(svc: Service): void {
    const now = Date.now();
    const target = this.target(svc);
    for (const rev of svc.revisions) {
      let c = 0;
      for (const pod of rev.pods) c += pod.record.inFlight;
      if (rev === target) c += svc.activator.queued;
      rev.window.set(now, c);
    }
  }

  /** A request is buffered: a revision at zero gets a pod now, as the activator pokes the autoscaler. */
  private activate(svc: Service): void {
    const rev = this.target(svc);
    if (!rev || rev.desired > 0) return;
    this.log.info({ service: `${svc.namespace}/${svc.name}`, revision: rev.name, from: 0, to: 1 }, 'activating from zero');
    rev.desired = 1;
    this.reconcile(svc, rev);
    this.emit('change');
  }

  private reachable(svc: Service, rev: Revision): boolean {
    return rev === svc.routed || rev === svc.revisions.at(-1);
  }

  /** A revision is Ready once it reached its initial scale; the newest Ready one takes all traffic. */
  private checkReady(svc: Service, rev: Revision): void {
    const ready = [...rev.pods].filter((p) => p.record.ready && !p.record.terminating).length;
    const initial = rev.settings.maxScale > 0 ? Math.min(rev.settings.initialScale, rev.settings.maxScale) : rev.settings.initialScale;
    if (!rev.initialScaleReached && ready >= initial) rev.initialScaleReached = true;
    if (!rev.isReady && rev.initialScaleReached) {
      rev.isReady = true;
      this.log.info({ service: `${svc.namespace}/${svc.name}`, revision: rev.name }, 'revision ready');
    }
    const newest = [...svc.revisions].reverse().find((r) => r.isReady);
    if (newest && newest !== svc.routed) {
      const old = svc.routed;
      svc.routed = newest;
      this.log.info({ service: `${svc.namespace}/${svc.name}`, from: old?.name, to: newest.name }, 'traffic moved to revision');
      this.opts.record?.({ kind: 'Service', namespace: svc.namespace, name: svc.name, type: 'Normal', reason: 'TrafficMoved', message: `100% of traffic to Revision "${newest.name}"${old ? ` (was "${old.name}")` : ''}` });
      this.measure(svc);
      if (old) this.decide(svc, old, Date.now());
      this.emit('change');
    }
    svc.activator.dispatch();
  }

  // ---- the autoscaler ------------------------------------------------------------------------

  private tick(): void {
    const now = Date.now();
    for (const svc of this.byKey.values()) for (const rev of svc.revisions) this.decide(svc, rev, now);
  }

  private decide(svc: Service, rev: Revision, now: number): void {
    const s = rev.settings;
    const readyPods = [...rev.pods].filter((p) => p.record.ready && !p.record.terminating).length;
    const decision = decideScale({
      now, settings: s, reachable: this.reachable(svc, rev), readyPods,
      stableConcurrency: rev.window.average(now, s.windowMs),
      panicConcurrency: rev.window.average(now, s.panicWindowMs),
      lastActiveAt: rev.window.lastActiveAt,
      activeSince: rev.activeSince,
      initialScaleReached: rev.initialScaleReached,
      panic: rev.panic,
    });
    rev.window.prune(now, s.windowMs);
    if (decision.panic.since !== undefined && rev.panic.since === undefined) this.log.info({ revision: rev.name }, 'panic mode');
    rev.panic = decision.panic;
    if (decision.desired !== rev.desired) {
      this.log.info({ service: `${svc.namespace}/${svc.name}`, revision: rev.name, from: rev.desired, to: decision.desired },
        decision.desired > rev.desired ? 'scaled up' : 'scaled down');
      this.opts.record?.({ kind: 'Service', namespace: svc.namespace, name: svc.name, type: 'Normal', reason: 'SuccessfulRescale', message: `Revision "${rev.name}" scaled from ${rev.desired} to ${decision.desired}` });
      rev.desired = decision.desired;
      this.emit('change');
    }
    this.reconcile(svc, rev);
  }

  // ---- pods ----------------------------------------------------------------------------------

  /** Starts or stops pods until the revision has `desired` of them (terminating ones aside). */
  private reconcile(svc: Service, rev: Revision): void {
    if (svc.removed || this.stopping) return;
    const live = [...rev.pods].filter((p) => !p.record.terminating && !p.gone);
    if (live.length < rev.desired) {
      const wait = rev.retryAt - Date.now();
      if (wait > 0) {
        rev.retryTimer ??= setTimeout(() => { rev.retryTimer = undefined; this.reconcile(svc, rev); }, wait);
        return;
      }
      for (let i = live.length; i < rev.desired; i++) void this.spawn(svc, rev);
    } else if (live.length > rev.desired) {
      // Starting pods go first, then the least busy, so as little work as possible is cut short.
      live.sort((a, b) => Number(a.record.ready) - Number(b.record.ready) || a.record.inFlight - b.record.inFlight);
      for (const pod of live.slice(0, live.length - rev.desired)) void this.terminate(pod);
    }
  }

  private async terminate(pod: Pod): Promise<void> {
    // Like queue-proxy's drain before the user container gets SIGTERM.
    const drained = new Promise<void>((resolve) => {
      const check = () => (pod.record.inFlight === 0 || pod.gone ? resolve() : setTimeout(check, 50).unref());
      check();
    });
    await pod.terminate(this.opts.terminationGraceMs, drained);
  }

  private async spawn(svc: Service, rev: Revision): Promise<void> {
    const record: PodRecord = {
      name: podName(rev.name),
      namespace: svc.namespace,
      service: svc.name,
      configuration: svc.name,
      revision: rev.name,
      ip: '127.0.0.1',
      port: 0,
      phase: 'Pending',
      ready: false,
      terminating: false,
      inFlight: 0,
      startedAt: new Date(),
      serviceAccountName: rev.template?.spec?.serviceAccountName,
    };
    const pod = new Pod(record, (p, change) => this.podChanged(svc, rev, p, change));
    rev.pods.add(pod);
    this.emit('pod', { type: 'ADDED', pod: { ...record } } satisfies PodEvent);
    let cmd: PodCommand;
    let env: Record<string, string>;
    try {
      record.port = await this.claimPort();
      const extra = this.opts.podEnv ? await this.opts.podEnv(svc.object, rev.name, record.name) : {};
      const identity = { namespace: svc.namespace, service: svc.name, configuration: svc.name, revision: rev.name, pod: record.name, port: record.port };
      cmd = this.opts.podCommand(svc.object, rev.container);
      const inherited = Object.fromEntries(this.opts.inheritEnv.flatMap((k) => (process.env[k] === undefined ? [] : [[k, process.env[k]!]])));
      env = { ...inherited, ...cmd.env, ...await podEnvironment(rev.container, identity, this.opts.resolveEnvFrom, extra) };
    } catch (e) {
      const text = `cannot start: ${(e as Error).message}`;
      this.sink(`[${record.name}] ${text}`, { pod: record.name, stream: 'stderr', text });
      pod.discard(false); // Failed → replaced after the back-off
      return;
    }
    if (pod.record.terminating || svc.removed || this.stopping) {
      // Scaled away (or stopped) while its env was being built: never start the process.
      pod.discard(true);
      return;
    }
    pod.start(cmd, env, this.opts.cwd, probeOf(rev.container), this.sink);
    if (pod.pid !== undefined) this.log.info({ ...podFields(record), pid: pod.pid }, 'pod born');
  }

  private podChanged(svc: Service, rev: Revision, pod: Pod, change: PodChange): void {
    const snapshot = { ...pod.record };
    switch (change) {
      case 'ready':
        this.log.info(podFields(snapshot), 'pod ready');
        rev.failures = 0;
        if ([...rev.pods].filter((p) => p.record.ready && !p.record.terminating).length === 1) rev.activeSince = Date.now();
        this.emit('pod', { type: 'MODIFIED', pod: snapshot } satisfies PodEvent);
        this.checkReady(svc, rev);
        this.emit('change');
        break;
      case 'terminating':
        this.log.debug(podFields(snapshot), 'pod terminating');
        this.emit('pod', { type: 'MODIFIED', pod: snapshot } satisfies PodEvent);
        this.emit('change');
        break;
      case 'failed':
        rev.failures++;
        rev.retryAt = rev.failures <= 1 ? 0 : Date.now() + Math.min(BACKOFF_START_MS * 2 ** (rev.failures - 2), BACKOFF_MAX_MS);
        this.emit('pod', { type: 'MODIFIED', pod: snapshot } satisfies PodEvent);
        break;
      case 'exited':
        if (pod.exit !== undefined) {
          // Stopped on purpose (scaled down, a new revision, Ctrl-C) or not: the latter is a warning.
          const expected = snapshot.phase === 'Succeeded';
          this.log[expected ? 'info' : 'warn']({ ...podFields(snapshot), exit: pod.exit, expected }, 'pod died');
          if (!expected) this.opts.record?.({ kind: 'Pod', namespace: snapshot.namespace, name: snapshot.name, type: 'Warning', reason: 'Failed', message: `container user-container exited unexpectedly (${pod.exit}); the revision starts a replacement` });
        }
        rev.pods.delete(pod);
        this.exiting.delete(pod);
        this.usedPorts.delete(pod.record.port);
        this.emit('pod', { type: 'DELETED', pod: snapshot } satisfies PodEvent);
        this.emit('change');
        svc.activator.dispatch();
        this.reconcile(svc, rev);
        break;
    }
  }

  /** A port nothing listens on now and no other pod was given. */
  private async claimPort(): Promise<number> {
    for (;;) {
      const port = await freePort();
      if (!this.usedPorts.has(port)) {
        this.usedPorts.add(port);
        return port;
      }
    }
  }
}
