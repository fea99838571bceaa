import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * What a server answers a request Node's parser refuses (a broken request line, a header with a
 * control character, a bad chunk size, a head past the size limit): the status Node would send,
 * but with a JSON body naming the problem, where Node sends none. Node's own rule on when to
 * answer is kept: only on a connection that has not been written to, since a response may be
 * under way on it otherwise.
 */
export function answerClientError(err: NodeJS.ErrnoException & { reason?: string }, socket: Duplex): void {
  const written = (socket as Duplex & { bytesWritten?: number }).bytesWritten ?? 0;
  if (err.code === 'ECONNRESET' || !socket.writable || written > 0) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const problem = status === 431 ? 'the request head (request line and headers) is larger than the server accepts'
    : status === 408 ? 'the request head did not arrive in time'
    : `malformed HTTP request: ${err.reason ?? err.message}${err.code ? ` (${err.code})` : ''}`;
  const body = JSON.stringify({ error: `request: ${problem}`, errors: [{ field: 'request', message: problem }] });
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\ncontent-type: application/json\r\n`
    + `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

/** Answers refused requests on `server` with answerClientError. */
export function answerClientErrors<S extends Server>(server: S): S {
  server.on('clientError', answerClientError);
  return server;
}
