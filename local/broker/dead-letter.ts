/**
 * What a dead-letter sink receives: the original event plus Knative's error extensions
 * (EVT pkg/kncloudevents/attributes/knative_error.go, DOCS eventing/event-delivery.md).
 */
import { ERROR_CODE, ERROR_DATA, ERROR_DEST } from '../../lib/contract/types.js';

export { ERROR_CODE, ERROR_DATA, ERROR_DEST };
/** The code base64-encodes the response body, then cuts the text to this many characters. */
export const ERROR_DATA_MAX = 1024;
/** The code Knative records when the last attempt got no HTTP response (refused, reset, timeout). */
export const TRANSPORT_ERROR_CODE = 500;

/** How the last attempt of a delivery failed. */
export interface DeliveryFailure {
  /** URL of the destination that failed (the subscriber, or the Broker for a rejected reply). */
  destination: string;
  /** HTTP status of the last attempt; undefined when there was no response. */
  status?: number;
  /** Response body of the last attempt. */
  body?: Uint8Array;
}

/**
 * The dead-letter event's attributes: the original ones plus `knativeerrordest`,
 * `knativeerrorcode` and, when the last response had a body, `knativeerrordata`.
 */
export function deadLetterAttributes(attributes: Readonly<Record<string, string>>, failure: DeliveryFailure): Record<string, string> {
  const out: Record<string, string> = { ...attributes };
  out[ERROR_DEST] = failure.destination;
  out[ERROR_CODE] = String(failure.status ?? TRANSPORT_ERROR_CODE);
  if (failure.body && failure.body.length > 0) {
    out[ERROR_DATA] = Buffer.from(failure.body).toString('base64').slice(0, ERROR_DATA_MAX);
  }
  return out;
}
