/**
 * One event to one Trigger, as broker-filter does it: the subscriber's attempts, its reply back
 * into the Broker, and, when the delivery fails for good, the dead-letter sink. Both kinds of
 * attempt go through the one retry loop (retrying.ts) with the Trigger's delivery spec.
 */
import http from 'node:http';
import { binaryMessage, structuredMessage, type HttpMessage, type WireEvent } from '../../lib/cloudevents/message.js';
import type { Logger } from '../../lib/log.js';
import type { Resolve, RuntimeEvent, Target } from '../types.js';
import { deadLetterAttributes, TRANSPORT_ERROR_CODE, type DeliveryFailure } from './dead-letter.js';
import { post, destinationUrl, TransportError, type HttpAnswer } from './deliver.js';
import type { IngestResult } from './ingress.js';
import { readReply } from './reply.js';
import type { TriggerEntry } from './resources.js';
import { isRetriable, isSuccess } from './retry.js';
import type { RetryLoop, Try } from './retrying.js';
import type { Copies } from './routing.js';
import type { Counters } from './stats.js';
import { TTL_EXTENSION, withoutTtl, withTtl } from './ttl.js';

/** How a delivery failed, with the reason in words for the log and the Trigger's Events. */
type Failure = DeliveryFailure & { reason: string };

/** The subscriber's 2xx, and the event it replied with if any. */
interface Answered {
  status: number;
  reply?: WireEvent;
}

export interface DispatcherOptions {
  /** Resolves Trigger subscribers and dead-letter sinks. */
  resolve: Resolve;
  log: Logger;
  record?: (e: RuntimeEvent) => void;
  retries: RetryLoop;
  counters: Counters;
  /** Publishes a reply into a Broker, with ingress's answers (a full Broker answers 503). */
  publishReply: (namespace: string, broker: string, event: WireEvent) => IngestResult;
  /** A Broker's ingress URL once listening, the destination named when it refuses a reply. */
  brokerUrl: (namespace: string, broker: string) => string | undefined;
}

export class Dispatcher {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

  constructor(private readonly o: DispatcherOptions) {}

  /** Ends the open connections, so attempts in flight when the Broker closes end too. */
  close(): void {
    this.agent.destroy();
  }

  /**
   * One event to one Trigger's subscriber: attempts, backoff, reply, dead letter. `copies` is
   * shared by the two deliveries of one event in duplicate mode: the subscriber gets both, and
   * the first reply the Broker takes is the one published, so a reply chain does not double at
   * every hop (as when a delivery is retried after its answer was lost).
   */
  async deliver(trigger: TriggerEntry, event: WireEvent, copies?: Copies): Promise<void> {
    const { log, retries } = this.o;
    const spec = trigger.delivery;
    // The subscriber sees the event without the TTL (broker-filter removes it).
    const forSubscriber: WireEvent = { attributes: withoutTtl(event.attributes), data: event.data };
    const message = spec.format === 'json' ? structuredMessage(forSubscriber) : binaryMessage(forSubscriber);
    const what = { trigger: trigger.key, id: event.attributes.id, type: event.attributes.type };
    const tried = await retries.run(spec, (timeoutMs) => this.attemptSubscriber(trigger, message, timeoutMs), (f, { attempt, of, final }) =>
      // The final failure's one line is the dead letter's (or the drop's), with this reason.
      log.debug({ ...what, status: f.status ?? 'no response', attempt, of, reason: f.reason },
        final ? 'delivery failed' : 'delivery attempt failed; will retry'));
    let failure: Failure;
    if (tried.ok) {
      const { value: { status, reply }, attempt } = tried;
      const c = this.o.counters.trigger(trigger.key);
      if (!reply) {
        c.delivered++;
        log.debug({ ...what, status, attempt }, 'delivered');
        return;
      }
      // The reply goes back into the same Broker with its cause's TTL, which ingress decrements.
      const out: WireEvent = { attributes: withTtl(reply.attributes, event.attributes[TTL_EXTENSION]), data: reply.data };
      const published = await this.publish(trigger, out, copies);
      if (published.ok) {
        c.delivered++;
        if (published.value) c.replies++;
        log.debug({ ...what, status, attempt, reply: { id: out.attributes.id, type: out.attributes.type },
          ...(published.value ? {} : { duplicate: true }) }, published.value ? 'delivered; reply published' : 'delivered; the reply of the other copy was published');
        return;
      }
      if (!published.last) return; // closed before the first attempt
      failure = published.last;
      log.debug({ ...what, status: failure.status, attempt, reason: failure.reason }, 'delivery failed');
    } else {
      if (!tried.last) return; // closed before the first attempt
      failure = tried.last;
    }
    this.o.counters.trigger(trigger.key).failed++;
    // Cut short by close(), which counted it among the dropped: no dead letter, no line of its own.
    if (retries.closed) return;
    await this.deadLetter(trigger, event, failure);
  }

  /**
   * Posts a reply into the Broker, retried by the Trigger's delivery spec as Knative's dispatcher
   * retries the reply it forwards: a full Broker answers 503, so the reply waits out the backoff
   * (holding this delivery's slot, which slows the Trigger as the Broker asks) instead of being
   * lost; an exhausted TTL (400) fails at once. Resolves false when the other copy's reply won.
   */
  private publish(trigger: TriggerEntry, out: WireEvent, copies: Copies | undefined) {
    return this.o.retries.run(trigger.delivery, async (): Promise<Try<boolean, Failure>> => {
      if (copies?.replied) return { ok: true, value: false };
      const answer = this.o.publishReply(trigger.namespace, trigger.broker, out);
      if (answer.status === 202) {
        if (copies) copies.replied = true;
        return { ok: true, value: true };
      }
      return {
        ok: false,
        retriable: isRetriable(answer.status),
        failure: {
          reason: `reply refused by the broker: ${answer.error}`,
          destination: this.o.brokerUrl(trigger.namespace, trigger.broker) ?? `http://broker-ingress.knative-eventing.svc.cluster.local/${trigger.namespace}/${trigger.broker}`,
          status: answer.status,
          body: Buffer.from(JSON.stringify({ error: answer.error })),
        },
      };
    });
  }

  private async attemptSubscriber(trigger: TriggerEntry, message: HttpMessage, timeoutMs: number): Promise<Try<Answered, Failure>> {
    const target = this.o.resolve(trigger.subscriber, trigger.namespace);
    if (!target) {
      // Knative's broker-filter answers 404 when the Trigger has no subscriberUri yet; retried.
      return {
        ok: false,
        retriable: true,
        failure: {
          reason: 'subscriber cannot be resolved',
          destination: `http://broker-filter.knative-eventing.svc.cluster.local/triggers/${trigger.namespace}/${trigger.name}/${trigger.uid ?? ''}`,
          status: 404,
        },
      };
    }
    const destination = destinationUrl(target);
    let res: HttpAnswer;
    try {
      res = await this.post(target, message, { prefer: 'reply', 'kn-namespace': trigger.namespace }, timeoutMs);
    } catch (e) {
      if (!(e instanceof TransportError)) throw e;
      return { ok: false, retriable: true, failure: { reason: e.message, destination } };
    }
    if (!isSuccess(res.status)) {
      return { ok: false, retriable: isRetriable(res.status), failure: { reason: `answered ${res.status}`, destination, status: res.status, body: res.body } };
    }
    const reply = readReply(res.headers, res.body);
    if (reply.kind === 'invalid') {
      // broker-filter turns a 2xx with a body that is not a CloudEvent into 502, which is retried.
      return { ok: false, retriable: true, failure: { reason: reply.reason, destination, status: 502, body: res.body } };
    }
    return { ok: true, value: reply.kind === 'reply' ? { status: res.status, reply: reply.event } : { status: res.status } };
  }

  /** The original event plus the knativeerror* extensions, to the dead-letter sink, retried likewise. */
  private async deadLetter(trigger: TriggerEntry, event: WireEvent, failure: Failure): Promise<void> {
    const { log, retries } = this.o;
    const spec = trigger.delivery;
    const what = { trigger: trigger.key, id: event.attributes.id, type: event.attributes.type, reason: failure.reason };
    const c = this.o.counters.trigger(trigger.key);
    const tell = (type: RuntimeEvent['type'], reason: string, text: string) =>
      this.o.record?.({ kind: 'Trigger', namespace: trigger.namespace, name: trigger.name, type, reason, message: text });
    const failed = `delivery of ${event.attributes.type} ${event.attributes.id} failed (${failure.status ?? 'no response'}: ${failure.reason})`;
    const sink = spec.deadLetterSink;
    if (!sink) {
      tell('Warning', 'DeliveryFailed', `${failed}; no dead-letter sink, the event is dropped`);
      c.dropped++;
      log.warn({ ...what, status: failure.status ?? 'no response' }, 'event dropped: delivery failed and the trigger has no dead-letter sink');
      return;
    }
    const message = binaryMessage({ attributes: deadLetterAttributes(event.attributes, failure), data: event.data });
    // The last answer the sink gave, kept through attempts where it could not be resolved.
    let status: number | string = 'unresolved';
    const tried = await retries.run(spec, async (timeoutMs): Promise<Try<Target>> => {
      const target = this.o.resolve(sink, trigger.namespace);
      if (!target) return { ok: false, retriable: true, failure: undefined };
      try {
        const res = await this.post(target, message, { 'kn-namespace': trigger.namespace }, timeoutMs);
        status = res.status;
        return isSuccess(res.status) ? { ok: true, value: target } : { ok: false, retriable: isRetriable(res.status), failure: undefined };
      } catch (e) {
        if (!(e instanceof TransportError)) throw e;
        status = 'no response';
        return { ok: false, retriable: true, failure: undefined };
      }
    });
    if (tried.ok) {
      c.deadLettered++;
      // One line per dead letter, at info: the delivery failed for good, and the sink has it.
      log.info({ ...what, code: failure.status ?? TRANSPORT_ERROR_CODE, sink: destinationUrl(tried.value), status, attempt: tried.attempt }, 'dead-lettered');
      tell('Warning', 'DeadLettered', `${failed}; sent to the dead-letter sink`);
      return;
    }
    c.dropped++;
    if (retries.closed) return; // counted by close()
    log.error({ ...what, status }, 'event dropped: the dead-letter sink failed too');
    tell('Warning', 'DeliveryFailed', `${failed}; the dead-letter sink failed too (${status}), the event is dropped`);
  }

  private post(target: Target, message: HttpMessage, headers: Record<string, string>, timeoutMs: number): Promise<HttpAnswer> {
    return post(target, message, { headers, timeoutMs, agent: this.agent });
  }
}
