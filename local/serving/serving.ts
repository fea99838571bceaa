import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino } from 'pino';
import type { KubeObject } from '../../lib/kube/object.js';
import type { PodRecord } from '../types.js';
import { applyService } from './apply.js';
import { podChanged } from './lifecycle.js';
import { resolveOptions, type ServingOptions } from './options.js';
import { PodAgent } from './proxy.js';
import { reconcile, terminate } from './replicas.js';
import { tick } from './scaler.js';
import type { Context } from './state.js';
import { podSnapshots, serviceStatus, type ServiceStatus } from './status.js';

export { ServingValidationError } from './apply.js';
export { DEFAULT_DOMAIN, type ServingOptions } from './options.js';
export { CLUSTER_LOCAL_DOMAIN, VISIBILITY_LABEL, type RevisionStatus, type ServiceStatus } from './status.js';

/**
 * Knative Serving on one machine: Services → revisions (`<svc>-0000N` per template change) →
 * pods (functions-framework processes), an activator per Service and a KPA-like autoscaler.
 * Traffic always goes 100 % to the latest ready revision (`spec.traffic` splits are not emulated).
 * This class is the facade; the work is done by apply, scaler, replicas, lifecycle, routing and status.
 *
 * Events: `pod` (PodEvent: ADDED when spawned, MODIFIED when ready/terminating/failed, DELETED on
 * exit) and `change` (no payload: something in `services()` changed).
 */
export class Serving extends EventEmitter {
  private readonly ctx: Context;
  private readonly ticker: NodeJS.Timeout;

  constructor(options: ServingOptions) {
    super();
    const opts = resolveOptions(options);
    const ctx: Context = {
      opts,
      log: options.log ?? pino({ name: 'serving' }),
      sink: options.logSink ?? ((line) => process.stdout.write(line + '\n')),
      events: this,
      services: new Map(),
      exiting: new Set(),
      usedPorts: new Set(),
      agent: new PodAgent(),
      podChanged: (svc, rev, pod, change) => podChanged(ctx, svc, rev, pod, change),
    };
    this.ctx = ctx;
    this.ticker = setInterval(() => tick(ctx), opts.tickMs);
  }

  /**
   * Creates or updates a Knative Service. A changed `spec.template` makes a new revision whose
   * pods start; traffic moves to it once it has reached its initial scale. Throws
   * ServingValidationError for what Knative's webhook would reject.
   */
  apply(object: KubeObject): { revision: string; created: boolean } {
    return applyService(this.ctx, object);
  }

  /** Deletes a Service: buffered and in-flight requests get 503, its pods are stopped. */
  async remove(namespace: string, name: string): Promise<void> {
    const svc = this.ctx.services.get(`${namespace}/${name}`);
    if (!svc) return;
    this.ctx.services.delete(`${namespace}/${name}`);
    svc.removed = true;
    svc.activator.abortAll(`Service ${namespace}/${name} was deleted\n`);
    const gone: Promise<void>[] = [];
    for (const rev of svc.revisions) {
      rev.desired = 0;
      clearTimeout(rev.retryTimer);
      for (const pod of rev.pods) {
        this.ctx.exiting.add(pod);
        gone.push(pod.terminate(this.ctx.opts.terminationGraceMs));
      }
    }
    this.emit('change');
    await Promise.all(gone);
  }

  /** Serves one request for a Service through its activator; 404 when there is no such Service. */
  handle(namespace: string, name: string, req: IncomingMessage, res: ServerResponse): void {
    const svc = this.ctx.services.get(`${namespace}/${name}`);
    if (!svc || this.ctx.stopping) {
      const body = `no Knative Service ${namespace}/${name}\n`;
      res.writeHead(this.ctx.stopping ? 503 : 404, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    svc.activator.handle(req, res);
  }

  /** One Service's status, or undefined. */
  service(namespace: string, name: string): ServiceStatus | undefined {
    const svc = this.ctx.services.get(`${namespace}/${name}`);
    return svc && serviceStatus(svc, this.ctx.opts.domain);
  }

  /** Every Service's status, sorted by namespace and name. */
  services(): ServiceStatus[] {
    return [...this.ctx.services.values()].map((s) => serviceStatus(s, this.ctx.opts.domain))
      .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  }

  /** Snapshots of every pod, terminating ones included until their process exits. */
  pods(): PodRecord[] {
    return podSnapshots(this.ctx.services.values(), this.ctx.exiting);
  }

  /**
   * Deletes one pod, as `kubectl delete pod` does: it drains and stops, and its revision starts a
   * replacement at once (a ReplicaSet's job on a cluster). False when there is no such pod.
   */
  deletePod(namespace: string, name: string): boolean {
    for (const svc of this.ctx.services.values()) {
      if (svc.namespace !== namespace) continue;
      for (const rev of svc.revisions) {
        const pod = [...rev.pods].find((p) => p.record.name === name && !p.gone);
        if (!pod) continue;
        if (!pod.record.terminating) {
          void terminate(this.ctx, pod);
          reconcile(this.ctx, svc, rev);
        }
        return true;
      }
    }
    return false;
  }

  /** Stops every pod (buffered requests get 503) and resolves when all processes are gone. */
  stop(): Promise<void> {
    const ctx = this.ctx;
    ctx.stopping ??= (async () => {
      clearInterval(this.ticker);
      const gone: Promise<void>[] = [];
      for (const svc of ctx.services.values()) {
        svc.activator.abortAll('the local runtime is stopping\n');
        for (const rev of svc.revisions) {
          clearTimeout(rev.retryTimer);
          rev.desired = 0;
          for (const pod of rev.pods) gone.push(pod.terminate(ctx.opts.terminationGraceMs));
        }
      }
      for (const pod of ctx.exiting) gone.push(pod.exited);
      await Promise.all(gone);
      ctx.agent.destroy();
    })();
    return ctx.stopping;
  }

  /**
   * Kills every pod now (SIGKILL to its process group) instead of waiting out the grace periods:
   * a second Ctrl-C while `stop` runs.
   */
  hurry(): void {
    for (const svc of this.ctx.services.values()) for (const rev of svc.revisions) for (const pod of rev.pods) pod.signal('SIGKILL');
    for (const pod of this.ctx.exiting) pod.signal('SIGKILL');
  }
}
