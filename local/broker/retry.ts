/**
 * Which answers a Broker retries, how long it waits between attempts, and which delivery spec
 * applies (EVT pkg/kncloudevents/retries.go, event_dispatcher.go, pkg/reconciler/broker/trigger).
 * Pure: no I/O, no clock.
 */
import { parseIsoDuration } from '../../lib/manifests/durations.js';
import type { Destination } from '../types.js';

/** duckv1.DeliverySpec as written in a Broker's or Trigger's `spec.delivery`. */
export interface DeliverySpec {
  retry?: number;
  backoffPolicy?: 'linear' | 'exponential';
  backoffDelay?: string;
  timeout?: string;
  deadLetterSink?: Destination;
  format?: 'json' | 'binary';
}

/**
 * `config-br-defaults`: what a Broker gets when it has no `spec.delivery` at all. The defaulting
 * webhook copies it in only then, so a Broker with `delivery: {deadLetterSink: …}` retries 0 times.
 */
export const DEFAULT_BROKER_DELIVERY: Readonly<DeliverySpec> = Object.freeze({
  retry: 10,
  backoffPolicy: 'exponential',
  backoffDelay: 'PT0.2S',
});

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The delivery spec a Trigger's deliveries use. All or nothing: the Trigger's `spec.delivery` if it
 * has one (even `{}`, which means no retries and no dead-letter sink), else the Broker's, else the
 * cluster default. Fields are never merged across the two.
 */
export function effectiveDelivery(triggerDelivery: unknown, brokerDelivery: unknown): DeliverySpec {
  if (isObject(triggerDelivery)) return triggerDelivery as DeliverySpec;
  if (isObject(brokerDelivery)) return brokerDelivery as DeliverySpec;
  return { ...DEFAULT_BROKER_DELIVERY };
}

/** Total attempts: the first one plus `retry` retries (no `retry` = no retries). */
export function attempts(spec: DeliverySpec): number {
  const r = spec.retry;
  return 1 + (typeof r === 'number' && Number.isInteger(r) && r > 0 ? r : 0);
}

/**
 * Milliseconds to wait before retry `k` (1-based). Knative hands go-retryablehttp's 0-based attempt
 * number to the backoff, so exponential waits D·2^(k-1) (D, 2D, 4D…) and linear waits D·(k-1)
 * (the first linear retry is immediate). Without both a policy and a delay, retries are
 * immediate; there is no upper cap.
 */
export function backoffMs(spec: DeliverySpec, k: number): number {
  if (!spec.backoffPolicy || !spec.backoffDelay || k < 1) return 0;
  const seconds = parseIsoDuration(spec.backoffDelay);
  if (seconds === undefined || seconds <= 0) return 0;
  const factor = spec.backoffPolicy === 'exponential' ? 2 ** (k - 1) : k - 1;
  return Math.round(seconds * 1000 * factor);
}

/** The per-attempt HTTP timeout from `timeout`, in ms, or undefined when unset or unreadable. */
export function attemptTimeoutMs(spec: DeliverySpec): number | undefined {
  if (!spec.timeout) return undefined;
  const seconds = parseIsoDuration(spec.timeout);
  return seconds !== undefined && seconds > 0 ? Math.round(seconds * 1000) : undefined;
}

/** Success is any 2xx. */
export const isSuccess = (status: number): boolean => status >= 200 && status <= 299;

/**
 * Whether a failed attempt is retried: no response at all (`undefined`), 5xx, 404, 408, 409 and
 * 429. Other 4xx, and 1xx/3xx, fail at once.
 */
export function isRetriable(status: number | undefined): boolean {
  if (status === undefined) return true;
  return (status >= 500 && status <= 599) || status === 404 || status === 408 || status === 409 || status === 429;
}
