/**
 * Routing: what the Broker answers for an event, and, once it accepts one, matching it against
 * each of its Triggers once and queueing a delivery for every match.
 *
 * Each Trigger has its own queue and concurrency cap, so a failing or slow subscriber only
 * delays its own Trigger. Bounds (the README's "Bounds" says the same): deliveries waiting across
 * all Triggers (`maxQueued`), deliveries waiting for one Trigger (`maxQueuedPerTrigger`), and the
 * bytes of the events held by deliveries waiting or running (`maxQueuedBytes`). An event that
 * would pass any of them is refused whole with 503, which every sender retries: the Broker must
 * evaluate each Trigger exactly once, so it cannot keep the event for some Triggers and not others.
 * Replies count too (a reply matching N Triggers queues N deliveries, and a chain of replies can
 * run up to the TTL), but a tenth of each bound is kept for them: when the Broker is full, new
 * events are refused first and the flights already in the air can finish.
 */
import type { WireEvent } from '../../lib/cloudevents/message.js';
import type { Logger } from '../../lib/log.js';
import { triggerMatches, UnsupportedFilter } from './filter.js';
import type { IngestResult } from './ingress.js';
import { WorkQueue } from './queue.js';
import { keyOf, type Resources, type TriggerEntry } from './resources.js';
import type { Counters } from './stats.js';
import { ingressTtl, TTL_EXTENSION } from './ttl.js';

/** Extension set by ingress to the time the event arrived (EVT pkg/broker/metrics.go). */
export const ARRIVAL_TIME_EXTENSION = 'knativearrivaltime';

/** The share of each bound only replies may use, so work in flight is not starved by new work. */
export const REPLY_RESERVE = 0.1;

/**
 * Reorder mode holds each delivery up to this long before its first attempt (and starts waiting
 * ones at random), so events sent close together reach a subscriber out of order.
 */
export const REORDER_MAX_DELAY_MS = 200;

/** How many deliveries and bytes the Broker holds before it refuses events (503). */
export interface QueueLimits {
  /** Deliveries waiting across all Triggers. */
  maxQueued: number;
  /** Deliveries waiting for one Trigger. */
  maxQueuedPerTrigger: number;
  /** Bytes of events held by deliveries waiting or running, each event counted once. */
  maxQueuedBytes: number;
}

/** Fault injection for tests of subscribers: see LocalBrokerOptions. */
export interface DeliveryModes {
  duplicate: boolean;
  reorder: boolean;
}

/** Shared by the two copies of a duplicated delivery: the first reply the Broker took. */
export interface Copies {
  replied: boolean;
}

export interface RouterOptions {
  resources: Resources;
  counters: Counters;
  log: Logger;
  maxTtl: number;
  limits: QueueLimits;
  modes: DeliveryModes;
  /** Deliveries in flight per Trigger. */
  concurrency: number;
  now: () => Date;
  /** Whether the Broker is closing, when every event is refused. */
  closed: () => boolean;
  /** A wait the Broker's close() cuts short. */
  pause: (ms: number) => Promise<void>;
  deliver: (trigger: TriggerEntry, event: WireEvent, copies?: Copies) => Promise<void>;
}

/** What an event weighs in memory, near enough: its data and its attributes. */
export function sizeOf(event: WireEvent): number {
  let n = event.data.length;
  for (const [k, v] of Object.entries(event.attributes)) n += k.length + v.length;
  return n;
}

export class Router {
  private readonly queues = new Map<string, WorkQueue>();
  /** Refusals since the Broker last accepted an event, for one log line per episode. */
  private refusing = 0;

  constructor(private readonly o: RouterOptions) {}

  /** Ingress's answer for one event to `<namespace>/<name>`; `reply` when a subscriber sent it. */
  accept(namespace: string, name: string, event: WireEvent, reply: boolean): IngestResult {
    const { log, maxTtl } = this.o;
    const key = keyOf(namespace, name);
    if (this.o.closed()) return { status: 503, error: 'the broker is shutting down' };
    if (!this.o.resources.hasBroker(key)) return { status: 404, error: `broker "${name}" not found in namespace "${namespace}"` };
    const counters = this.o.counters.broker(key);
    const ttl = ingressTtl(event.attributes[TTL_EXTENSION], maxTtl);
    if (!ttl.accept) {
      counters.rejected++;
      log.warn({ broker: key, id: event.attributes.id, type: event.attributes.type }, 'event dropped: knativebrokerttl exhausted (event loop?)');
      return { status: 400, error: `${TTL_EXTENSION}: exhausted (the event went through ${maxTtl} hops); dropped to stop an event loop` };
    }
    const accepted: WireEvent = {
      attributes: { ...event.attributes, [TTL_EXTENSION]: String(ttl.ttl), [ARRIVAL_TIME_EXTENSION]: this.o.now().toISOString() },
      data: event.data,
    };
    // Every Trigger of the Broker is evaluated exactly once, now; each match gets its own delivery.
    const matches: TriggerEntry[] = [];
    const unreadable: Array<{ trigger: TriggerEntry; err: string }> = [];
    for (const trigger of this.o.resources.triggersOf(key)) {
      try {
        if (triggerMatches(trigger.filter, accepted.attributes)) matches.push(trigger);
      } catch (e) {
        if (!(e instanceof UnsupportedFilter)) throw e;
        unreadable.push({ trigger, err: e.message });
      }
    }
    const copies = this.o.modes.duplicate ? 2 : 1;
    const bytes = sizeOf(accepted);
    const full = this.full(matches, copies, bytes, reply);
    if (full) {
      counters.rejected++;
      if (this.refusing++ === 0) log.warn({ broker: key, reason: full }, 'broker full: refusing events (503) until deliveries drain');
      return { status: 503, error: `${full}; retry later` };
    }
    if (this.refusing > 0) {
      log.info({ broker: key, refused: this.refusing }, 'broker accepting events again');
      this.refusing = 0;
    }
    counters.received++;
    for (const { trigger, err } of unreadable) {
      log.error({ trigger: trigger.key, id: accepted.attributes.id, err }, 'trigger filter cannot be evaluated; event not delivered to it');
      this.o.counters.trigger(trigger.key).failed++;
    }
    // Each delivery carries its share of the event's bytes, so the event weighs once in all.
    const share = matches.length > 0 ? bytes / (matches.length * copies) : 0;
    for (const trigger of matches) {
      const queue = this.queueFor(trigger.key);
      const shared: Copies | undefined = copies > 1 ? { replied: false } : undefined;
      for (let c = 0; c < copies; c++) queue.push(() => this.run(trigger, accepted, shared), share);
      if (copies > 1) this.o.counters.trigger(trigger.key).duplicates += copies - 1;
    }
    return { status: 202 };
  }

  /** The queue of a Trigger that has had deliveries. */
  queue(triggerKey: string): WorkQueue | undefined {
    return this.queues.get(triggerKey);
  }

  /**
   * Removes the queue (and counters) of each Trigger no longer declared, once its deliveries have
   * ended: they finish with the spec they were queued with, and nothing new is queued for it.
   */
  retire(declared: ReadonlySet<string>): void {
    for (const [key, q] of this.queues) {
      if (declared.has(key)) continue;
      void q.idle().then(() => {
        if (this.o.resources.hasTrigger(key) || this.queues.get(key) !== q || q.pending + q.running > 0) return;
        this.queues.delete(key);
        this.o.counters.forget(key);
      });
    }
  }

  /** Resolves when no delivery is waiting or running. */
  async idle(): Promise<void> {
    for (;;) {
      const busy = [...this.queues.values()].filter((q) => q.pending + q.running > 0);
      if (busy.length === 0) return;
      await Promise.all(busy.map((q) => q.idle()));
    }
  }

  /** Drops the deliveries not started; returns how many are lost, those running included. */
  drop(): number {
    let dropped = 0;
    for (const q of this.queues.values()) dropped += q.clear() + q.running;
    return dropped;
  }

  /** Deliveries waiting, bytes held, queues kept: what the bounds are checked against. */
  load(): { waiting: number; bytes: number; queues: number } {
    let waiting = 0;
    let bytes = 0;
    for (const q of this.queues.values()) {
      waiting += q.pending;
      bytes += q.held;
    }
    return { waiting, bytes, queues: this.queues.size };
  }

  private async run(trigger: TriggerEntry, event: WireEvent, copies: Copies | undefined): Promise<void> {
    if (this.o.modes.reorder) await this.o.pause(Math.random() * REORDER_MAX_DELAY_MS);
    await this.o.deliver(trigger, event, copies);
  }

  /** Why the event cannot be queued now, or undefined when it can. */
  private full(matches: readonly TriggerEntry[], copies: number, bytes: number, reply: boolean): string | undefined {
    if (matches.length === 0) return undefined; // it queues nothing
    const { maxQueued, maxQueuedPerTrigger, maxQueuedBytes } = this.o.limits;
    const room = (limit: number) => (reply ? limit : limit - Math.floor(limit * REPLY_RESERVE));
    const load = this.load();
    if (load.waiting + matches.length * copies > room(maxQueued)) return `too many deliveries waiting (the broker holds ${maxQueued})`;
    for (const t of matches) {
      if ((this.queues.get(t.key)?.pending ?? 0) + copies > room(maxQueuedPerTrigger)) {
        return `too many deliveries waiting for trigger ${t.name} (it holds ${maxQueuedPerTrigger})`;
      }
    }
    // An empty Broker takes any one event the ingress body limit let in.
    if (load.bytes > 0 && load.bytes + bytes > room(maxQueuedBytes)) return `too many bytes waiting (the broker holds ${maxQueuedBytes})`;
    return undefined;
  }

  private queueFor(key: string): WorkQueue {
    let q = this.queues.get(key);
    if (!q) {
      q = new WorkQueue(this.o.concurrency, (e) => this.o.log.error({ trigger: key, err: (e as Error).message }, 'delivery crashed'),
        this.o.modes.reorder ? 'random' : 'fifo');
      this.queues.set(key, q);
    }
    return q;
  }
}
