import { HTTP, type CloudEvent, ValidationError } from 'cloudevents';
import { BadRequest, badRequest } from './errors.js';
import type { FieldError } from '../contract/index.js';

const SPEC_VERSIONS = new Set(['1.0', '0.3']);
const REQUIRED = ['id', 'source', 'specversion', 'type'] as const;
// RFC 3339 with a zone: what CloudEvents requires of `time`.
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const ATTRIBUTE_NAME = /^[a-z0-9]+$/;

export type Headers = Record<string, string | string[] | undefined>;

/** Media types are case-insensitive (RFC 9110); the SDK compares them case-sensitively. */
export function normaliseHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    const key = k.toLowerCase();
    let value = Array.isArray(v) ? v.join(', ') : v;
    if (key === 'content-type') {
      const [media, ...params] = value.split(';');
      const m = media!.trim().toLowerCase();
      // The SDK looks structured parsers up by the exact header; the body is already a string.
      value = m.startsWith('application/cloudevents') ? m : [m, ...params.map((p) => p.trim())].join('; ');
    }
    out[key] = value;
  }
  return out;
}

export const mediaType = (headers: Record<string, string>): string =>
  (headers['content-type'] ?? '').split(';')[0]!.trim();

/** The context attributes as sent, before the SDK fills defaults (it invents `time`). */
function rawAttributes(headers: Record<string, string>, body: string): Record<string, unknown> {
  const media = mediaType(headers);
  if (media.startsWith('application/cloudevents-batch')) {
    throw badRequest('content-type', 'batched CloudEvents are not accepted; send one event per request');
  }
  if (media.startsWith('application/cloudevents')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw badRequest('body', 'structured CloudEvent is not valid JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw badRequest('body', 'structured CloudEvent must be a JSON object');
    }
    return parsed as Record<string, unknown>;
  }
  const attrs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(headers)) if (k.startsWith('ce-')) attrs[k.slice(3)] = v;
  return attrs;
}

function checkAttributes(attrs: Record<string, unknown>): void {
  const errors: FieldError[] = [];
  if (Object.keys(attrs).length === 0) {
    throw badRequest('specversion', 'not a CloudEvent: no ce-* headers and not application/cloudevents+json');
  }
  for (const name of REQUIRED) {
    const v = attrs[name];
    if (typeof v !== 'string' || v === '') errors.push({ field: name, message: 'required attribute is missing or empty' });
  }
  const sv = attrs.specversion;
  if (typeof sv === 'string' && sv !== '' && !SPEC_VERSIONS.has(sv)) {
    errors.push({ field: 'specversion', message: `unsupported specversion "${sv}" (1.0 or 0.3)` });
  }
  if (attrs.time !== undefined && (typeof attrs.time !== 'string' || !RFC3339.test(attrs.time))) {
    errors.push({ field: 'time', message: 'must be an RFC 3339 timestamp' });
  }
  for (const name of Object.keys(attrs)) {
    if (name !== 'data' && name !== 'data_base64' && !ATTRIBUTE_NAME.test(name)) {
      errors.push({ field: name, message: 'attribute names are lowercase letters and digits only' });
    }
  }
  if (errors.length) throw new BadRequest(errors);
}

/**
 * Parses an HTTP request (binary or structured mode) into a validated CloudEvent, or throws a
 * BadRequest naming the field at fault. The body is passed to the SDK as the raw string.
 */
export function receive(rawHeaders: Headers, body: string): CloudEvent<unknown> {
  const headers = normaliseHeaders(rawHeaders);
  checkAttributes(rawAttributes(headers, body));
  let event: CloudEvent<unknown> | CloudEvent<unknown>[];
  try {
    event = HTTP.toEvent<unknown>({ headers, body }) as CloudEvent<unknown> | CloudEvent<unknown>[];
  } catch (e) {
    if (e instanceof SyntaxError) throw badRequest('data', `not valid JSON: ${e.message}`);
    throw toBadRequest(e);
  }
  if (Array.isArray(event)) throw badRequest('content-type', 'batched CloudEvents are not accepted');
  try {
    event.validate();
  } catch (e) {
    throw toBadRequest(e);
  }
  return event;
}

function toBadRequest(e: unknown): BadRequest {
  if (e instanceof ValidationError) {
    const errors = (e.errors ?? []).map((x) => {
      const err = x as { instancePath?: string; params?: { missingProperty?: string }; message?: string };
      const field = err.params?.missingProperty ?? (err.instancePath?.replace(/^\//, '') || 'event');
      return { field, message: err.message ?? String(x) };
    });
    return new BadRequest(errors.length ? errors : [{ field: 'event', message: e.message }]);
  }
  return badRequest('event', e instanceof Error ? e.message : String(e));
}
