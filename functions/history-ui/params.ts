/**
 * What the history UI's endpoints accept, pure: each query parameter checked, a refusal naming the
 * parameter (a 400), and a parameter the endpoint does not know refused too, so a typo is not
 * silently ignored.
 */
import type { BallRecord } from '../../lib/db/history-read.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; field: string; message: string };

const STATUSES = ['served', 'landed', 'dropped'] as const;
export const MAX_BALLS = 500;

const one = (q: Record<string, unknown>, name: string): string | undefined | string[] => {
  const v = q[name];
  return v === undefined ? undefined : Array.isArray(v) ? v.map(String) : String(v);
};
const unknownOf = (q: Record<string, unknown>, known: readonly string[]) => Object.keys(q).find((k) => !known.includes(k));

/** `GET /api/balls?limit=N&status=served|landed|dropped`. */
export function ballsQuery(q: Record<string, unknown>): Parsed<{ limit: number; status?: BallRecord['status'] }> {
  const extra = unknownOf(q, ['limit', 'status']);
  if (extra !== undefined) return { ok: false, field: extra, message: `unknown query parameter (known: limit, status)` };
  const limit = one(q, 'limit');
  const status = one(q, 'status');
  if (Array.isArray(limit)) return { ok: false, field: 'limit', message: 'given more than once' };
  if (Array.isArray(status)) return { ok: false, field: 'status', message: 'given more than once' };
  let n = 50;
  if (limit !== undefined) {
    if (!/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_BALLS) return { ok: false, field: 'limit', message: `must be a whole number from 1 to ${MAX_BALLS}, got "${limit.slice(0, 40)}"` };
    n = Number(limit);
  }
  if (status !== undefined && !(STATUSES as readonly string[]).includes(status)) {
    return { ok: false, field: 'status', message: `must be one of ${STATUSES.join(', ')}, got "${status.slice(0, 40)}"` };
  }
  return { ok: true, value: { limit: n, ...(status ? { status: status as BallRecord['status'] } : {}) } };
}

/**
 * Where a stream resumes: the `Last-Event-ID` a reconnecting EventSource sends, else `?since=`,
 * else 0 (everything from the start is not sent: a fresh page asks for `since` itself).
 */
export function resumeFrom(lastEventId: string | undefined, q: Record<string, unknown>): Parsed<number | undefined> {
  const extra = unknownOf(q, ['since']);
  if (extra !== undefined) return { ok: false, field: extra, message: 'unknown query parameter (known: since)' };
  const since = one(q, 'since');
  if (Array.isArray(since)) return { ok: false, field: 'since', message: 'given more than once' };
  const [field, raw] = lastEventId !== undefined ? ['Last-Event-ID', lastEventId] : ['since', since];
  if (raw === undefined || raw === '') return { ok: true, value: undefined };
  if (!/^\d{1,15}$/.test(raw)) return { ok: false, field, message: `must be a feed position (a whole number), got "${raw.slice(0, 40)}"` };
  return { ok: true, value: Number(raw) };
}

/** One Server-Sent Event: its id (the feed position), its type and one line of JSON data. */
export const sseEvent = (id: number, event: string, data: unknown): string =>
  `id: ${id}\nevent: ${event.replace(/[\r\n]/g, '')}\ndata: ${JSON.stringify(data)}\n\n`;

/** `GET /api/ball?id=…`: one ball id, as the history names balls. */
export function ballQuery(q: Record<string, unknown>): Parsed<string> {
  const extra = unknownOf(q, ['id']);
  if (extra !== undefined) return { ok: false, field: extra, message: 'unknown query parameter (known: id)' };
  const id = one(q, 'id');
  if (Array.isArray(id)) return { ok: false, field: 'id', message: 'given more than once' };
  if (id === undefined || id === '') return { ok: false, field: 'id', message: 'is required: the id of a ball (GET /api/balls lists them)' };
  if (id.length > 128) return { ok: false, field: 'id', message: 'is longer than a ball id (128 characters)' };
  return { ok: true, value: id };
}
