/**
 * Routing: what the Broker answers for an event, and, once it accepts one, matching it against
 * each of its Triggers once and queueing a delivery for every match.
 *
 * Each Trigger has its own queue and concurrency cap, so a failing or slow subscriber only
 * delays its own Trigger. Ingress answers 503 when `maxQueued` deliveries are already waiting,
 * so a burst cannot exhaust memory; replies are always admitted (each comes from a delivery in
 * flight, and the TTL bounds loops).
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

export interface RouterOptions {
  resources: Resources;
  counters: Counters;
  log: Logger;
  maxTtl: number;
  /** Deliveries waiting across all Triggers before ingress answers 503. */
  maxQueued: number;
  /** Deliveries in flight per Trigger. */
  concurrency: number;
  now: () => Date;
  /** Whether the Broker is closing, when every event is refused. */
  closed: () => boolean;
  deliver: (trigger: TriggerEntry, event: WireEvent) => Promise<void>;
}

export class Router {
  private readonly queues = new Map<string, WorkQueue>();

  constructor(private readonly o: RouterOptions) {}

  /** Ingress's answer for one event to `<namespace>/<name>`; `reply` when a subscriber sent it. */
  accept(namespace: string, name: string, event: WireEvent, reply: boolean): IngestResult {
    const { log, maxTtl, maxQueued } = this.o;
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
    if (!reply && this.queued() >= maxQueued) {
      counters.rejected++;
      return { status: 503, error: `too many deliveries waiting (${maxQueued}); retry later` };
    }
    const accepted: WireEvent = {
      attributes: { ...event.attributes, [TTL_EXTENSION]: String(ttl.ttl), [ARRIVAL_TIME_EXTENSION]: this.o.now().toISOString() },
      data: event.data,
    };
    counters.received++;
    // Every Trigger of the Broker is evaluated exactly once, now; each match gets its own delivery.
    for (const trigger of this.o.resources.triggersOf(key)) {
      let match: boolean;
      try {
        match = triggerMatches(trigger.filter, accepted.attributes);
      } catch (e) {
        if (!(e instanceof UnsupportedFilter)) throw e;
        log.error({ trigger: trigger.key, id: accepted.attributes.id, err: e.message }, 'trigger filter cannot be evaluated; event not delivered to it');
        this.o.counters.trigger(trigger.key).failed++;
        continue;
      }
      if (match) this.queueFor(trigger.key).push(() => this.o.deliver(trigger, accepted));
    }
    return { status: 202 };
  }

  /** The queue of a Trigger that has had deliveries. */
  queue(triggerKey: string): WorkQueue | undefined {
    return this.queues.get(triggerKey);
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

  private queued(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.pending;
    return n;
  }

  private queueFor(key: string): WorkQueue {
    let q = this.queues.get(key);
    if (!q) {
      q = new WorkQueue(this.o.concurrency, (e) => this.o.log.error({ trigger: key, err: (e as Error).message }, 'delivery crashed'));
      this.queues.set(key, q);
    }
    return q;
  }
}
