/**
 * Between the wire and the handlers: an HTTP request becomes the SDK's CloudEvent (validated by
 * `decodeMessage`, data parsed by its datacontenttype) and a CloudEvent becomes a binary-mode
 * message with its header values percent-encoded, which the SDK's own HTTP.binary does not do.
 */
import { CloudEvent } from 'cloudevents';
import { badRequest } from './errors.js';
import { binaryMessage, decodeMessage, isJsonMedia, mediaTypeOf, type Headers, type HttpMessage, type WireEvent } from './message.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../json-depth.js';

export type { Headers };

/** The data as a handler sees it: JSON parsed, text as a string, other bytes as a Buffer. */
function parseData(event: WireEvent): unknown {
  if (event.data.length === 0) return undefined;
  const media = mediaTypeOf(event.attributes.datacontenttype);
  if (isJsonMedia(media)) {
    const text = event.data.toString('utf8');
    if (nestsDeeperThan(text)) throw badRequest('data', `JSON nested deeper than ${MAX_JSON_DEPTH} levels is not accepted`);
    try {
      return JSON.parse(text);
    } catch (e) {
      throw badRequest('data', `not valid JSON: ${(e as Error).message}`);
    }
  }
  return media.startsWith('text/') ? event.data.toString('utf8') : event.data;
}

/**
 * Parses an HTTP request (binary or structured mode) into a validated CloudEvent, or throws a
 * BadRequest naming the attribute at fault.
 */
export function receive(headers: Headers, body: Buffer | string): CloudEvent<unknown> {
  const wire = decodeMessage(headers, typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
  // Not strict: decodeMessage has validated more than the SDK would, and its own check would
  // refuse what the spec allows (e.g. a time with an offset it then rewrites to UTC).
  const data = parseData(wire);
  try {
    return new CloudEvent<unknown>({ ...wire.attributes, data }, false);
  } catch (e) {
    // The SDK refuses a 1.0 event with an extension named schemaurl, a 0.3 one with dataschema.
    throw badRequest(wire.attributes.specversion === '0.3' ? 'dataschema' : 'schemaurl', (e as Error).message);
  }
}

const SKIPPED = new Set(['data', 'data_base64']);

/** A CloudEvent of the SDK as it travels: canonical text attributes, data bytes. */
export function toWire(event: CloudEvent<unknown>): WireEvent {
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(event)) {
    if (v === undefined || v === null || SKIPPED.has(k)) continue;
    attributes[k] = k === 'time' ? new Date(v as string).toISOString() : String(v);
  }
  const { data } = event;
  let bytes = Buffer.alloc(0);
  if (typeof event.data_base64 === 'string') bytes = Buffer.from(event.data_base64, 'base64');
  else if (data instanceof Uint8Array) bytes = Buffer.from(data);
  else if (data !== undefined) {
    attributes.datacontenttype ??= 'application/json';
    const json = isJsonMedia(mediaTypeOf(attributes.datacontenttype));
    bytes = Buffer.from(typeof data === 'string' && !json ? data : JSON.stringify(data), 'utf8');
  }
  return { attributes, data: bytes };
}

/** A CloudEvent in binary mode, ready to send or to answer with. */
export const binaryOf = (event: CloudEvent<unknown>): HttpMessage => binaryMessage(toWire(event));
