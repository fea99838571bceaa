/**
 * What a subscriber's 2xx answer means to the Broker (EVT pkg/broker/filter/filter_handler.go
 * `writeResponse`). Pure: no I/O.
 */
import { decodeMessage, looksLikeCloudEvent, type Headers, type WireEvent } from '../../lib/cloudevents/message.js';

export type ReplyOutcome =
  | { kind: 'none' }
  | { kind: 'reply'; event: WireEvent }
  | { kind: 'invalid'; reason: string };

/**
 * A CloudEvent (binary or structured) is a reply; no CloudEvent and no body means done; a
 * non-empty body that is not a valid CloudEvent is a failure, which broker-filter reports as 502.
 */
export function readReply(headers: Headers, body: Buffer): ReplyOutcome {
  if (!looksLikeCloudEvent(headers)) {
    return body.length === 0 ? { kind: 'none' } : { kind: 'invalid', reason: 'response body is not a CloudEvent' };
  }
  try {
    return { kind: 'reply', event: decodeMessage(headers, body) };
  } catch (e) {
    return { kind: 'invalid', reason: `reply is not a valid CloudEvent: ${(e as Error).message}` };
  }
}
