/**
 * The local Broker: Knative's MT channel-based Broker on one machine. This facade wires the parts
 * (resources, routing, dispatch, the retry loop, ingress, stats) and is all the runtime sees.
 *
 * Acknowledgement: ingress answers 202 once the event is evaluated against every Trigger and a
 * delivery is queued in memory for each match, like an InMemoryChannel with
 * `messaging.knative.dev/async-handler: "true"`. Knative's default waits for every delivery
 * (retries and dead-lettering included) before answering; answering early keeps one slow
 * subscriber from holding up the sender, and delivery outcomes are the same either way. The queue
 * is memory only: events queued when the process stops are lost (Knative's InMemoryChannel too),
 * and bounded: past its limits ingress answers 503 (README.md, "Bounds").
 */
import { CloudEvent } from 'cloudevents';
import { binaryOf } from '../../lib/cloudevents/receive.js';
import { BadRequest } from '../../lib/cloudevents/errors.js';
import { decodeMessage, type WireEvent } from '../../lib/cloudevents/message.js';
import type { KubeObject } from '../../lib/kube/object.js';
import type { Logger } from '../../lib/log.js';
import type { Resolve, RuntimeEvent } from '../types.js';
import { Dispatcher } from './dispatch.js';
import { IngressServer, DEFAULT_MAX_BODY_BYTES, type IngestResult } from './ingress.js';
import { Resources } from './resources.js';
import { RetryLoop } from './retrying.js';
import { Router, type QueueLimits } from './routing.js';
import { Counters, type BrokerStatsSnapshot } from './stats.js';
import { DEFAULT_MAX_TTL } from './ttl.js';

export interface LocalBrokerOptions {
  /** Told of failed deliveries, which the runtime records as Events on their Trigger. */
  record?: (e: RuntimeEvent) => void;
  /** Resolves Trigger subscribers and dead-letter sinks. */
  resolve: Resolve;
  log: Logger;
  /** The TTL a new event gets (Knative's MAX_TTL, 255). */
  maxTtl?: number;
  /** Deliveries in flight per Trigger (default 32). */
  concurrencyPerTrigger?: number;
  /** Deliveries waiting across all Triggers before ingress answers 503 (default 10 000). */
  maxQueued?: number;
  /** Deliveries waiting for one Trigger before an event it matches is refused with 503 (default 2 000). */
  maxQueuedPerTrigger?: number;
  /**
   * Bytes of events held by deliveries waiting or running before ingress answers 503 (default
   * 64 MiB; an empty Broker still takes one event up to the body limit).
   */
  maxQueuedBytes?: number;
  /**
   * Duplicate mode: every delivery is made twice, as at-least-once delivery allows (a retry whose
   * first answer was lost); the first reply the Broker takes is published. For testing subscribers.
   */
  duplicate?: boolean;
  /**
   * Reorder mode: each delivery is held a random 0–200 ms and waiting ones start in random order,
   * so events reach subscribers out of order. For testing subscribers.
   */
  reorder?: boolean;
  /**
   * Per-attempt timeout when the delivery spec sets none (default 15 min, Knative's fan-out
   * timeout), so a subscriber that never answers cannot hold a slot forever.
   */
  defaultAttemptTimeoutMs?: number;
  /** Ingress body limit, 413 beyond (default 16 MiB). */
  maxBodyBytes?: number;
  /** The clock, for `knativearrivaltime`. */
  now?: () => Date;
}

/** The bounds a Broker gets unless told otherwise (README.md, "Bounds"). */
export const DEFAULT_LIMITS: Readonly<QueueLimits> = Object.freeze({
  maxQueued: 10_000,
  maxQueuedPerTrigger: 2_000,
  maxQueuedBytes: 64 * 1024 * 1024,
});

/** Knative's Broker for one machine. See the module comment for what is and is not faithful. */
export class LocalBroker {
  private readonly log: Logger;
  private readonly resources: Resources;
  private readonly counters = new Counters();
  private readonly retries: RetryLoop;
  private readonly router: Router;
  private readonly dispatcher: Dispatcher;
  private readonly ingress: IngressServer;

  private readonly limits: QueueLimits;

  constructor(options: LocalBrokerOptions) {
    const { log } = options;
    this.log = log;
    this.limits = {
      maxQueued: options.maxQueued ?? DEFAULT_LIMITS.maxQueued,
      maxQueuedPerTrigger: options.maxQueuedPerTrigger ?? DEFAULT_LIMITS.maxQueuedPerTrigger,
      maxQueuedBytes: options.maxQueuedBytes ?? DEFAULT_LIMITS.maxQueuedBytes,
    };
    for (const [name, v] of Object.entries(this.limits)) {
      if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a whole number ≥ 1, got ${v}`);
    }
    this.resources = new Resources(log);
    this.retries = new RetryLoop(options.defaultAttemptTimeoutMs ?? 15 * 60_000);
    this.router = new Router({
      resources: this.resources,
      counters: this.counters,
      log,
      maxTtl: options.maxTtl ?? DEFAULT_MAX_TTL,
      limits: this.limits,
      modes: { duplicate: options.duplicate ?? false, reorder: options.reorder ?? false },
      pause: (ms) => this.retries.sleep(ms),
      concurrency: options.concurrencyPerTrigger ?? 32,
      now: options.now ?? (() => new Date()),
      closed: () => this.retries.closed,
      deliver: (trigger, event, copies) => this.dispatcher.deliver(trigger, event, copies),
    });
    this.dispatcher = new Dispatcher({
      resolve: options.resolve,
      log,
      record: options.record,
      retries: this.retries,
      counters: this.counters,
      publishReply: (namespace, broker, event) => this.router.accept(namespace, broker, event, true),
      brokerUrl: (namespace, broker) => this.url(namespace, broker),
    });
    if (options.duplicate || options.reorder) {
      // Said once, loudly: a Broker that misbehaves on purpose must not be mistaken for a bug.
      log.warn({ duplicate: options.duplicate ?? false, reorder: options.reorder ?? false },
        'broker fault injection on: deliveries are duplicated and/or reordered on purpose');
    }
    this.ingress = new IngressServer((ns, name, ev) => this.router.accept(ns, name, ev, false), options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, log);
  }

  /**
   * Replaces the Brokers and Triggers (call again whenever the manifests change). Triggers whose
   * Broker does not exist are kept and start receiving once it does, as Knative's do. Deliveries
   * already queued finish with the spec they were queued with; a removed Trigger's queue and
   * counters go once they have.
   */
  setResources(brokers: readonly KubeObject[], triggers: readonly KubeObject[]): void {
    this.resources.set(brokers, triggers);
    this.router.retire(new Set(this.resources.triggerList().map((t) => t.key)));
    this.counters.keepBrokers(new Set(this.resources.brokerList().map((b) => b.key)));
  }

  /** Starts the ingress server; resolves with the port it listens on (pass 0 for any). */
  listen(port: number, host?: string): Promise<number> {
    return this.ingress.listen(port, host);
  }

  /** The ingress URL of a Broker (`http://host:port/<ns>/<name>`), once listening. */
  url(namespace: string, name: string): string | undefined {
    return this.ingress.url(namespace, name);
  }

  /**
   * Publishes an event in-process, with ingress's rules and answers (validation, TTL, 404 for an
   * unknown Broker). A CloudEvent from the SDK is encoded in binary mode first, as if posted.
   */
  ingest(namespace: string, broker: string, event: CloudEvent<unknown> | WireEvent): IngestResult {
    let ev: WireEvent;
    if (event instanceof CloudEvent) {
      try {
        const msg = binaryOf(event);
        ev = decodeMessage(msg.headers, msg.body);
      } catch (e) {
        if (e instanceof BadRequest) return { status: 400, error: e.message, errors: e.errors };
        return { status: 400, error: (e as Error).message };
      }
    } else {
      ev = event;
    }
    return this.router.accept(namespace, broker, ev, false);
  }

  /** Counters per Broker and per Trigger, and what the Broker holds against its bounds. */
  stats(): BrokerStatsSnapshot {
    const snapshot = this.counters.snapshot(this.resources, (key) => this.router.queue(key), (ns, name) => this.url(ns, name));
    const load = this.router.load();
    return { ...snapshot, load: { ...load, maxQueued: this.limits.maxQueued, maxQueuedBytes: this.limits.maxQueuedBytes } };
  }

  /** Resolves when no delivery is waiting or running. */
  idle(): Promise<void> {
    return this.router.idle();
  }

  /**
   * Stops the ingress, drops deliveries not started, cuts backoff waits and open connections
   * short, and resolves once every delivery has stopped.
   */
  async close(): Promise<void> {
    this.retries.close();
    const dropped = this.router.drop();
    // Expected when stopping (an in-memory Broker keeps nothing): one line, not one per event.
    if (dropped > 0) this.log.info({ dropped }, 'broker closing: queued and in-flight deliveries dropped');
    await this.ingress.close();
    this.dispatcher.close();
    await this.idle();
  }
}
