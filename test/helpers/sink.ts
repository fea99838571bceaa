import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { HTTP, type CloudEvent } from 'cloudevents';
import { receive } from '../../lib/cloudevents/receive.js';

/** One request a sink received. */
export interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The `ce-*` headers by attribute name (binary mode), as sent. */
  ce: Record<string, string>;
  /** The request as a validated CloudEvent, or undefined when it is not one. */
  event?: CloudEvent<unknown>;
}

/** How a sink answers one request: a status (and body), or a CloudEvent reply in binary mode. */
export type Answer =
  | { status: number; body?: string | Buffer; headers?: Record<string, string> }
  | { status?: number; reply: CloudEvent<unknown> };

export interface Sink {
  url: string;
  requests: Recorded[];
  /** Waits until at least `n` requests arrived (generous deadline), then returns them all. */
  received(n: number, timeoutMs?: number): Promise<Recorded[]>;
  close(): Promise<void>;
}

export interface SinkOptions {
  /** Answers used in order, one per request; after them, `then`. */
  answers?: Answer[];
  /** The answer once `answers` run out, or a function of the request and its 0-based index. Default 202, no body. */
  then?: Answer | ((req: Recorded, index: number) => Answer);
}

/**
 * A recording test sink: an HTTP server on a free port that keeps every request (method,
 * headers, body, parsed CloudEvent) and answers with a programmable sequence.
 */
export async function startSink(options: SinkOptions = {}): Promise<Sink> {
  const requests: Recorded[] = [];
  const waiters = new Set<() => void>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const ce: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (k.startsWith('ce-') && typeof v === 'string') ce[k.slice(3)] = v;
      let event: CloudEvent<unknown> | undefined;
      try { event = receive(req.headers, body.toString('utf8')); } catch { event = undefined; }
      const rec: Recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, ce, event };
      const index = requests.length;
      requests.push(rec);
      for (const w of waiters) w();
      const then = options.then ?? { status: 202 };
      const answer = options.answers?.[index] ?? (typeof then === 'function' ? then(rec, index) : then);
      if ('reply' in answer) {
        const msg = HTTP.binary(answer.reply);
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(msg.headers)) headers[k] = String(v);
        const text = msg.body === undefined ? '' : typeof msg.body === 'string' ? msg.body : JSON.stringify(msg.body);
        res.writeHead(answer.status ?? 200, { ...headers, 'content-length': Buffer.byteLength(text) });
        res.end(text);
        return;
      }
      const payload = answer.body === undefined ? Buffer.alloc(0) : Buffer.from(answer.body);
      res.writeHead(answer.status, { ...answer.headers, 'content-length': payload.length });
      res.end(payload);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    received(n, timeoutMs = 30_000) {
      if (requests.length >= n) return Promise.resolve(requests);
      return new Promise((resolve, reject) => {
        const check = () => {
          if (requests.length < n) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(requests);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${n} requests; got ${requests.length}`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    close: () => new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    }),
  };
}
