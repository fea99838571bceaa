import { HTTP, CloudEvent } from 'cloudevents';

/** POSTs a CloudEvent in binary or structured mode and returns the raw response. */
export async function postEvent(url: string, event: CloudEvent<unknown>, mode: 'binary' | 'structured' = 'binary'): Promise<Response> {
  const msg = mode === 'binary' ? HTTP.binary(event) : HTTP.structured(event);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(msg.headers)) headers[k] = String(v);
  const body = typeof msg.body === 'string' ? msg.body : JSON.stringify(msg.body);
  return fetch(url, { method: 'POST', headers, body });
}

/** Reads a binary-mode reply back into a CloudEvent. */
export async function replyEvent(res: Response): Promise<CloudEvent<unknown>> {
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => (headers[k] = v));
  return HTTP.toEvent({ headers, body: await res.text() }) as CloudEvent<unknown>;
}

export const event = (type: string, data: unknown, extra: Record<string, unknown> = {}) =>
  new CloudEvent<unknown>({ type, source: '/test', data, datacontenttype: 'application/json', ...extra });
