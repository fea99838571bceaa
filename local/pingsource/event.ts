/**
 * Knative's PingSource rules as pure functions: the event a tick emits (EVT
 * pkg/adapter/mtping/runner.go `makeEvent`), the schedule it accepts (robfig/cron with optional
 * seconds and descriptors, no @every), and how the adapter's CloudEvents client retries
 * (SDKGO v2/protocol/http/protocol.go, v2/context/retry.go). No I/O, no clock.
 */
import { cronSchedule, DEFAULT_SCHEDULE } from '../../lib/manifests/eventing-rules.js';
import { PING_SOURCE_TICK } from '../../lib/contract/types.js';
import type { WireEvent } from '../../lib/cloudevents/message.js';
import type { KubeObject } from '../../lib/kube/object.js';

/** Knative's own type for PingSource events. */
export const PING_EVENT_TYPE = PING_SOURCE_TICK;

/** `source` of a PingSource's events. */
export const pingSourceUri = (namespace: string, name: string): string => `/apis/v1/namespaces/${namespace}/pingsources/${name}`;

/** What changes per tick. */
export interface Tick {
  id: string;
  time: Date;
}

/**
 * The event one tick sends: type and source fixed, a fresh id, `time` = now, data = `data` as
 * bytes or `dataBase64` decoded, `datacontenttype` only when `contentType` is non-empty, and the
 * `ceOverrides.extensions`.
 */
export function pingEvent(source: KubeObject, tick: Tick): WireEvent {
  const spec = source.spec ?? {};
  const namespace = source.metadata.namespace ?? 'default';
  const attributes: Record<string, string> = {};
  const extensions: unknown = spec.ceOverrides?.extensions;
  if (extensions && typeof extensions === 'object') {
    for (const [k, v] of Object.entries(extensions as Record<string, unknown>)) if (v !== undefined && v !== null) attributes[k] = String(v);
  }
  Object.assign(attributes, {
    specversion: '1.0',
    id: tick.id,
    type: PING_EVENT_TYPE,
    source: pingSourceUri(namespace, source.metadata.name),
    time: tick.time.toISOString(),
  });
  if (typeof spec.contentType === 'string' && spec.contentType !== '') attributes.datacontenttype = spec.contentType;
  const data = typeof spec.dataBase64 === 'string' && spec.dataBase64 !== ''
    ? Buffer.from(spec.dataBase64, 'base64')
    : Buffer.from(typeof spec.data === 'string' ? spec.data : '', 'utf8');
  return { attributes, data };
}

/** Retries after the first send. */
export const SEND_RETRIES = 5;

/**
 * Whether the adapter retries a send: no response, or 404, 413, 425, 429, 502, 503, 504. Not 500,
 * and not any other status.
 */
export function isRetriableSend(status: number | undefined): boolean {
  return status === undefined || [404, 413, 425, 429, 502, 503, 504].includes(status);
}

/** Wait before retry k (1-based): exponential from 50 ms, so 100, 200, 400, 800, 1600 ms. */
export const sendBackoffMs = (k: number, baseMs = 50): number => baseMs * 2 ** k;

export { cronSchedule, DEFAULT_SCHEDULE };
