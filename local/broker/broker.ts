/**
 * The local Broker: Knative's MT channel-based Broker on one machine. It wires the pure rules
 * (filter, ttl, retry, dead-letter) to the edges (ingress server, HTTP deliveries).
 *
 * Acknowledgement: ingress answers 202 once the event is evaluated against every Trigger and a
 * delivery is queued in memory for each match, like an InMemoryChannel with
 * `messaging.knative.dev/async-handler: "true"`. Knative's default waits for every delivery
 * (retries and dead-lettering included) before answering; answering early keeps one slow
 * subscriber from holding up the sender, and delivery outcomes are the same either way. The queue
 * is memory only: events queued when the process stops are lost (Knative's InMemoryChannel too).
 *
 * Each Trigger has its own queue and concurrency cap, so a failing or slow subscriber only
 * delays its own Trigger. Ingress answers 503 when `maxQueued` deliveries are already waiting,
 * so a burst cannot exhaust memory; replies are always admitted (each comes from a delivery in
 * flight, and the TTL bounds loops).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudEvent } from 'cloudevents';
import { binaryOf } from '../../lib/cloudevents/receive.js';
import { BadRequest } from '../../lib/cloudevents/errors.js';
import type { Logger } from '../../lib/log.js';
import type { Destination, Resolve, RuntimeEvent, Target } from '../types.js';
import { deadLetterAttributes, TRANSPORT_ERROR_CODE, type DeliveryFailure } from './dead-letter.js';
import { post, destinationUrl, TransportError, type HttpAnswer } from './deliver.js';
import { binaryMessage, decodeMessage, structuredMessage, type WireEvent, type HttpMessage } from '../../lib/cloudevents/message.js';
import { readReply } from './reply.js';
import { triggerMatches, UnsupportedFilter, type TriggerFilterSpec } from './filter.js';
import { ingressHandler, DEFAULT_MAX_BODY_BYTES, type IngestResult } from './ingress.js';
import { WorkQueue } from './queue.js';
import { attempts, attemptTimeoutMs, backoffMs, effectiveDelivery, isRetriable, isSuccess, type DeliverySpec } from './retry.js';
import { DEFAULT_MAX_TTL, ingressTtl, TTL_EXTENSION, withoutTtl, withTtl } from './ttl.js';
import type { KubeObject } from '../../lib/kube/object.js';

export type { IngestResult } from './ingress.js';

/** Extension set by ingress to the time the event arrived (EVT pkg/broker/metrics.go). */
export const ARRIVAL_TIME_EXTENSION = 'knativearrivaltime';

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

/** Counters for one Trigger, for `pingpong status`. */
export interface TriggerStats {
  namespace: string;
  name: string;
  broker: string;
  /** Deliveries the subscriber accepted (2xx, and its reply if any was accepted by the Broker). */
  delivered: number;
  /** Deliveries that failed after their last attempt. */
  failed: number;
  /** Failed deliveries the dead-letter sink accepted. */
  deadLettered: number;
  /** Failed deliveries lost: no dead-letter sink, or it failed too. */
  dropped: number;
  /** Replies re-ingested into the Broker. */
  replies: number;
  /** Deliveries waiting for a slot, and running (including backoff waits). */
  pending: number;
  inFlight: number;
}

/** Counters for one Broker. */
export interface BrokerStats {
  namespace: string;
  name: string;
  /** Ingress address once listening. */
  url?: string;
  /** Events accepted (202), replies included. */
  received: number;
  /** Events refused (TTL exhausted, queue full). */
  rejected: number;
}

export interface BrokerStatsSnapshot {
  brokers: BrokerStats[];
  triggers: TriggerStats[];
}

interface TriggerEntry {
  key: string;
  namespace: string;
  name: string;
  broker: string;
  uid?: string;
  filter: TriggerFilterSpec;
  subscriber: Destination;
  delivery: DeliverySpec;
}

interface BrokerEntry {
  key: string;
  namespace: string;
  name: string;
}

type Attempt =
  | { ok: true; status: number; reply?: WireEvent }
  | { ok: false; failure: DeliveryFailure; retriable: boolean; reason: string };

type Counters = Omit<TriggerStats, 'namespace' | 'name' | 'broker' | 'pending' | 'inFlight'>;

const nsOf = (o: KubeObject) => o.metadata.namespace ?? 'default';
const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;

/** Knative's Broker for one machine. See the module comment for what is and is not faithful. */
export class LocalBroker {
  private readonly resolve: Resolve;
  private readonly log: Logger;
  private readonly record?: (e: RuntimeEvent) => void;
  private readonly maxTtl: number;
  private readonly concurrency: number;
  private readonly maxQueued: number;
  private readonly defaultTimeoutMs: number;
  private readonly maxBodyBytes: number;
  private readonly now: () => Date;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

  private brokers = new Map<string, BrokerEntry>();
  private triggersByBroker = new Map<string, TriggerEntry[]>();
  private readonly queues = new Map<string, WorkQueue>();
  private readonly triggerCounters = new Map<string, Counters>();
  private readonly brokerCounters = new Map<string, { received: number; rejected: number }>();
  private readonly sleepers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  private server?: http.Server;
  private baseUrl?: string;
  private closed = false;

  constructor(options: LocalBrokerOptions) {
    this.resolve = options.resolve;
    this.log = options.log;
    this.record = options.record;
    this.maxTtl = options.maxTtl ?? DEFAULT_MAX_TTL;
    this.concurrency = options.concurrencyPerTrigger ?? 32;
    this.maxQueued = options.maxQueued ?? 10_000;
    this.defaultTimeoutMs = options.defaultAttemptTimeoutMs ?? 15 * 60_000;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Replaces the Brokers and Triggers (call again whenever the manifests change). Triggers whose
   * Broker does not exist are kept and start receiving once it does, as Knative's do. Deliveries
   * already queued finish with the spec they were queued with.
   */
  setResources(brokers: readonly KubeObject[], triggers: readonly KubeObject[]): void {
    const nextBrokers = new Map<string, BrokerEntry>();
    const brokerDelivery = new Map<string, unknown>();
    for (const b of brokers) {
      const key = keyOf(nsOf(b), b.metadata.name);
      nextBrokers.set(key, { key, namespace: nsOf(b), name: b.metadata.name });
      brokerDelivery.set(key, b.spec?.delivery);
    }
    const next = new Map<string, TriggerEntry[]>();
    for (const t of triggers) {
      const namespace = nsOf(t);
      const broker: unknown = t.spec?.broker ?? t.spec?.brokerRef?.name;
      if (typeof broker !== 'string' || broker === '') {
        this.log.warn({ trigger: keyOf(namespace, t.metadata.name) }, 'trigger has no spec.broker; ignored');
        continue;
      }
      const brokerKey = keyOf(namespace, broker);
      const entry: TriggerEntry = {
        key: keyOf(namespace, t.metadata.name),
        namespace,
        name: t.metadata.name,
        broker,
        uid: typeof t.metadata.uid === 'string' ? t.metadata.uid : undefined,
        filter: { filter: t.spec?.filter, filters: t.spec?.filters },
        subscriber: t.spec?.subscriber ?? {},
        delivery: effectiveDelivery(t.spec?.delivery, brokerDelivery.get(brokerKey)),
      };
      const list = next.get(brokerKey) ?? [];
      list.push(entry);
      next.set(brokerKey, list);
    }
    this.brokers = nextBrokers;
    this.triggersByBroker = next;
  }

  /** Starts the ingress server; resolves with the port it listens on (pass 0 for any). */
  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    if (this.server) throw new Error('the broker ingress is already listening');
    const server = http.createServer(ingressHandler((ns, name, ev) => this.accept(ns, name, ev, false), this.maxBodyBytes));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const actual = (server.address() as AddressInfo).port;
    this.baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${actual}`;
    this.log.debug({ url: this.baseUrl }, 'broker ingress listening');
    return actual;
  }

  /** The ingress URL of a Broker (`http://host:port/<ns>/<name>`), once listening. */
  url(namespace: string, name: string): string | undefined {
    return this.baseUrl ? `${this.baseUrl}/${namespace}/${name}` : undefined;
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
    return this.accept(namespace, broker, ev, false);
  }

  /** Counters per Broker and per Trigger. */
  stats(): BrokerStatsSnapshot {
    const brokers = [...this.brokers.values()].map((b) => ({
      namespace: b.namespace,
      name: b.name,
      ...(this.url(b.namespace, b.name) ? { url: this.url(b.namespace, b.name) } : {}),
      ...(this.brokerCounters.get(b.key) ?? { received: 0, rejected: 0 }),
    }));
    const triggers: TriggerStats[] = [];
    for (const list of this.triggersByBroker.values()) {
      for (const t of list) {
        const q = this.queues.get(t.key);
        triggers.push({ namespace: t.namespace, name: t.name, broker: t.broker, ...this.counters(t.key), pending: q?.pending ?? 0, inFlight: q?.running ?? 0 });
      }
    }
    return { brokers, triggers };
  }

  /** Resolves when no delivery is waiting or running. */
  async idle(): Promise<void> {
    for (;;) {
      const busy = [...this.queues.values()].filter((q) => q.pending + q.running > 0);
      if (busy.length === 0) return;
      await Promise.all(busy.map((q) => q.idle()));
    }
  }

  /**
   * Stops the ingress, drops deliveries not started, cuts backoff waits and open connections
   * short, and resolves once every delivery has stopped.
   */
  async close(): Promise<void> {
    this.closed = true;
    let dropped = 0;
    for (const q of this.queues.values()) dropped += q.clear() + q.running;
    // Expected when stopping (an in-memory Broker keeps nothing): one line, not one per event.
    if (dropped > 0) this.log.info({ dropped }, 'broker closing: queued and in-flight deliveries dropped');
    for (const s of this.sleepers) {
      clearTimeout(s.timer);
      s.wake();
    }
    this.sleepers.clear();
    const server = this.server;
    this.server = undefined;
    if (server) {
      const done = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await done;
    }
    this.agent.destroy();
    await this.idle();
  }

  // ── ingress ──────────────────────────────────────────────────────────────────────────────────

  private accept(namespace: string, name: string, event: WireEvent, reply: boolean): IngestResult {
    const key = keyOf(namespace, name);
    if (this.closed) return { status: 503, error: 'the broker is shutting down' };
    if (!this.brokers.has(key)) return { status: 404, error: `broker "${name}" not found in namespace "${namespace}"` };
    const counters = this.brokerCounters.get(key) ?? { received: 0, rejected: 0 };
    this.brokerCounters.set(key, counters);
    const ttl = ingressTtl(event.attributes[TTL_EXTENSION], this.maxTtl);
    if (!ttl.accept) {
      counters.rejected++;
      this.log.warn({ broker: key, id: event.attributes.id, type: event.attributes.type }, 'event dropped: knativebrokerttl exhausted (event loop?)');
      return { status: 400, error: `${TTL_EXTENSION}: exhausted (the event went through ${this.maxTtl} hops); dropped to stop an event loop` };
    }
    if (!reply && this.queued() >= this.maxQueued) {
      counters.rejected++;
      return { status: 503, error: `too many deliveries waiting (${this.maxQueued}); retry later` };
    }
    const accepted: WireEvent = {
      attributes: { ...event.attributes, [TTL_EXTENSION]: String(ttl.ttl), [ARRIVAL_TIME_EXTENSION]: this.now().toISOString() },
      data: event.data,
    };
    counters.received++;
    // Every Trigger of the Broker is evaluated exactly once, now; each match gets its own delivery.
    for (const trigger of this.triggersByBroker.get(key) ?? []) {
      let match: boolean;
      try {
        match = triggerMatches(trigger.filter, accepted.attributes);
      } catch (e) {
        if (!(e instanceof UnsupportedFilter)) throw e;
        this.log.error({ trigger: trigger.key, id: accepted.attributes.id, err: e.message }, 'trigger filter cannot be evaluated; event not delivered to it');
        this.counters(trigger.key).failed++;
        continue;
      }
      if (match) this.queueFor(trigger.key).push(() => this.deliver(trigger, accepted));
    }
    return { status: 202 };
  }

  private queued(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.pending;
    return n;
  }

  private queueFor(key: string): WorkQueue {
    let q = this.queues.get(key);
    if (!q) {
      q = new WorkQueue(this.concurrency, (e) => this.log.error({ trigger: key, err: (e as Error).message }, 'delivery crashed'));
      this.queues.set(key, q);
    }
    return q;
  }

  private counters(key: string): Counters {
    let c = this.triggerCounters.get(key);
    if (!c) {
      c = { delivered: 0, failed: 0, deadLettered: 0, dropped: 0, replies: 0 };
      this.triggerCounters.set(key, c);
    }
    return c;
  }

  // ── delivery ─────────────────────────────────────────────────────────────────────────────────

  /** One event to one Trigger's subscriber: attempts, backoff, reply, dead letter. */
  private async deliver(trigger: TriggerEntry, event: WireEvent): Promise<void> {
    const spec = trigger.delivery;
    const total = attempts(spec);
    const timeoutMs = attemptTimeoutMs(spec) ?? this.defaultTimeoutMs;
    // The subscriber sees the event without the TTL (broker-filter removes it).
    const forSubscriber: WireEvent = { attributes: withoutTtl(event.attributes), data: event.data };
    const message = spec.format === 'json' ? structuredMessage(forSubscriber) : binaryMessage(forSubscriber);
    const what = { trigger: trigger.key, id: event.attributes.id, type: event.attributes.type };
    let last: Extract<Attempt, { ok: false }> | undefined;
    for (let attempt = 1; attempt <= total && !this.closed; attempt++) {
      if (attempt > 1) await this.sleep(backoffMs(spec, attempt - 1));
      if (this.closed) break;
      const result = await this.attemptSubscriber(trigger, message, timeoutMs);
      if (result.ok) {
        const c = this.counters(trigger.key);
        if (!result.reply) {
          c.delivered++;
          this.log.debug({ ...what, status: result.status, attempt }, 'delivered');
          return;
        }
        // The reply goes back into the same Broker with its cause's TTL, which ingress decrements.
        const reply: WireEvent = { attributes: withTtl(result.reply.attributes, event.attributes[TTL_EXTENSION]), data: result.reply.data };
        const answer = this.accept(trigger.namespace, trigger.broker, reply, true);
        if (answer.status === 202) {
          c.delivered++;
          c.replies++;
          this.log.debug({ ...what, status: result.status, attempt, reply: { id: reply.attributes.id, type: reply.attributes.type } }, 'delivered; reply published');
          return;
        }
        // Knative posts the reply to the Broker; an answer other than 202 fails the delivery there.
        last = {
          ok: false,
          retriable: false,
          reason: `reply refused by the broker: ${answer.error}`,
          failure: {
            destination: this.url(trigger.namespace, trigger.broker) ?? `http://broker-ingress.knative-eventing.svc.cluster.local/${trigger.namespace}/${trigger.broker}`,
            status: answer.status,
            body: Buffer.from(JSON.stringify({ error: answer.error })),
          },
        };
        this.log.debug({ ...what, status: answer.status, attempt, reason: last.reason }, 'delivery failed');
        break;
      }
      last = result;
      const final = !result.retriable || attempt === total;
      // The final failure's one line is the dead letter's (or the drop's), with this reason.
      this.log.debug({ ...what, status: result.failure.status ?? 'no response', attempt, of: total, reason: result.reason },
        final ? 'delivery failed' : 'delivery attempt failed; will retry');
      if (!result.retriable) break;
    }
    if (!last) return; // closed before the first attempt
    this.counters(trigger.key).failed++;
    // Cut short by close(), which counted it among the dropped: no dead letter, no line of its own.
    if (this.closed) return;
    await this.deadLetter(trigger, event, last.failure, last.reason);
  }

  private async attemptSubscriber(trigger: TriggerEntry, message: HttpMessage, timeoutMs: number): Promise<Attempt> {
    const target = this.resolve(trigger.subscriber, trigger.namespace);
    if (!target) {
      // Knative's broker-filter answers 404 when the Trigger has no subscriberUri yet; retried.
      return {
        ok: false,
        retriable: true,
        reason: 'subscriber cannot be resolved',
        failure: { destination: `http://broker-filter.knative-eventing.svc.cluster.local/triggers/${trigger.namespace}/${trigger.name}/${trigger.uid ?? ''}`, status: 404 },
      };
    }
    const destination = destinationUrl(target);
    let res: HttpAnswer;
    try {
      res = await this.post(target, message, { prefer: 'reply', 'kn-namespace': trigger.namespace }, timeoutMs);
    } catch (e) {
      if (!(e instanceof TransportError)) throw e;
      return { ok: false, retriable: true, reason: e.message, failure: { destination } };
    }
    if (!isSuccess(res.status)) {
      return { ok: false, retriable: isRetriable(res.status), reason: `answered ${res.status}`, failure: { destination, status: res.status, body: res.body } };
    }
    const reply = readReply(res.headers, res.body);
    if (reply.kind === 'invalid') {
      // broker-filter turns a 2xx with a body that is not a CloudEvent into 502, which is retried.
      return { ok: false, retriable: true, reason: reply.reason, failure: { destination, status: 502, body: res.body } };
    }
    return reply.kind === 'reply' ? { ok: true, status: res.status, reply: reply.event } : { ok: true, status: res.status };
  }

  /** The original event plus the knativeerror* extensions, to the dead-letter sink, retried likewise. */
  private async deadLetter(trigger: TriggerEntry, event: WireEvent, failure: DeliveryFailure, reason: string): Promise<void> {
    const spec = trigger.delivery;
    const what = { trigger: trigger.key, id: event.attributes.id, type: event.attributes.type, reason };
    const c = this.counters(trigger.key);
    const tell = (type: RuntimeEvent['type'], reason: string, text: string) =>
      this.record?.({ kind: 'Trigger', namespace: trigger.namespace, name: trigger.name, type, reason, message: text });
    const failed = `delivery of ${event.attributes.type} ${event.attributes.id} failed (${failure.status ?? 'no response'}: ${reason})`;
    if (!spec.deadLetterSink) {
      tell('Warning', 'DeliveryFailed', `${failed}; no dead-letter sink, the event is dropped`);
      c.dropped++;
      this.log.warn({ ...what, status: failure.status ?? 'no response' }, 'event dropped: delivery failed and the trigger has no dead-letter sink');
      return;
    }
    const message = binaryMessage({ attributes: deadLetterAttributes(event.attributes, failure), data: event.data });
    const total = attempts(spec);
    const timeoutMs = attemptTimeoutMs(spec) ?? this.defaultTimeoutMs;
    let status: number | string = 'unresolved';
    for (let attempt = 1; attempt <= total && !this.closed; attempt++) {
      if (attempt > 1) await this.sleep(backoffMs(spec, attempt - 1));
      if (this.closed) break;
      const target = this.resolve(spec.deadLetterSink, trigger.namespace);
      let retriable = true;
      if (target) {
        try {
          const res = await this.post(target, message, { 'kn-namespace': trigger.namespace }, timeoutMs);
          status = res.status;
          if (isSuccess(res.status)) {
            c.deadLettered++;
            // One line per dead letter, at info: the delivery failed for good, and the sink has it.
            this.log.info({ ...what, code: failure.status ?? TRANSPORT_ERROR_CODE, sink: destinationUrl(target), status, attempt }, 'dead-lettered');
            tell('Warning', 'DeadLettered', `${failed}; sent to the dead-letter sink`);
            return;
          }
          retriable = isRetriable(res.status);
        } catch (e) {
          if (!(e instanceof TransportError)) throw e;
          status = 'no response';
        }
      }
      if (!retriable) break;
    }
    c.dropped++;
    if (this.closed) return; // counted by close()
    this.log.error({ ...what, status }, 'event dropped: the dead-letter sink failed too');
    tell('Warning', 'DeliveryFailed', `${failed}; the dead-letter sink failed too (${status}), the event is dropped`);
  }

  private post(target: Target, message: HttpMessage, headers: Record<string, string>, timeoutMs: number): Promise<HttpAnswer> {
    return post(target, message, { headers, timeoutMs, agent: this.agent });
  }

  /** A backoff wait that close() cuts short. */
  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.sleepers.delete(entry);
          resolve();
        }, ms),
        wake: resolve,
      };
      this.sleepers.add(entry);
    });
  }
}
