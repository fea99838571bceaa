import http from 'node:http';
import type { IncomingMessage, ServerResponse, RequestListener } from 'node:http';
import { answerClientErrors } from './client-error.js';

/**
 * functions-framework parses every body (limit 1 GiB) before our function runs, and answers a body
 * that is not valid JSON with Express's HTML error page. Neither is Knative's contract: we want 413
 * before reading a huge body, and a JSON 400 naming the field. The framework exposes no hook, so we
 * wrap the one server it creates (`http.createServer(app)` right after loading our module): refuse
 * oversize bodies up front, and append an Express error handler after its routes.
 */
export interface GuardOptions {
  bodyLimit: number;
  /** The 400 body for a request whose body the framework could not parse. */
  onUnparsableBody(req: IncomingMessage): { status: number; body: unknown };
}

let options: GuardOptions | undefined;
let installed = false;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export const tooLarge = (limit: number) => ({
  error: `body: request body is larger than the limit of ${limit} bytes`,
  errors: [{ field: 'body', message: `larger than ${limit} bytes` }],
});

type ExpressLike = RequestListener & { use?: (fn: unknown) => void };

/**
 * Holds the limit on a body sent without a Content-Length (chunked), which the framework would
 * read up to its own 1 GiB: the bytes are counted as Node's parser hands them to the request,
 * and past the limit the rest is dropped and the body's reader fails with the 413 body-parser
 * itself raises for a Content-Length too large, which the error handler answers.
 */
function limitUnsizedBody(req: IncomingMessage, res: ServerResponse, limit: number): void {
  const push = req.push;
  let seen = 0;
  let over = false;
  req.push = function (this: IncomingMessage, chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null || over) return chunk === null ? push.call(this, chunk, encoding) : true;
    seen += (chunk as Buffer).length;
    if (seen <= limit) return push.call(this, chunk, encoding);
    over = true;
    res.setHeader('connection', 'close');
    const error = Object.assign(new Error(`request entity too large: limit is ${limit} bytes`), { type: 'entity.too.large', status: 413, expose: true });
    if (this.listenerCount('error') > 0) process.nextTick(() => this.emit('error', error));
    return true;
  };
}

export function installServerGuard(opts: GuardOptions): void {
  options = opts;
  if (installed) return;
  installed = true;
  const original = http.createServer;
  const patched = ((...args: unknown[]) => {
    const listener = args.find((a) => typeof a === 'function') as ExpressLike | undefined;
    if (!listener?.use) return (original as (...a: unknown[]) => http.Server)(...args);
    listener.use((err: Error & { type?: string; status?: number }, req: IncomingMessage, res: ServerResponse, _next: unknown) => {
      const o = options!;
      if (err.type === 'entity.too.large' || err.status === 413) return sendJson(res, 413, tooLarge(o.bodyLimit));
      // Express's router could not decode the path (`%zz`, a cut UTF-8 sequence): the path is at fault, not the body.
      if (err instanceof URIError) {
        const message = `${JSON.stringify((req.url ?? '').split('?')[0])} is not valid percent-encoding`;
        return sendJson(res, 400, { error: `path: ${message}`, errors: [{ field: 'path', message }] });
      }
      if (err.status && err.status >= 400 && err.status < 500) {
        const { status, body } = o.onUnparsableBody(req);
        return sendJson(res, status, body);
      }
      sendJson(res, 500, { error: 'internal error' });
    });
    const guarded: RequestListener = (req, res) => {
      const length = Number(req.headers['content-length'] ?? 0);
      if (length > options!.bodyLimit) {
        // Answer without reading the body, then drop the connection rather than drain gigabytes.
        res.setHeader('connection', 'close');
        sendJson(res, 413, tooLarge(options!.bodyLimit));
        req.resume();
        return;
      }
      if (req.headers['content-length'] === undefined) limitUnsizedBody(req, res, options!.bodyLimit);
      listener(req, res);
    };
    return answerClientErrors(original(guarded));
  }) as typeof http.createServer;
  http.createServer = patched;
}
