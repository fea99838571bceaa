/**
 * The event as the Broker carries it: attributes as text and data as raw bytes, which is what
 * Knative's MT broker has between its hops (ingress → channel → filter all speak binary mode).
 * Keeping the raw bytes means the data a subscriber gets is byte-for-byte what the sender sent
 * (the CloudEvents SDK would re-serialise JSON and rewrite `time`). Pure: no I/O.
 */
import { receive, normaliseHeaders, mediaType, type Headers } from '../../lib/cloudevents/receive.js';

/** A CloudEvent inside the Broker. */
export interface BrokerEvent {
  /** Context attributes and extensions by name, as text (binary mode's view). */
  readonly attributes: Readonly<Record<string, string>>;
  /** The data bytes; empty when the event has none. */
  readonly data: Buffer;
}

const isStructured = (media: string) => media.startsWith('application/cloudevents') && !media.startsWith('application/cloudevents-batch');
const isJson = (media: string) => media === '' || media === 'application/json' || media === 'text/json' || media.endsWith('+json');

/** Node reads header values as latin1; the CloudEvents binding sends UTF-8. */
const fromHeader = (v: string): string => (/[\u0080-\u00ff]/.test(v) ? Buffer.from(v, 'latin1').toString('utf8') : v);

/**
 * A header value Node accepts: non-ASCII as its UTF-8 bytes (Node writes latin1 text byte for
 * byte), control characters percent-encoded as the binding asks. `%` is left alone because
 * incoming values are not percent-decoded either (the JS SDK does not), so values pass through.
 */
function toHeader(v: string): string {
  // eslint-disable-next-line no-control-regex
  const safe = v.replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, (c) => encodeURIComponent(c));
  return /[^\u0000-\u007f]/.test(safe) ? Buffer.from(safe, 'utf8').toString('latin1') : safe;
}

const attrText = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));

/** True when an HTTP message is a CloudEvent by its encoding: `ce-specversion` or a structured content type. */
export function looksLikeCloudEvent(headers: Headers): boolean {
  const h = normaliseHeaders(headers);
  return h['ce-specversion'] !== undefined || isStructured(mediaType(h));
}

/**
 * Decodes and validates a CloudEvent from an HTTP message in binary (1.0 or 0.3) or structured
 * mode. Validation is `receive`'s (throws `BadRequest` naming the field); the attributes and data
 * kept are the ones sent, not the SDK's re-encoding of them.
 */
export function decodeEvent(headers: Headers, body: Buffer): BrokerEvent {
  receive(headers, body.toString('utf8'));
  const h = normaliseHeaders(headers);
  const media = mediaType(h);
  if (isStructured(media)) {
    const json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    const attributes: Record<string, string> = {};
    for (const [k, v] of Object.entries(json)) {
      if (k !== 'data' && k !== 'data_base64' && v !== undefined && v !== null) attributes[k] = attrText(v);
    }
    let data = Buffer.alloc(0);
    if (typeof json.data_base64 === 'string') data = Buffer.from(json.data_base64, 'base64');
    else if (json.data !== undefined) {
      const ct = (attributes.datacontenttype ?? '').split(';')[0]!.trim().toLowerCase();
      data = Buffer.from(typeof json.data === 'string' && !isJson(ct) ? json.data : JSON.stringify(json.data), 'utf8');
    }
    return { attributes, data };
  }
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    const key = k.toLowerCase();
    if (v === undefined) continue;
    const value = Array.isArray(v) ? v.join(', ') : v;
    if (key.startsWith('ce-')) attributes[key.slice(3)] = fromHeader(value);
    else if (key === 'content-type') attributes.datacontenttype = fromHeader(value);
  }
  return { attributes, data: body };
}

/** An HTTP message ready to send. */
export interface HttpMessage {
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * Binary mode: each attribute as a `ce-` header, `datacontenttype` as Content-Type (none when the
 * event has none, as the Go SDK does), the data as the body.
 */
export function binaryMessage(event: BrokerEvent): HttpMessage {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.attributes)) {
    if (k === 'datacontenttype') headers['content-type'] = toHeader(v);
    else headers[`ce-${k}`] = toHeader(v);
  }
  return { headers, body: event.data };
}

/**
 * Structured mode (`delivery.format: json`): JSON data inline, text as a string, anything else
 * as `data_base64`.
 */
export function structuredMessage(event: BrokerEvent): HttpMessage {
  const json: Record<string, unknown> = { ...event.attributes };
  if (event.data.length > 0) {
    const ct = (event.attributes.datacontenttype ?? '').split(';')[0]!.trim().toLowerCase();
    const text = event.data.toString('utf8');
    let inline: { value: unknown } | undefined;
    if (isJson(ct)) {
      try { inline = { value: JSON.parse(text) }; } catch { inline = undefined; }
    } else if (ct.startsWith('text/')) inline = { value: text };
    if (inline) json.data = inline.value;
    else json.data_base64 = event.data.toString('base64');
  }
  return { headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' }, body: Buffer.from(JSON.stringify(json), 'utf8') };
}

/** What a subscriber's 2xx answer means. */
export type ReplyOutcome =
  | { kind: 'none' }
  | { kind: 'reply'; event: BrokerEvent }
  | { kind: 'invalid'; reason: string };

/**
 * Reads a 2xx answer: a CloudEvent (binary or structured) is a reply; no CloudEvent and no body
 * means done; a non-empty body that is not a valid CloudEvent is a failure, which broker-filter
 * reports as 502 (EVT pkg/broker/filter/filter_handler.go `writeResponse`).
 */
export function readReply(headers: Headers, body: Buffer): ReplyOutcome {
  if (!looksLikeCloudEvent(headers)) {
    return body.length === 0 ? { kind: 'none' } : { kind: 'invalid', reason: 'response body is not a CloudEvent' };
  }
  try {
    return { kind: 'reply', event: decodeEvent(headers, body) };
  } catch (e) {
    return { kind: 'invalid', reason: `reply is not a valid CloudEvent: ${(e as Error).message}` };
  }
}
