/**
 * CloudEvents over HTTP, both content modes, as the HTTP binding and the JSON event format
 * define them: attributes as text and data as raw bytes, which is what Knative's MT broker
 * carries between its hops. Keeping the raw bytes means the data a subscriber gets is
 * byte-for-byte what the sender sent. Decoding validates the whole event and throws a
 * BadRequest naming each attribute at fault. Pure: no I/O.
 */
import { attributeErrors, canonical, quoted, type AttributeValue } from './attributes.js';
import { decodeHeaderValue, encodeHeaderValue, HeaderValueError } from './header-value.js';
import { BadRequest, badRequest } from './errors.js';
import type { FieldError } from '../contract/index.js';
import { nestsDeeperThan, MAX_JSON_DEPTH } from '../json-depth.js';

/** A CloudEvent as it travels: attributes and extensions by name as canonical text, data as bytes. */
export interface WireEvent {
  readonly attributes: Readonly<Record<string, string>>;
  /** The data bytes; empty when the event has none. */
  readonly data: Buffer;
}

/** An HTTP message ready to send. */
export interface HttpMessage {
  headers: Record<string, string>;
  body: Buffer;
}

export type Headers = Record<string, string | string[] | undefined>;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const headerText = (v: string | string[]): string => (Array.isArray(v) ? v.join(', ') : v);

/** The media type of a Content-Type (or datacontenttype) value, lower-cased, parameters dropped. */
export const mediaTypeOf = (value: string | undefined): string => (value ?? '').split(';')[0]!.trim().toLowerCase();

const isStructured = (media: string) => media.startsWith('application/cloudevents') && !media.startsWith('application/cloudevents-batch');

/** JSON format §3.1: `*\/json` or `*\/*+json`; no datacontenttype means application/json. */
export const isJsonMedia = (media: string) => media === '' || /^[^/]+\/([^/]+\+)?json$/.test(media);

function contentType(headers: Headers): string {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === 'content-type' && v !== undefined) return headerText(v);
  return '';
}

/** True when an HTTP message is a CloudEvent by its encoding: `ce-specversion` or a structured content type. */
export function looksLikeCloudEvent(headers: Headers): boolean {
  if (isStructured(mediaTypeOf(contentType(headers)))) return true;
  return Object.keys(headers).some((k) => k.toLowerCase() === 'ce-specversion');
}

function refuse(errors: FieldError[]): never {
  throw new BadRequest(errors);
}

function canonicalAttributes(attrs: Record<string, AttributeValue>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) out[k] = canonical(v);
  return out;
}

/** Binary mode: each `ce-` header one attribute, Content-Type the datacontenttype, the body the data. */
function decodeBinary(headers: Headers, body: Buffer): WireEvent {
  const attrs: Record<string, string> = {};
  const errors: FieldError[] = [];
  let type: string | undefined;
  let ceHeaders = 0;
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    const key = k.toLowerCase();
    if (key === 'content-type') type = headerText(v);
    if (!key.startsWith('ce-')) continue;
    ceHeaders++;
    const name = key.slice(3);
    try {
      attrs[name] = decodeHeaderValue(headerText(v));
    } catch (e) {
      if (!(e instanceof HeaderValueError)) throw e;
      errors.push({ field: name, message: `header ce-${name}: ${e.message}` });
    }
  }
  // sdk-go reads a ce-datacontenttype header as the attribute too; Content-Type wins.
  if (type !== undefined) attrs.datacontenttype = type;
  if (ceHeaders === 0) {
    refuse([{ field: 'specversion', message: 'not a CloudEvent: no ce-* headers and not application/cloudevents+json' }]);
  }
  errors.push(...attributeErrors(attrs));
  if (errors.length) refuse(errors);
  return { attributes: attrs, data: body };
}

/** Structured mode in the JSON event format: attributes as members, `data` or `data_base64`. */
function decodeStructured(body: Buffer): WireEvent {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw badRequest('body', 'a structured CloudEvent must be UTF-8 text');
  }
  if (nestsDeeperThan(text)) throw badRequest('data', `JSON nested deeper than ${MAX_JSON_DEPTH} levels is not accepted`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw badRequest('body', `structured CloudEvent is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw badRequest('body', 'a structured CloudEvent must be a JSON object');
  const members = json as Record<string, unknown>;
  const attrs: Record<string, unknown> = {};
  // JSON format §2.2: a null attribute is an absent one.
  for (const [k, v] of Object.entries(members)) if (k !== 'data' && k !== 'data_base64' && v !== null) attrs[k] = v;
  const errors = attributeErrors(attrs);
  const hasData = Object.hasOwn(members, 'data');
  const base64 = members.data_base64 ?? undefined;
  if (base64 !== undefined) {
    if (hasData) errors.push({ field: 'data_base64', message: 'data and data_base64 cannot both be present; send one' });
    else if (typeof base64 !== 'string' || !BASE64.test(base64)) errors.push({ field: 'data_base64', message: 'must be a base64 string (RFC 4648)' });
  }
  const declared = typeof attrs.datacontenttype === 'string' ? attrs.datacontenttype : undefined;
  if (hasData && !isJsonMedia(mediaTypeOf(declared)) && typeof members.data !== 'string') {
    errors.push({ field: 'data', message: `with datacontenttype ${quoted(declared)} data must be a string; send other bytes as data_base64` });
  }
  if (errors.length) refuse(errors);
  const attributes = canonicalAttributes(attrs as Record<string, AttributeValue>);
  let data = Buffer.alloc(0);
  if (typeof base64 === 'string') data = Buffer.from(base64, 'base64');
  else if (hasData) {
    const inline = members.data;
    // JSON format §3.1.2: re-encoded in another binding, the implied type is stated.
    if (declared === undefined) attributes.datacontenttype = 'application/json';
    data = Buffer.from(isJsonMedia(mediaTypeOf(declared)) ? JSON.stringify(inline) : (inline as string), 'utf8');
  }
  return { attributes, data };
}

/**
 * Decodes and validates a CloudEvent from an HTTP message, binary (1.0 or 0.3) or structured
 * mode; a batch is refused. Throws BadRequest naming every attribute at fault.
 */
export function decodeMessage(headers: Headers, body: Buffer): WireEvent {
  const media = mediaTypeOf(contentType(headers));
  if (media.startsWith('application/cloudevents-batch')) {
    throw badRequest('content-type', 'batched CloudEvents are not accepted; send one event per request');
  }
  return isStructured(media) ? decodeStructured(body) : decodeBinary(headers, body);
}

/**
 * Binary mode: each attribute a percent-encoded `ce-` header, `datacontenttype` as Content-Type
 * (none when the event has none, as the Go SDK does), the data as the body.
 */
export function binaryMessage(event: WireEvent): HttpMessage {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.attributes)) {
    // Content-Type is an HTTP header of its own, not percent-encoded; Node writes it as latin1.
    if (k === 'datacontenttype') headers['content-type'] = Buffer.from(v, 'utf8').toString('latin1');
    else headers[`ce-${k}`] = encodeHeaderValue(v);
  }
  return { headers, body: event.data };
}

/**
 * Structured mode (`delivery.format: json`): JSON data inline, text as a string, anything else
 * as `data_base64`.
 */
export function structuredMessage(event: WireEvent): HttpMessage {
  const json: Record<string, unknown> = { ...event.attributes };
  if (event.data.length > 0) {
    const media = mediaTypeOf(event.attributes.datacontenttype);
    const text = event.data.toString('utf8');
    let inline: { value: unknown } | undefined;
    if (isJsonMedia(media) && !nestsDeeperThan(text)) {
      try { inline = { value: JSON.parse(text) }; } catch { inline = undefined; }
    } else if (media.startsWith('text/')) inline = { value: text };
    if (inline) json.data = inline.value;
    else json.data_base64 = event.data.toString('base64');
  }
  return { headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' }, body: Buffer.from(JSON.stringify(json), 'utf8') };
}
