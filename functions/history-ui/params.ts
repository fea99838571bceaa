/**
 * What the history UI's endpoints accept, pure: each query parameter checked by its own parser, a
 * refusal naming the parameter (a 400), and a parameter the endpoint does not know refused too,
 * so a typo is not silently ignored.
 */
import type { BallRecord } from '../../lib/db/history-read.js';
import type { PodEventRecord } from '../../lib/db/history-panels.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; field: string; message: string };
type Parser<T> = (raw: string) => { ok: true; value: T } | { ok: false; message: string };

export const MAX_PAGE = 500;
const DEFAULT_PAGE = 50;
const show = (raw: string) => `"${raw.slice(0, 40)}"`;

const limit: Parser<number> = (raw) => /^\d{1,4}$/.test(raw) && Number(raw) >= 1 && Number(raw) <= MAX_PAGE
  ? { ok: true, value: Number(raw) } : { ok: false, message: `must be a whole number from 1 to ${MAX_PAGE}, got ${show(raw)}` };
const position: Parser<number> = (raw) => /^\d{1,15}$/.test(raw)
  ? { ok: true, value: Number(raw) } : { ok: false, message: `must be a feed position (a whole number), got ${show(raw)}` };
const oneOf = <T extends string>(values: readonly T[]): Parser<T> => (raw) => (values as readonly string[]).includes(raw)
  ? { ok: true, value: raw as T } : { ok: false, message: `must be one of ${values.join(', ')}, got ${show(raw)}` };
/** A name as Kubernetes and the history spell them: a pod, a ball id, an event type. */
const name = (what: string, max: number): Parser<string> => (raw) => raw.length >= 1 && raw.length <= max
  ? { ok: true, value: raw } : { ok: false, message: raw ? `is longer than ${what} (${max} characters)` : `is empty: give ${what}` };
const bool: Parser<boolean> = (raw) => raw === 'true' || raw === 'false'
  ? { ok: true, value: raw === 'true' } : { ok: false, message: `must be true or false, got ${show(raw)}` };

/** The parameters of one endpoint, each optional, checked by its parser. */
function parse<S extends Record<string, Parser<unknown>>>(q: Record<string, unknown>, spec: S):
  Parsed<{ [K in keyof S]?: S[K] extends Parser<infer T> ? T : never }> {
  const known = Object.keys(spec);
  const extra = Object.keys(q).find((k) => !known.includes(k));
  if (extra !== undefined) return { ok: false, field: extra, message: `unknown query parameter (known: ${known.join(', ')})` };
  const value: Record<string, unknown> = {};
  for (const [field, parser] of Object.entries(spec)) {
    const v = q[field];
    if (v === undefined) continue;
    if (Array.isArray(v)) return { ok: false, field, message: 'given more than once' };
    if (typeof v !== 'string') return { ok: false, field, message: 'must be a plain value' };
    const r = parser(v);
    if (!r.ok) return { ok: false, field, message: r.message };
    value[field] = r.value;
  }
  return { ok: true, value: value as { [K in keyof S]?: S[K] extends Parser<infer T> ? T : never } };
}

const withLimit = <T extends { limit?: number }>(p: Parsed<T>): Parsed<T & { limit: number }> =>
  p.ok ? { ok: true, value: { ...p.value, limit: p.value.limit ?? DEFAULT_PAGE } } : p;

const POD = name('a pod name', 253);

/** `GET /api/balls?limit=N&status=…&worker=POD&before=BALL-ID`. */
export const ballsQuery = (q: Record<string, unknown>) => withLimit(parse(q, {
  limit, status: oneOf<BallRecord['status']>(['served', 'landed', 'dropped']), worker: POD, before: name('a ball id', 128),
}));

/** The panels paged by feed position: `?limit=N&before=SEQ` and each panel's own filters. */
export const PANELS = {
  'scale-changes': {},
  'pod-events': { pod: POD, kind: oneOf<PodEventRecord['kind']>(['born', 'updated', 'died']) },
  'pod-snapshots': {},
  pongs: { pod: POD, ok: bool },
  'coin-flips': {},
  'dead-letters': { type: name('an event type', 256) },
} as const;
export const panelQuery = <P extends keyof typeof PANELS>(panel: P, q: Record<string, unknown>) =>
  withLimit(parse(q, { limit, before: position, ...PANELS[panel] }));

/** `GET /api/ball?id=…`: one ball id, as the history names balls. */
export function ballQuery(q: Record<string, unknown>): Parsed<string> {
  if (q.id === undefined || q.id === '') {
    const extra = Object.keys(q).find((k) => k !== 'id');
    return { ok: false, field: extra ?? 'id', message: extra ? 'unknown query parameter (known: id)' : 'is required: the id of a ball (GET /api/balls lists them)' };
  }
  const p = parse(q, { id: name('a ball id', 128) });
  return p.ok ? { ok: true, value: p.value.id! } : p;
}

/**
 * Where a stream resumes: the `Last-Event-ID` a reconnecting EventSource sends, else `?since=`,
 * else undefined (from now: a fresh page reads the panels itself).
 */
export function resumeFrom(lastEventId: string | undefined, q: Record<string, unknown>): Parsed<number | undefined> {
  const p = parse(q, { since: (raw) => (raw === '' ? { ok: true, value: undefined } : position(raw)) });
  if (!p.ok) return p;
  if (lastEventId === undefined || lastEventId === '') return { ok: true, value: p.value.since };
  const r = position(lastEventId);
  return r.ok ? r : { ok: false, field: 'Last-Event-ID', message: r.message };
}

/** One Server-Sent Event: its id (the feed position), its type and one line of JSON data. */
export const sseEvent = (id: number | undefined, event: string, data: unknown): string =>
  `${id === undefined ? '' : `id: ${id}\n`}event: ${event.replace(/[\r\n]/g, '')}\ndata: ${JSON.stringify(data)}\n\n`;
