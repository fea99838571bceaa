/**
 * The readable form of the project's log lines: one short line per event — time, pod, what
 * happened — e.g. `18:41:07  forward-00001-deployment-x7k2  ball WBoUeZ…b.0  hop 2  thrown → forward`.
 *
 * The JSON lines (pino, `lib/log.ts`) stay the record and keep every field; pino-pretty renders
 * them (`prettyFactory`, its `messageFormat`, `ignore` and `hideObject` options), and this file
 * only says how the structured fields the functions and the runtime log read as a few words.
 * Nothing here writes or reads anything but its arguments.
 */
import { prettyFactory, type PrettyOptions } from 'pino-pretty';

/** A parsed log line: pino's fields (`level`, `time`, `msg`) and whatever the caller logged. */
export type LogRecord = Record<string, unknown>;

/** Colour functions (pino-pretty's colorette); identity when colours are off. */
export interface Colors { gray(s: string): string; yellow(s: string): string; red(s: string): string; bold(s: string): string }

const plain: Colors = { gray: (s) => s, yellow: (s) => s, red: (s) => s, bold: (s) => s };

/** Fields every line has or that the short line already shows: not repeated as `key=value`. */
const SHOWN = new Set(['level', 'time', 'pid', 'hostname', 'name', 'pod', 'part', 'msg', 'v', 'ms', 'source']);

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** `HH:MM:ss`, local time, from pino's epoch milliseconds or an ISO time; '--:--:--' if neither. */
export function clock(time: unknown): string {
  const d = typeof time === 'number' || typeof time === 'string' ? new Date(time) : undefined;
  if (!d || Number.isNaN(d.getTime())) return '--:--:--';
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/**
 * An id short enough to read and still tell balls apart: the 16-character digest of a derived id
 * (`lib/contract/ids.ts`) keeps 6 characters and its suffix (`WBoUeZkkGOnKkuLf.b.0` →
 * `WBoUeZ…b.0`); another long id keeps its first 8; a short one stays whole.
 */
export function shortId(id: string): string {
  const derived = /^([A-Za-z0-9_-]{16})\.(.+)$/.exec(id);
  if (derived) return `${derived[1]!.slice(0, 6)}…${derived[2]}`;
  return id.length > 12 ? `${id.slice(0, 8)}…` : id;
}

/** An event type without the common prefix: `dev.pingpong.ball.thrown` → `ball.thrown`. */
export function shortType(type: string): string {
  return type.replace(/^dev\.pingpong\./, '').replace(/^dev\.knative\.sources\./, '').replace(/^dev\.knative\./, '');
}

/** `http://record-hop.pingpong.svc.cluster.local/x` → `record-hop.pingpong`; other text as it is. */
function shortUrl(url: string): string {
  try {
    const u = new URL(url);
    return u.host.replace(/\.svc\.cluster\.local$/, '') + (u.pathname === '/' ? '' : u.pathname);
  } catch {
    return url;
  }
}

/** Who a line is about: the pod, else the revision or Service, else the runtime part. */
export function subjectOf(log: LogRecord): string {
  const service = str(log.service)?.replace(/^[^/]+\//, '');
  return str(log.pod) ?? str(log.revision) ?? service ?? str(log.part) ?? str(log.name) ?? '-';
}

/** One value as text with no JSON braces: arrays joined, `{field, message}` as `field: message`. */
function valueText(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return v.map(valueText).join(', ');
  if (typeof v === 'object') {
    const o = v as LogRecord;
    if (typeof o.field === 'string' && typeof o.message === 'string') return `${o.field}: ${o.message}`;
    return Object.entries(o).map(([k, x]) => `${k}=${valueText(x)}`).join(' ');
  }
  const s = String(v);
  // A stack or other multi-line text: its first line (the JSON line keeps the rest).
  return s.includes('\n') ? `${s.split('\n', 1)[0]} …` : s;
}

/** The fields not shown otherwise, as `key=value`, for a line this file has no words for. */
function details(log: LogRecord, skip: readonly string[] = []): string {
  return Object.entries(log)
    .filter(([k, v]) => !SHOWN.has(k) && !skip.includes(k) && v !== undefined)
    .map(([k, v]) => `${k}=${valueText(v)}`)
    .join(' ');
}

const join = (...parts: Array<string | undefined | false>): string => parts.filter(Boolean).join('  ');
const ball = (log: LogRecord): string | undefined => {
  const id = str(log.ballId);
  if (!id) return undefined;
  const hop = num(log.hop);
  return hop === undefined ? `ball ${shortId(id)}` : `ball ${shortId(id)}  hop ${hop}`;
};
const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** Targets with how often each was picked: `a ×2, b`. */
function tally(names: string[]): string {
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  return [...counts].map(([n, c]) => (c > 1 ? `${n} ×${c}` : n)).join(', ');
}

/** A function's `handled` line (lib/cloudevents/adapter.ts), from what its handler noted. */
function handled(log: LogRecord): string {
  const outcome = str(log.outcome);
  // forward: where the ball went.
  if (outcome === 'thrown' || outcome === 'landed' || outcome === 'dropped') {
    const to = outcome === 'thrown' && str(log.to) ? ` → ${log.to}` : '';
    const why = outcome === 'dropped' && str(log.reason) ? `: ${log.reason}` : '';
    return join(ball(log), `${outcome}${to}${why}`);
  }
  // ping: the balls it served and whom they are aimed at.
  const served = num(log.served);
  if (served !== undefined) {
    const balls = Array.isArray(log.balls) ? log.balls.filter((b): b is string => typeof b === 'string') : [];
    const targets = Array.isArray(log.targets) ? log.targets.filter((b): b is string => typeof b === 'string') : [];
    const which = served === 1 && balls[0] ? `ball ${shortId(balls[0])}` : plural(served, 'ball');
    return `served ${which}${targets.length ? ` → ${tally(targets)}` : ''}`;
  }
  // record-hop: what it stored, or why not.
  const record = str(log.record);
  if (record) {
    const what = join(str(log.type) && shortType(String(log.type)), ball(log));
    if (record === 'duplicate') return `already recorded ${what}`;
    if (record === 'ignored') return `ignored ${what}${str(log.reason) ? `: ${log.reason}` : ''}`;
    const tables = Array.isArray(log.tables) ? ` (${log.tables.join(', ')})` : '';
    return `recorded ${what}${tables}`;
  }
  // coin-flip: the heads asked for and the flips it took.
  const heads = num(log.heads);
  const flips = num(log.flips);
  if (heads !== undefined && flips !== undefined) return `${plural(heads, 'head')} in a row took ${plural(flips, 'flip')}`;
  // Anything else: the event, the status and the reply's type.
  const what = [str(log.type) && shortType(String(log.type)), str(log.id) && shortId(String(log.id)), str(log.route)].filter(Boolean).join(' ');
  const reply = log.reply && typeof log.reply === 'object' ? str((log.reply as LogRecord).type) : undefined;
  return join(`handled ${what}`.trim(), `${log.status ?? ''}${reply ? ` → ${shortType(reply)}` : ''}`.trim(),
    details(log, ['type', 'id', 'route', 'status', 'reply']));
}

/** A function's failed event: `ball.landed WBoUeZ…b.0.0.landed  503 hop 0 … is not recorded yet: retry later`. */
function failed(log: LogRecord): string {
  const what = [str(log.type) && shortType(String(log.type)), str(log.id) && shortId(String(log.id)), str(log.route)].filter(Boolean).join(' ');
  const why = log.err !== undefined ? valueText(log.err) : log.errors !== undefined ? valueText(log.errors) : String(log.msg);
  return join(what, `${log.status ?? ''} ${why}`.trim(), ball(log));
}

const addr = (log: LogRecord): string => (str(log.ip) && num(log.port) !== undefined ? `${log.ip}:${log.port}` : '');

/** Words for the lines of the runtime (local/serving, local/broker) and the functions. */
const WORDS: Record<string, (log: LogRecord) => string> = {
  handled,
  'pod born': (l) => join(`born on ${addr(l)}`, num(l.pid) !== undefined && `pid ${l.pid}`),
  'pod ready': (l) => `ready on ${addr(l)}`,
  'pod died': (l) => `died on ${addr(l)} (${str(l.exit) ?? 'gone'}${l.expected === false ? ', unexpectedly' : ''})`,
  'revision created': () => 'revision created',
  'revision ready': () => 'revision ready',
  'traffic moved to revision': (l) => `traffic → ${String(l.to)}${str(l.from) ? ` (was ${l.from})` : ''}`,
  'scaled up': (l) => `scaled up ${String(l.from)} → ${String(l.to)}`,
  'scaled down': (l) => `scaled down ${String(l.from)} → ${String(l.to)}`,
  'activating from zero': () => 'scaling from zero: a request is waiting',
  'broker closing: queued and in-flight deliveries dropped': (l) => {
    const n = num(l.dropped) ?? 0;
    return `closing: ${n} ${n === 1 ? 'delivery' : 'deliveries'} dropped (queued or in flight)`;
  },
  // The adapter's failures: the event, the status and why.
  'transient failure, the sender should retry': failed,
  rejected: failed,
  failed,
  'dead-lettered': (l) => join(
    `dead letter ${str(l.type) ? shortType(String(l.type)) : ''} ${str(l.id) ? shortId(String(l.id)) : ''}`.replace(/\s+/g, ' ').trim(),
    `${str(l.trigger) ? `trigger ${l.trigger}` : ''}${str(l.reason) ? `: ${l.reason}` : ''}`,
    str(l.sink) && `→ ${shortUrl(String(l.sink))}`),
};

/** What happened, in a few words, from the structured fields (never JSON). */
export function eventText(log: LogRecord): string {
  const msg = typeof log.msg === 'string' ? log.msg : '';
  const words = WORDS[msg];
  if (words) return words(log);
  const about = [str(log.type) && shortType(String(log.type)), str(log.id) && shortId(String(log.id))].filter(Boolean).join(' ');
  return join(msg, about, details(log, ['type', 'id']));
}

const LABELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/**
 * The short line for one record, without its end of line: time, subject, then the level for
 * anything but info, then what happened.
 */
export function shortLine(log: LogRecord, colors: Colors = plain): string {
  const level = num(log.level) ?? 30;
  const label = LABELS[level];
  const tint = level >= 50 ? colors.red : level >= 40 ? colors.yellow : colors.gray;
  return join(colors.gray(clock(log.time)), colors.bold(subjectOf(log)), label && tint(label), eventText(log));
}

/**
 * pino-pretty's options for the short line: the whole line comes from `messageFormat`; time,
 * level and pino's own fields are left out of pino-pretty's prefix, and other fields are not
 * printed below it (`hideObject`): the JSON form has them.
 */
export function prettyOptions(opts: { colorize: boolean }): PrettyOptions {
  return {
    colorize: opts.colorize,
    messageFormat: (log, _key, _label, extras) => shortLine(log, extras.colors),
    ignore: 'time,level,pid,hostname,name',
    hideObject: true,
    singleLine: true,
  };
}

/** Renders one pino JSON line (or a record) as its short line, with the end of line. */
export type Printer = (line: string | LogRecord) => string;

/** pino-pretty's printer with `prettyOptions`. */
export function prettyPrinter(opts: { colorize: boolean }): Printer {
  const pretty = prettyFactory(prettyOptions(opts));
  return (line) => {
    const out = pretty(line);
    return out.endsWith('\n') ? out : `${out}\n`;
  };
}
