import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseGoDuration } from '../../lib/manifests/durations.js';
import { Refusal } from '../../lib/refusal.js';
import { LOG_FORMATS, type LogFormat } from '../runtime/log-format.js';
import type { UpOptions } from '../runtime/options.js';


export interface StatusOptions { dataDir: string; json: boolean }

/** A bad flag value: one line naming the flag, exit 2. */
export class FlagError extends Refusal {
  constructor(readonly flag: string, message: string) {
    super(flag, message);
    this.name = 'FlagError';
  }
}

/** parseArgs, with what it refuses (an unknown flag, a missing value) as a FlagError naming the command. */
function parseFlags<T extends ParseArgsConfig>(command: string, config: T) {
  try {
    return parseArgs(config);
  } catch (e) {
    throw new FlagError(command, (e as Error).message);
  }
}

/** flag → environment variable; documented in `pingpong --help` and the README. */
export const ENV = {
  'gateway-port': 'PINGPONG_GATEWAY_PORT',
  'broker-port': 'PINGPONG_BROKER_PORT',
  'api-port': 'PINGPONG_API_PORT',
  'data-dir': 'PINGPONG_DATA_DIR',
  'stable-window': 'PINGPONG_STABLE_WINDOW',
  'log-format': 'PINGPONG_LOG_FORMAT',
  'broker-duplicate': 'PINGPONG_BROKER_DUPLICATE',
  'broker-reorder': 'PINGPONG_BROKER_REORDER',
  file: 'PINGPONG_FILES',
} as const;

export const DEFAULTS = { 'gateway-port': '8080', 'broker-port': '8081', 'api-port': '6443', 'data-dir': '.local', 'stable-window': '60s' };

function port(flag: string, raw: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535) {
    throw new FlagError(`--${flag}`, `must be a port number from 1 to 65535, got "${raw}"`);
  }
  return Number(raw);
}

/** A duration flag (Go's syntax, as Knative's annotations) in ms, from `minMs` to an hour. */
function durationFlag(flag: string, raw: string, minMs: number, example: string): number {
  const seconds = parseGoDuration(raw.trim());
  if (seconds === undefined) throw new FlagError(`--${flag}`, `must be a duration like ${example}, got "${raw}"`);
  const ms = seconds * 1000;
  if (ms < minMs || ms > 3_600_000) throw new FlagError(`--${flag}`, `must be between ${minMs / 1000}s and 1h, got "${raw}"`);
  return ms;
}

/** A boolean flag, or its environment variable: 1/true/yes or 0/false/no (or empty). */
function switchOn(flag: 'broker-duplicate' | 'broker-reorder', value: boolean | undefined, env: NodeJS.ProcessEnv): boolean {
  if (value !== undefined) return value;
  const raw = env[ENV[flag]]?.trim().toLowerCase();
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false' || raw === 'no') return false;
  if (raw === '1' || raw === 'true' || raw === 'yes') return true;
  throw new FlagError(`--${flag}`, `${ENV[flag]} must be 1, true or yes (or 0, false, no), got "${env[ENV[flag]]}"`);
}

// Knative accepts a stable window from 6s; locally shorter ones are allowed so a demo is quick.
const window = (raw: string): number => durationFlag('stable-window', raw, 1000, '60s, 10s or 1m30s');

/** cli ?? env ?? default, validated; a bad value names the flag. */
export function parseUp(argv: string[], env: NodeJS.ProcessEnv): UpOptions {
  const { values } = parseFlags('up', {
    args: argv,
    options: {
      file: { type: 'string', short: 'f', multiple: true },
      'gateway-port': { type: 'string' },
      'broker-port': { type: 'string' },
      'api-port': { type: 'string' },
      'data-dir': { type: 'string' },
      'stable-window': { type: 'string' },
      'log-format': { type: 'string' },
      reset: { type: 'boolean' },
      'broker-duplicate': { type: 'boolean' },
      'broker-reorder': { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  });
  const pick = (flag: keyof typeof DEFAULTS): string =>
    (values[flag] as string | undefined) ?? env[ENV[flag]] ?? DEFAULTS[flag];
  const envFiles = env[ENV.file]?.split(',').map((f) => f.trim()).filter(Boolean) ?? [];
  const opts: UpOptions = {
    files: (values.file as string[] | undefined) ?? envFiles,
    gatewayPort: port('gateway-port', pick('gateway-port')),
    brokerPort: port('broker-port', pick('broker-port')),
    apiPort: port('api-port', pick('api-port')),
    dataDir: pick('data-dir'),
    stableWindowMs: window(pick('stable-window')),
    reset: values.reset === true,
  };
  for (const [flag, key] of [['broker-duplicate', 'brokerDuplicate'], ['broker-reorder', 'brokerReorder']] as const) {
    if (switchOn(flag, values[flag] as boolean | undefined, env)) opts[key] = true;
  }
  if (opts.dataDir.trim() === '') throw new FlagError('--data-dir', 'must not be empty');
  const format = (values['log-format'] as string | undefined) ?? env[ENV['log-format']];
  if (format !== undefined) {
    if (!(LOG_FORMATS as readonly string[]).includes(format)) {
      throw new FlagError('--log-format', `must be ${LOG_FORMATS.join(' or ')}, got "${format}"`);
    }
    opts.logFormat = format as LogFormat;
  }
  const ports = [['--gateway-port', opts.gatewayPort], ['--broker-port', opts.brokerPort], ['--api-port', opts.apiPort]] as const;
  for (let i = 0; i < ports.length; i++) {
    for (let j = i + 1; j < ports.length; j++) {
      if (ports[i]![1] === ports[j]![1]) throw new FlagError(ports[j]![0], `must differ from ${ports[i]![0]} (both ${ports[i]![1]})`);
    }
  }
  return opts;
}

export function parseStatus(argv: string[], env: NodeJS.ProcessEnv): StatusOptions {
  const { values } = parseFlags('status', { args: argv, options: { 'data-dir': { type: 'string' }, json: { type: 'boolean' } }, strict: true });
  return { dataDir: values['data-dir'] ?? env[ENV['data-dir']] ?? DEFAULTS['data-dir'], json: values.json ?? false };
}

/** `pingpong balls`: recent balls, or the balls one request made (its ce-source and ce-id). */
export interface BallsOptions { dataDir: string; json: boolean; last?: number; request?: { source: string; id: string } }

/** `pingpong ball ID`: one ball, hop by hop. */
export interface BallOptions { dataDir: string; json: boolean; id: string }

/** How many balls `pingpong balls` lists when not asked for one request's. */
export const DEFAULT_LAST = 20;

function nonEmpty(flag: string, raw: string | undefined): string | undefined {
  if (raw !== undefined && raw.trim() === '') throw new FlagError(`--${flag}`, 'must not be empty');
  return raw;
}

/**
 * `balls [--last N] [--source S --id I] [--data-dir D] [--json]`. `--source` and `--id` name a
 * request together; its balls are listed all unless --last says otherwise, other lists show the
 * last 20.
 */
export function parseBalls(argv: string[], env: NodeJS.ProcessEnv): BallsOptions {
  const { values } = parseFlags('balls', {
    args: argv,
    options: {
      'data-dir': { type: 'string' }, json: { type: 'boolean' }, last: { type: 'string' },
      source: { type: 'string' }, id: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  let last: number | undefined;
  if (values.last !== undefined) {
    if (!/^\d+$/.test(values.last) || Number(values.last) < 1 || Number(values.last) > 1000) {
      throw new FlagError('--last', `must be a whole number from 1 to 1000, got "${values.last}"`);
    }
    last = Number(values.last);
  }
  const source = nonEmpty('source', values.source);
  const id = nonEmpty('id', values.id);
  if (source !== undefined && id === undefined) throw new FlagError('--id', 'is needed with --source: the ce-id of the request');
  if (id !== undefined && source === undefined) throw new FlagError('--source', 'is needed with --id: the ce-source of the request');
  const opts: BallsOptions = { dataDir: values['data-dir'] ?? env[ENV['data-dir']] ?? DEFAULTS['data-dir'], json: values.json ?? false };
  if (source !== undefined && id !== undefined) opts.request = { source, id };
  const limit = last ?? (opts.request ? undefined : DEFAULT_LAST);
  if (limit !== undefined) opts.last = limit;
  return opts;
}

/**
 * Ball ids are base64url digests, so one may begin with '-' (`-I2ttOn9m8TeBPZY.b.0`): anything
 * that is not a long flag is the id, put after `--` so parseArgs does not read it as options.
 */
function idsLast(argv: readonly string[], valued: readonly string[]): string[] {
  const flags: string[] = [];
  const ids: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { ids.push(...argv.slice(i + 1)); break; }
    if (!a.startsWith('--')) { ids.push(a); continue; }
    flags.push(a);
    if (valued.includes(a) && i + 1 < argv.length) flags.push(argv[++i]!);
  }
  return [...flags, '--', ...ids];
}

/** `ball ID [--data-dir D] [--json]`. */
export function parseBall(argv: string[], env: NodeJS.ProcessEnv): BallOptions {
  const { values, positionals } = parseFlags('ball', {
    args: idsLast(argv, ['--data-dir']), options: { 'data-dir': { type: 'string' }, json: { type: 'boolean' } }, strict: true, allowPositionals: true,
  });
  if (positionals.length === 0 || positionals[0]!.trim() === '') throw new FlagError('ball', 'needs a ball ID (list them with: pingpong balls)');
  if (positionals.length > 1) throw new FlagError('ball', `takes one ball ID, got ${positionals.length}: ${positionals.join(' ')}`);
  return { dataDir: values['data-dir'] ?? env[ENV['data-dir']] ?? DEFAULTS['data-dir'], json: values.json ?? false, id: positionals[0]! };
}

/** `pingpong load`: drive one Service through the gateway and watch its pods scale. */
export interface LoadOptions {
  dataDir: string;
  service: string;
  namespace: string;
  /** Connections autocannon keeps busy, each with one request in flight. */
  concurrency: number;
  durationMs: number;
  /** How long to keep watching once the load stopped, waiting for the Service to reach zero. */
  watchAfterMs: number;
  method: string;
  path: string;
  /** undefined: no body (GET). */
  body?: string;
}

export const LOAD_DEFAULTS = {
  service: 'coin-flip', namespace: 'pingpong', concurrency: '8', duration: '30s', 'watch-after': '90s',
  method: 'POST', path: '/compute', body: '{"heads":20}',
} as const;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

const loadDuration = (flag: string, raw: string, minMs: number): number => durationFlag(flag, raw, minMs, '30s, 90s or 2m');

/**
 * `load [--service S] [--namespace NS] [--concurrency N] [--duration D] [--watch-after D]
 * [--method M] [--path P] [--body B] [--data-dir D]`: the defaults load coin-flip's /compute.
 */
export function parseLoad(argv: string[], env: NodeJS.ProcessEnv): LoadOptions {
  const { values } = parseFlags('load', {
    args: argv,
    options: {
      'data-dir': { type: 'string' }, service: { type: 'string' }, namespace: { type: 'string' },
      concurrency: { type: 'string' }, duration: { type: 'string' }, 'watch-after': { type: 'string' },
      method: { type: 'string' }, path: { type: 'string' }, body: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const pick = (flag: keyof typeof LOAD_DEFAULTS): string => (values[flag] as string | undefined) ?? LOAD_DEFAULTS[flag];
  const dataDir = nonEmpty('data-dir', values['data-dir']) ?? env[ENV['data-dir']] ?? DEFAULTS['data-dir'];
  for (const flag of ['service', 'namespace'] as const) {
    if (!DNS_LABEL.test(pick(flag))) throw new FlagError(`--${flag}`, `must be a Kubernetes name (lowercase letters, digits and '-', at most 63), got "${pick(flag)}"`);
  }
  const concurrency = pick('concurrency');
  if (!/^\d+$/.test(concurrency) || Number(concurrency) < 1 || Number(concurrency) > 1000) {
    throw new FlagError('--concurrency', `must be a whole number from 1 to 1000, got "${concurrency}"`);
  }
  const method = pick('method').toUpperCase();
  if (!METHODS.includes(method)) throw new FlagError('--method', `must be one of ${METHODS.join(', ')}, got "${pick('method')}"`);
  const urlPath = pick('path');
  if (!urlPath.startsWith('/') || /\s/.test(urlPath)) throw new FlagError('--path', `must be a URL path starting with / (no spaces), got "${urlPath}"`);
  if (method === 'GET' && values.body !== undefined) throw new FlagError('--body', 'is not sent with --method GET');
  const opts: LoadOptions = {
    dataDir,
    service: pick('service'),
    namespace: pick('namespace'),
    concurrency: Number(concurrency),
    durationMs: loadDuration('duration', pick('duration'), 1000),
    watchAfterMs: loadDuration('watch-after', pick('watch-after'), 0),
    method,
    path: urlPath,
  };
  if (method !== 'GET') opts.body = pick('body');
  return opts;
}
