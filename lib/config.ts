/** Config is a function of the environment, read once; a bad value throws naming the variable. */
export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

export function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number,
  range: { min?: number; max?: number } = {}): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  const v = Number(raw);
  if (range.min !== undefined && v < range.min) throw new ConfigError(name, `must be ≥ ${range.min}, got ${v}`);
  if (range.max !== undefined && v > range.max) throw new ConfigError(name, `must be ≤ ${range.max}, got ${v}`);
  return v;
}

export function stringFrom(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const raw = env[name];
  return raw === undefined || raw === '' ? fallback : raw;
}

/** This pod's name: POD_NAME when the runtime sets it, else the hostname (a pod's hostname is its name). */
export const podName = (env: NodeJS.ProcessEnv, hostname: () => string): string =>
  env.POD_NAME || env.HOSTNAME || hostname();

/** Default body limit: 1 MiB, as Knative's own function runtimes use. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;
