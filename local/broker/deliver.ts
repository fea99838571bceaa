/**
 * The HTTP client side of the Broker: one POST to a resolved target, answered with the status,
 * headers and body, or a TransportError when no HTTP answer came. node:http rather than fetch:
 * a Target may carry the Host header the local gateway routes on, which fetch refuses to set.
 */
import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { Target } from '../types.js';
import type { HttpMessage } from '../../lib/cloudevents/message.js';

/** An HTTP answer, body read in full. */
export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** No HTTP answer: connection refused or reset, timeout, oversized answer. */
export class TransportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransportError';
  }
}

export interface PostOptions {
  /** Extra headers (Prefer, Kn-Namespace). */
  headers?: Record<string, string>;
  /** Abort the attempt after this long. */
  timeoutMs?: number;
  /** Refuse answers larger than this (a reply is held in memory). */
  maxResponseBytes?: number;
  agent?: http.Agent;
}

/** Default cap on a response body read into memory. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/**
 * The URL a target stands for as Knative would name it: the target's Host header, when it has
 * one, is the real destination (the gateway address is a local detail).
 */
export function destinationUrl(target: Target): string {
  if (!target.host) return target.url;
  try {
    const u = new URL(target.url);
    u.host = target.host;
    return u.toString();
  } catch {
    return target.url;
  }
}

/** POSTs one message and reads the whole answer. Throws TransportError when there is none. */
export function post(target: Target, message: HttpMessage, options: PostOptions = {}): Promise<HttpAnswer> {
  const max = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  return new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(target.url);
    } catch (e) {
      reject(new TransportError(`invalid destination URL "${target.url}"`, { cause: e }));
      return;
    }
    const headers: Record<string, string | number> = {
      ...message.headers,
      ...options.headers,
      'content-length': message.body.length,
    };
    if (target.host) headers.host = target.host;
    const request = url.protocol === 'https:' ? https.request : http.request;
    let settled = false;
    const fail = (e: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(e instanceof TransportError ? e : new TransportError((e as Error).message ?? String(e), { cause: e }));
    };
    const req = request(url, { method: 'POST', headers, ...(options.agent && url.protocol === 'http:' ? { agent: options.agent } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > max) {
          req.destroy(new TransportError(`response larger than ${max} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
      res.on('error', fail);
      res.on('aborted', () => fail(new TransportError('response aborted')));
    });
    const timer = options.timeoutMs !== undefined
      ? setTimeout(() => req.destroy(new TransportError(`no answer within ${options.timeoutMs} ms`)), options.timeoutMs)
      : undefined;
    req.on('error', fail);
    req.end(message.body);
  });
}
