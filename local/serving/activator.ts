import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Pod } from './pod.js';
import { proxyToPod, type PodAgent } from './proxy.js';

/** Knative's activator queue per revision (breakerQueueDepth in pkg/activator/net/throttler.go). */
export const DEFAULT_QUEUE_LIMIT = 10_000;

export interface ActivatorHooks {
  /** A ready pod with a free slot of the revision that takes traffic now, chosen at random; or none. */
  pick(): Pod | undefined;
  /** The routed revision's timeoutSeconds, in ms, for a request arriving now. */
  timeoutMs(): number;
  /** Something changed in flight or in the buffer: the autoscaler's concurrency metric moves. */
  changed(): void;
  /** A request is buffered: scale from zero now, without waiting for the next autoscaler tick. */
  demand(): void;
}

interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  timer?: NodeJS.Timeout;
  queued: boolean;
  abort?: () => void;
  over: boolean;
}

const text = (res: ServerResponse, status: number, body: string) => {
  if (res.headersSent || res.destroyed) { res.destroy(); return; }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

/**
 * The activator in front of one Service: buffers requests while no pod has a free slot (scale
 * from zero, or `containerConcurrency` reached), answers 503 once `queueLimit` requests wait,
 * and 504 once a request (buffering included) outlives the revision's `timeoutSeconds`, like
 * Knative's activator timeout handler. Dispatch is FIFO to a random pod with a free slot.
 */
export class Activator {
  private readonly queue: Exchange[] = [];
  private readonly live = new Set<Exchange>();

  constructor(private readonly hooks: ActivatorHooks, private readonly agent: PodAgent,
    private readonly queueLimit = DEFAULT_QUEUE_LIMIT) {}

  /** Requests waiting for a slot now. */
  get queued(): number { return this.queue.length; }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const ex: Exchange = { req, res, queued: false, over: false };
    const pod = this.queue.length === 0 ? this.hooks.pick() : undefined;
    if (!pod && this.queue.length >= this.queueLimit) {
      text(res, 503, `pending request queue full (${this.queueLimit} requests are already waiting for this Service)\n`);
      return;
    }
    this.live.add(ex);
    const timeoutMs = this.hooks.timeoutMs();
    ex.timer = setTimeout(() => this.end(ex, 504, `request timed out after ${timeoutMs / 1000}s (the revision's timeoutSeconds)\n`), timeoutMs);
    res.once('close', () => {
      // The client left while its request waited: it no longer counts as demand.
      if (ex.queued) this.end(ex);
    });
    if (pod) this.send(ex, pod);
    else {
      ex.queued = true;
      this.queue.push(ex);
      this.hooks.changed();
      this.hooks.demand();
    }
  }

  /** Sends buffered requests to pods with free slots, oldest first; call when capacity may have changed. */
  dispatch(): void {
    while (this.queue.length > 0) {
      const pod = this.hooks.pick();
      if (!pod) return;
      const ex = this.queue.shift()!;
      ex.queued = false;
      this.send(ex, pod);
    }
  }

  /** Ends every request (Service removed, runtime stopping): 503 to those not yet answered. */
  abortAll(message: string): void {
    for (const ex of [...this.live]) this.end(ex, 503, message);
  }

  private send(ex: Exchange, pod: Pod): void {
    pod.record.inFlight++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      pod.record.inFlight--;
      this.finish(ex);
      this.hooks.changed();
      this.dispatch();
    };
    ex.abort = proxyToPod(ex.req, ex.res, pod.record.port, this.agent, release).abort;
    this.hooks.changed();
  }

  /** Ends an exchange early: answers `status` if nothing was sent yet, else cuts the response. */
  private end(ex: Exchange, status?: number, message = ''): void {
    if (ex.over) return;
    if (ex.queued) {
      this.queue.splice(this.queue.indexOf(ex), 1);
      ex.queued = false;
      this.finish(ex);
      this.hooks.changed();
    } else ex.abort?.(); // releases the pod's slot through `release`
    if (status !== undefined) text(ex.res, status, message);
  }

  private finish(ex: Exchange): void {
    ex.over = true;
    clearTimeout(ex.timer);
    this.live.delete(ex);
  }
}
