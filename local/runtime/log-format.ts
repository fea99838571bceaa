/**
 * What `pingpong up` prints for its own log and its pods' output: JSON lines (`--log-format
 * json`, the default when stdout is not a terminal), or one short readable line per event
 * (`pretty`, the default on a terminal), both rendered by the same printer (lib/log-pretty.ts).
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { prettyPrinter, type LogRecord, type Printer } from '../../lib/log-pretty.js';
import { Refusal } from '../../lib/refusal.js';
import type { LogSink, PodLine } from '../serving/pod.js';

export const LOG_FORMATS = ['pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Readable on a terminal; JSON lines for a pipe or a file, where a program reads them. */
export function defaultLogFormat(stdout: { isTTY?: boolean }): LogFormat {
  return stdout.isTTY ? 'pretty' : 'json';
}

/**
 * The runtime's level: `LOG_LEVEL`, else info — scaling, rollouts, pod births and deaths, dead
 * letters and the functions' events, in both formats (the same events; only their form differs).
 * The runtime's plumbing (database setup, listeners, each PingSource send, each delivery) logs
 * at debug.
 */
export function logLevel(env: NodeJS.ProcessEnv): LevelWithSilent {
  const raw = env.LOG_LEVEL?.trim();
  if (!raw) return 'info';
  const levels = [...Object.keys(pino.levels.values), 'silent'];
  if (!levels.includes(raw)) throw new Refusal('LOG_LEVEL', `must be one of ${levels.join(', ')}, got "${raw}"`);
  return raw as LevelWithSilent;
}

/** Colours only on a terminal, unless NO_COLOR or FORCE_COLOR say otherwise (the usual rules). */
export function useColors(stdout: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if ('NO_COLOR' in env) return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0';
  return Boolean(stdout.isTTY) && env.TERM !== 'dumb';
}

export interface OutputOptions {
  format: LogFormat;
  level: LevelWithSilent;
  colorize?: boolean;
  /** Where the lines go (default: stdout, which is synchronous for files, pipes and terminals on Linux). */
  write?: (text: string) => void;
}

const stdout = (text: string) => void process.stdout.write(text);

/**
 * A pod's line as a record: its own JSON line if it is one (with `pod` added if it has none),
 * else the text tagged with the pod — info on stdout, warn on stderr (a crash, a warning from
 * node). `asIs` says the line already is the JSON line to print.
 */
export function podRecord(from: PodLine, now: Date = new Date()): { record: LogRecord; asIs: boolean } {
  const text = from.text.trim();
  if (text.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        const record = parsed as LogRecord;
        return typeof record.pod === 'string' ? { record, asIs: true } : { record: { ...record, pod: from.pod }, asIs: false };
      }
    } catch { /* not JSON: shown as text */ }
  }
  return { record: { level: from.stream === 'stderr' ? 40 : 30, time: now.toISOString(), pod: from.pod, msg: from.text }, asIs: false };
}

/** The runtime's output: its logger and the sink its pods' lines go to, in one format. */
export interface RuntimeOutput {
  log: Logger;
  podSink: LogSink;
}

export function runtimeOutput(opts: OutputOptions): RuntimeOutput {
  const write = opts.write ?? stdout;
  const printer: Printer | undefined = opts.format === 'pretty' ? prettyPrinter({ colorize: opts.colorize ?? false }) : undefined;
  const log = pino({ name: 'pingpong', level: opts.level, timestamp: pino.stdTimeFunctions.isoTime },
    { write: printer ? (line: string) => write(printer(line)) : write });
  const min = opts.level === 'silent' ? Infinity : pino.levels.values[opts.level] ?? 30;
  const podSink: LogSink = (line, from) => {
    if (!from) return write(`${line}\n`);
    const { record, asIs } = podRecord(from);
    if ((typeof record.level === 'number' ? record.level : 30) < min) return;
    if (printer) return write(printer(record));
    write(`${asIs ? from.text.trim() : JSON.stringify(record)}\n`);
  };
  return { log, podSink };
}
