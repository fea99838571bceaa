import type { CloudEvent } from 'cloudevents';
import { Transient } from './errors.js';
import { binaryOf } from './receive.js';

/**
 * Sends one event in binary mode to a sink (K_SINK) and checks the answer: anything but 2xx is a
 * failure the caller must not swallow, so the cause is retried rather than a ball being lost.
 */
export async function sendEvent(sink: string, event: CloudEvent<unknown>, timeoutMs = 10_000): Promise<void> {
  const { headers, body } = binaryOf(event);
  let res: Response;
  try {
    res = await fetch(sink, { method: 'POST', headers, body: new Uint8Array(body), signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    throw new Transient(`sending ${event.type} ${event.id} to ${sink} failed: ${(e as Error).message}`, { cause: e });
  }
  await res.arrayBuffer();
  if (res.status < 200 || res.status > 299) {
    throw new Transient(`sink ${sink} answered ${res.status} for ${event.type} ${event.id}`);
  }
}
