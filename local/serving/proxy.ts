import http, { type IncomingMessage, type ServerResponse, type OutgoingHttpHeaders } from 'node:http';

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

/** How a proxied request ended: answered (the response was passed on) or failed. */
export type ProxyOutcome = 'answered' | 'failed';

/**
 * Streams `req` to a pod on 127.0.0.1:`port` and its response back to `res`, without holding
 * bodies in memory. `done` is called exactly once, when the exchange is over for any reason.
 * Returns `abort`, which tears the upstream exchange down (timeout, shutdown).
 */
export function proxyToPod(req: IncomingMessage, res: ServerResponse, port: number, agent: http.Agent,
  done: (outcome: ProxyOutcome) => void): { abort: () => void } {
  let finished = false;
  let aborted = false;
  const finish = (outcome: ProxyOutcome) => {
    if (finished) return;
    finished = true;
    done(outcome);
  };
  const upstream = http.request({
    host: '127.0.0.1', port, method: req.method, path: req.url, agent,
    headers: forwardedHeaders(req.headers, req.socket.remoteAddress ?? '127.0.0.1'),
  }, (answer) => {
    if (aborted) { answer.resume(); return; }
    if (!res.headersSent && !res.destroyed) res.writeHead(answer.statusCode ?? 502, answer.statusMessage, withoutHopByHop(answer.headers));
    answer.pipe(res);
    answer.once('end', () => finish('answered'));
    answer.once('error', () => { res.destroy(); finish('failed'); });
    answer.once('close', () => { if (!answer.complete) res.destroy(); finish(answer.complete ? 'answered' : 'failed'); });
  });
  upstream.once('error', (e) => {
    if (aborted) return;
    if (!res.headersSent && !res.destroyed) {
      res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`error proxying request to the pod: ${e.message}\n`);
    } else res.destroy();
    finish('failed');
  });
  // The client went away: stop the pod's work on its behalf too.
  res.once('close', () => { if (!res.writableFinished) upstream.destroy(); });
  req.pipe(upstream);
  // Whoever aborts answers the client (504, 503); the upstream error that follows is ours.
  return { abort: () => { aborted = true; upstream.destroy(); finish('failed'); } };
}
