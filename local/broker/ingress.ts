/**
 * The Broker's ingress over HTTP: the server every Broker shares, and its handler with the MT
 * broker's answers (EVT pkg/broker/ingress/ingress_handler.go): OPTIONS → 200 advertising POST;
 * other methods → 405; `/` → 404; a path that is not `/<namespace>/<broker>` → 400; not a valid
 * CloudEvent → 400 naming the field; unknown broker → 404; accepted → 202.
 */
import http, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../lib/log.js';
import { BadRequest, badRequestBody } from '../../lib/cloudevents/errors.js';
import type { FieldError } from '../../lib/contract/index.js';
import { decodeMessage, type WireEvent } from '../../lib/cloudevents/message.js';
import { answerClientErrors } from '../../lib/http/client-error.js';

/** What ingress answers for one event, and why when it is not 202. */
export type IngestResult =
  | { status: 202 }
  | { status: 400 | 404 | 413 | 503; error: string; errors?: FieldError[] };

/** Takes a decoded event for `<namespace>/<broker>`; the Broker decides the answer. */
export type IngestSink = (namespace: string, broker: string, event: WireEvent) => IngestResult;

/** Default limit on an ingress body, answered 413 beyond it (a local guard; Knative sets none). */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

const ALLOW = 'POST, OPTIONS';

function answer(res: ServerResponse, status: number, body?: unknown): void {
  res.setHeader('allow', ALLOW);
  if (body === undefined) {
    res.writeHead(status, { 'content-length': 0 });
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        resolve(undefined);
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Splits `/<namespace>/<broker>` (one trailing slash allowed, query ignored). Returns 404 for `/`
 * and 400 for any other shape, as the MT broker does.
 */
export function parseIngressPath(rawUrl: string): { namespace: string; broker: string } | { status: 400 | 404 } {
  const path = rawUrl.split('?')[0]!;
  if (path === '/' || path === '') return { status: 404 };
  const parts = path.replace(/\/$/, '').split('/');
  if (parts.length !== 3 || parts[0] !== '' || !parts[1] || !parts[2]) return { status: 400 };
  try {
    return { namespace: decodeURIComponent(parts[1]), broker: decodeURIComponent(parts[2]) };
  } catch {
    return { status: 400 }; // broken percent-encoding such as %zz
  }
}

/** The ingress request handler. */
export function ingressHandler(sink: IngestSink, maxBodyBytes = DEFAULT_MAX_BODY_BYTES): RequestListener {
  return (req, res) => {
    void handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) answer(res, 500, { error: (e as Error).message });
      else res.destroy();
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'OPTIONS') {
      res.setHeader('webhook-allowed-origin', '*');
      res.setHeader('webhook-allowed-rate', '*');
      req.resume();
      return answer(res, 200);
    }
    if (req.method !== 'POST') {
      req.resume();
      return answer(res, 405, { error: `method ${req.method} is not allowed; use POST` });
    }
    const where = parseIngressPath(req.url ?? '/');
    if ('status' in where) {
      req.resume();
      return answer(res, where.status, where.status === 404
        ? { error: 'not found: post events to /<namespace>/<broker>' }
        : { error: `malformed path "${req.url}": expected /<namespace>/<broker>` });
    }
    if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) {
      res.setHeader('connection', 'close');
      req.resume();
      return answer(res, 413, { error: `body: larger than ${maxBodyBytes} bytes` });
    }
    const body = await readBody(req, maxBodyBytes);
    if (body === undefined) {
      res.setHeader('connection', 'close');
      return answer(res, 413, { error: `body: larger than ${maxBodyBytes} bytes` });
    }
    let event: WireEvent;
    try {
      event = decodeMessage(req.headers, body);
    } catch (e) {
      if (e instanceof BadRequest) return answer(res, 400, badRequestBody(e));
      throw e;
    }
    const result = sink(where.namespace, where.broker, event);
    if (result.status === 202) return answer(res, 202);
    return answer(res, result.status, { error: result.error, ...(result.errors ? { errors: result.errors } : {}) });
  }
}

/** The ingress server: one port for every Broker, each at `/<namespace>/<name>`. */
export class IngressServer {
  private server?: http.Server;
  private baseUrl?: string;

  constructor(private readonly sink: IngestSink, private readonly maxBodyBytes: number, private readonly log: Logger) {}

  /** Starts listening; resolves with the port (pass 0 for any). */
  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    if (this.server) throw new Error('the broker ingress is already listening');
    const server = answerClientErrors(http.createServer(ingressHandler(this.sink, this.maxBodyBytes)));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const actual = (server.address() as AddressInfo).port;
    this.baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${actual}`;
    this.log.debug({ url: this.baseUrl }, 'broker ingress listening');
    return actual;
  }

  /** The ingress URL of a Broker (`http://host:port/<ns>/<name>`), once listening. */
  url(namespace: string, name: string): string | undefined {
    return this.baseUrl ? `${this.baseUrl}/${namespace}/${name}` : undefined;
  }

  /** Stops listening and cuts open connections short. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const done = new Promise<void>((r) => server.close(() => r()));
    server.closeAllConnections();
    await done;
  }
}
