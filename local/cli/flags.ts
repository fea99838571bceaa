import { parseArgs } from 'node:util';
import { parseGoDuration } from '../../lib/manifests/durations.js';

/** Everything `pingpong up` can be told; each flag also reads from an environment variable. */
export interface UpOptions {
  files: string[];
  gatewayPort: number;
  brokerPort: number;
  apiPort: number;
  dataDir: string;
  stableWindowMs: number;
}

export interface StatusOptions { dataDir: string; json: boolean }

export class FlagError extends Error {
  constructor(readonly flag: string, message: string) {
    super(`${flag}: ${message}`);
    this.name = 'FlagError';
  }
}

/** flag → environment variable; documented in `pingpong --help` and the README. */
export const ENV = {
  'gateway-port': 'PINGPONG_GATEWAY_PORT',
  'broker-port': 'PINGPONG_BROKER_PORT',
  'api-port': 'PINGPONG_API_PORT',
  'data-dir': 'PINGPONG_DATA_DIR',
  'stable-window': 'PINGPONG_STABLE_WINDOW',
  file: 'PINGPONG_FILES',
} as const;

export const DEFAULTS = { 'gateway-port': '8080', 'broker-port': '8081', 'api-port': '6443', 'data-dir': '.local', 'stable-window': '60s' };

function port(flag: string, raw: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535) {
    throw new FlagError(`--${flag}`, `must be a port number from 1 to 65535, got "${raw}"`);
  }
  return Number(raw);
}

function window(raw: string): number {
  const seconds = parseGoDuration(raw.trim());
  const ms = seconds === undefined ? undefined : seconds * 1000;
  // Knative accepts a stable window from 6s; locally shorter ones are allowed so a demo is quick.
  if (ms === undefined) throw new FlagError('--stable-window', `must be a duration like 60s, 10s or 1m30s, got "${raw}"`);
  if (ms < 1000 || ms > 3_600_000) throw new FlagError('--stable-window', `must be between 1s and 1h, got "${raw}"`);
  return ms;
}

/** cli ?? env ?? default, validated; a bad value names the flag. */
export function parseUp(argv: string[], env: NodeJS.ProcessEnv): UpOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        file: { type: 'string', short: 'f', multiple: true },
        'gateway-port': { type: 'string' },
        'broker-port': { type: 'string' },
        'api-port': { type: 'string' },
        'data-dir': { type: 'string' },
        'stable-window': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new FlagError('up', (e as Error).message);
  }
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
  };
  if (opts.dataDir.trim() === '') throw new FlagError('--data-dir', 'must not be empty');
  const ports = [['--gateway-port', opts.gatewayPort], ['--broker-port', opts.brokerPort], ['--api-port', opts.apiPort]] as const;
  for (let i = 0; i < ports.length; i++) {
    for (let j = i + 1; j < ports.length; j++) {
      if (ports[i]![1] === ports[j]![1]) throw new FlagError(ports[j]![0], `must differ from ${ports[i]![0]} (both ${ports[i]![1]})`);
    }
  }
  return opts;
}

export function parseStatus(argv: string[], env: NodeJS.ProcessEnv): StatusOptions {
  try {
    const { values } = parseArgs({ args: argv, options: { 'data-dir': { type: 'string' }, json: { type: 'boolean' } }, strict: true });
    return { dataDir: values['data-dir'] ?? env[ENV['data-dir']] ?? DEFAULTS['data-dir'], json: values.json ?? false };
  } catch (e) {
    throw new FlagError('status', (e as Error).message);
  }
}
