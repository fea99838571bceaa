import http, { type IncomingMessage, type ServerResponse, type OutgoingHttpHeaders } from 'node:http';
import net from 'node:net';

/** Headers that describe one connection, not the request: never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade']);

function withoutHopByHop(headers: http.IncomingHttpHeaders): OutgoingHttpHeaders {
  const listed = new Set(String(headers.connection ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean));
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k) && !listed.has(k)) out[k] = v;
  return out;
}

/**
 * The headers a pod receives, as from Knative's ingress (runtime contract: `Host` and `Forwarded`
 * MUST, `X-Forwarded-For`/`X-Forwarded-Proto` SHOULD): the original Host kept, the client
 * appended to X-Forwarded-For and Forwarded, the scheme in X-Forwarded-Proto unless set upstream.
 */
export function forwardedHeaders(headers: http.IncomingHttpHeaders, clientIp: string, proto = 'http'): OutgoingHttpHeaders {
  const out = withoutHopByHop(headers);
  const xff = headers['x-forwarded-for'];
  out['x-forwarded-for'] = xff ? `${Array.isArray(xff) ? xff.join(', ') : xff}, ${clientIp}` : clientIp;
  if (!headers['x-forwarded-proto']) out['x-forwarded-proto'] = proto;
  const node = clientIp.includes(':') ? `"[${clientIp}]"` : clientIp;
  const host = headers.host ? `;host=${/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(headers.host) ? headers.host : JSON.stringify(headers.host)}` : '';
  const element = `for=${node};proto=${proto}${host}`;
  out.forwarded = headers.forwarded ? `${headers.forwarded}, ${element}` : element;
  return out;
}

/** Write errors meaning the pod stopped reading the request, not that its answer is lost. */
const PEER_STOPPED_READING = new Set(['EPIPE', 'ECONNRESET']);

/**
 * A connection to a pod that, once the pod stops reading (it answered early, e.g. 413 for a body
 * over its limit, and closed), drops the rest of the request body instead of failing. Node
 * destroys a socket on a write error, unread answer and all, so a proxy streaming a large body
 * would report the write error (502 EPIPE) in place of the pod's own answer about half the time.
 */
class PodSocket extends net.Socket {
  deaf = false;

  override _write(chunk: unknown, encoding: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.deaf) return cb();
    super._write(chunk, encoding, this.tolerant(cb));
  }

  override _writev(chunks: Array<{ chunk: unknown; encoding: BufferEncoding }>, cb: (e?: Error | null) => void): void {
    if (this.deaf) return cb();
    super._writev!(chunks, this.tolerant(cb));
  }

  private tolerant(cb: (e?: Error | null) => void) {
    return (e?: Error | null) => {
      if (e && PEER_STOPPED_READING.has((e as NodeJS.ErrnoException).code ?? '')) {
        this.deaf = true;
        return cb();
      }
      cb(e);
    };
  }
}

/**
 * The keep-alive agent the activator proxies through: its connections are PodSockets
 * (Agent#createConnection is the documented hook for the socket an agent opens).
 */
export class PodAgent extends http.Agent {
  constructor() {
    super({ keepAlive: true, maxSockets: Infinity });
  }

  override createConnection(options: http.ClientRequestArgs): net.Socket {
    // As net.createConnection does, with the socket class swapped (the agent takes the socket
    // returned here, so no callback is needed).
    const o = options as net.TcpNetConnectOpts;
    const socket = new PodSocket(o);
    if (o.timeout) socket.setTimeout(o.timeout);
    return socket.connect(o);
  }
}

/** How a proxied request ended: answered (the response was passed on) or failed. */
export type ProxyOutcome = 'answered' | 'failed';

/**
 * Streams `req` to a pod on 127.0.0.1:`port` and its response back to `res`, without holding
 * bodies in memory. `done` is called exactly once, when the exchange is over for any reason.
 * Returns `abort`, which tears the upstream exchange down (timeout, shutdown).
 */
export function proxyToPod(req: IncomingMessage, res: ServerResponse, port: number, agent: PodAgent,
  done: (outcome: ProxyOutcome) => void): { abort: () => void } {
  let finished = false;
  let aborted = false;
  let answered = false;
  const finish = (outcome: ProxyOutcome) => {
    if (finished) return;
    finished = true;
    done(outcome);
  };
  // The client may still be sending a body the pod did not take: read it to the end, as Node's
  // server does for a request nobody read, so the client gets to read the answer.
  const drain = () => { if (!req.complete) { req.unpipe(upstream); req.resume(); } };
  const upstream = http.request({
    host: '127.0.0.1', port, method: req.method, path: req.url, agent,
    headers: forwardedHeaders(req.headers, req.socket.remoteAddress ?? '127.0.0.1'),
  }, (answer) => {
    answered = true;
    if (aborted) { answer.resume(); return; }
    if (!res.headersSent && !res.destroyed) res.writeHead(answer.statusCode ?? 502, answer.statusMessage, withoutHopByHop(answer.headers));
    answer.pipe(res);
    answer.once('end', () => {
      const socket = upstream.socket;
      // A pod that stopped reading this body cannot take another request on this connection.
      if (socket instanceof PodSocket && socket.deaf) socket.destroy();
      drain();
      finish('answered');
    });
    answer.once('error', () => { res.destroy(); finish('failed'); });
    answer.once('close', () => { if (!answer.complete) res.destroy(); finish(answer.complete ? 'answered' : 'failed'); });
  });
  upstream.on('error', (e) => {
    // Once the pod has answered, its answer decides how the exchange ends (see above).
    if (aborted || answered) return;
    if (!res.headersSent && !res.destroyed) {
      res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`error proxying request to the pod: ${e.message}\n`);
      drain();
    } else res.destroy();
    finish('failed');
  });
  // The client went away: stop the pod's work on its behalf too.
  res.once('close', () => { if (!res.writableFinished) upstream.destroy(); });
  req.pipe(upstream);
  // Whoever aborts answers the client (504, 503); the upstream error that follows is ours.
  return { abort: () => { aborted = true; upstream.destroy(); finish('failed'); } };
}
