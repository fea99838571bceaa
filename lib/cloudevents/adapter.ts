import type { CloudEvent } from 'cloudevents';
import type { Request, Response, HttpFunction } from '@google-cloud/functions-framework';
import { parseData, isEventType, type DataOf, type EventType } from '../contract/index.js';
import { BadRequest, Transient, badRequest, badRequestBody } from './errors.js';
import { receive, binaryOf } from './receive.js';
import { installServerGuard, sendJson, tooLarge } from '../http/server-guard.js';
import type { Logger } from '../log.js';

/**
 * What a handler tells its `handled` log line: a few structured fields saying what it did (the
 * ball's hop and outcome, the balls served…). They stay fields in the JSON line; the pretty
 * printer (lib/log-pretty.ts) builds the short readable line from them.
 */
export interface HandlerContext { note(fields: Record<string, unknown>): void }

/** A pure handler: an event in, the event the Broker should publish (or nothing) out. */
export type EventHandler<K extends EventType> =
  (event: CloudEvent<unknown>, data: DataOf<K>, ctx: HandlerContext) => Promise<CloudEvent<unknown> | void> | CloudEvent<unknown> | void;

export type EventHandlers = { [K in EventType]?: EventHandler<K> };

/** A plain HTTP route (e.g. `POST /compute`, `GET /ping`), answered by a pure function too. */
export interface RouteRequest { headers: Record<string, string>; body: string; query: Record<string, unknown> }
/** A route's answer: JSON, or text with its media type (text/plain unless `type` says, e.g. text/html). */
export interface RouteReply { status: number; json?: unknown; text?: string; type?: string }
/** A route logs a `handled` line when it noted what it did (so probes and pings stay quiet). */
export type Route = (req: RouteRequest, ctx: HandlerContext) => Promise<RouteReply> | RouteReply;

export interface AppSpec {
  name: string;
  events: EventHandlers;
  /** Keyed `METHOD /path`. */
  routes?: Record<string, Route>;
  /**
   * Routes that own their response and may hold it open (Server-Sent Events), keyed `METHOD
   * /path`: they get the raw request and response, and answer errors themselves.
   */
  streams?: Record<string, (req: Request, res: Response) => void>;
  /** Which field a body that is not even JSON is reported on, per route; CloudEvents use `data`. */
  unparsableField?: Record<string, string>;
  bodyLimit: number;
  log: Logger;
  /**
   * Takes an event before the type lookup and data validation, when it returns a handler: for an
   * event that is valid as a CloudEvent whatever its type or data, e.g. a dead letter.
   */
  intercept?: (event: CloudEvent<unknown>) => ((ctx: HandlerContext) => ReturnType<EventHandler<EventType>>) | undefined;
}

const rawBody = (req: Request): Buffer => {
  if (req.rawBody) return req.rawBody;
  return Buffer.from(typeof req.body === 'string' ? req.body : '', 'utf8');
};

/** Header names lower-cased and repeated headers joined, for plain routes. */
function plainHeaders(headers: Request['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function reply(res: Response, status: number, event?: CloudEvent<unknown>): void {
  if (!event) {
    res.status(status).end();
    return;
  }
  const msg = binaryOf(event);
  for (const [k, v] of Object.entries(msg.headers)) res.setHeader(k, v);
  res.status(status).end(msg.body);
}

function failure(res: Response, log: Logger, e: unknown, ctx: Record<string, unknown>): void {
  if (e instanceof BadRequest) {
    log.warn({ ...ctx, status: 400, errors: e.errors }, 'rejected');
    return sendJson(res, 400, badRequestBody(e));
  }
  if (e instanceof Transient) {
    log[e.routine ? 'debug' : 'warn']({ ...ctx, status: 503, err: e.message }, 'transient failure, the sender should retry');
    return sendJson(res, 503, { error: e.message });
  }
  // Details of an unexpected failure stay in the log; the caller learns only that it may retry.
  log.error({ ...ctx, status: 500, err: e instanceof Error ? e.stack : String(e) }, 'failed');
  sendJson(res, 500, { error: 'internal error' });
}

/** A HandlerContext and the fields noted through it. */
function notebook(): { ctx: HandlerContext; noted: Record<string, unknown> } {
  const noted: Record<string, unknown> = {};
  return { ctx: { note: (fields) => void Object.assign(noted, fields) }, noted };
}

/**
 * Turns pure handlers into Knative's contract for one function: CloudEvents on POST (binary or
 * structured), 200 + binary reply, 202 for nothing to reply, 400 naming the field, 413 past the
 * body limit, 503/500 for what may pass later; `GET /healthz` for probes; extra plain routes.
 */
export function functionApp(spec: AppSpec): HttpFunction {
  const { log, bodyLimit } = spec;
  installServerGuard({
    bodyLimit,
    onUnparsableBody: (req) => {
      const path = (req.url ?? '/').split('?')[0];
      const structured = String(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/cloudevents');
      const field = spec.unparsableField?.[`${req.method} ${path}`] ?? (structured ? 'body' : 'data');
      return { status: 400, body: badRequestBody(badRequest(field, 'request body is not valid JSON')) };
    },
  });
  return async (req: Request, res: Response) => {
    const key = `${req.method} ${req.path}`;
    if (key === 'GET /healthz') {
      res.status(200).type('text/plain').send('ok\n');
      return;
    }
    const stream = spec.streams?.[key];
    if (stream) return stream(req, res);
    const body = rawBody(req);
    if (body.length > bodyLimit) return sendJson(res, 413, tooLarge(bodyLimit));
    const route = spec.routes?.[key];
    if (route) {
      const started = Date.now();
      const { ctx: notes, noted } = notebook();
      try {
        const out = await route({ headers: plainHeaders(req.headers), body: body.toString('utf8'), query: req.query }, notes);
        if (Object.keys(noted).length) log.info({ route: key, ...noted, status: out.status, ms: Date.now() - started }, 'handled');
        if (out.json !== undefined) sendJson(res, out.status, out.json);
        else res.status(out.status).type(out.type ?? 'text/plain').send(out.text ?? '');
      } catch (e) {
        failure(res, log, e, { route: key, ...noted });
      }
      return;
    }
    if (req.method !== 'POST') {
      const allowed = ['POST', ...Object.keys(spec.routes ?? {}).filter((r) => r.endsWith(` ${req.path}`)).map((r) => r.split(' ')[0])];
      return sendJson(res, 405, { error: `method ${req.method} not allowed on ${req.path}` }, { allow: [...new Set(allowed)].join(', ') });
    }
    const started = Date.now();
    let ctx: Record<string, unknown> = {};
    const { ctx: notes, noted } = notebook();
    try {
      const event = receive(req.headers, body);
      ctx = { id: event.id, type: event.type, source: event.source };
      const own = spec.intercept?.(event);
      if (own) {
        const out = await own(notes);
        log.info({ ...ctx, ...noted, status: out ? 200 : 202, ms: Date.now() - started }, 'handled');
        return reply(res, out ? 200 : 202, out ?? undefined);
      }
      const handler = isEventType(event.type) ? spec.events[event.type] as EventHandler<EventType> | undefined : undefined;
      if (!handler) {
        throw badRequest('type', `${spec.name} does not handle events of type "${event.type}" (handles: ${Object.keys(spec.events).join(', ')})`);
      }
      const parsed = parseData(event.type as EventType, event.data);
      if (!parsed.ok) throw new BadRequest(parsed.errors);
      const out = await handler(event, parsed.value, notes);
      log.info({ ...ctx, ...noted, status: out ? 200 : 202, reply: out ? { id: out.id, type: out.type } : undefined, ms: Date.now() - started }, 'handled');
      reply(res, out ? 200 : 202, out ?? undefined);
    } catch (e) {
      failure(res, log, e, { ...ctx, ...noted });
    }
  };
}

