import { ConfigError, DEFAULT_BODY_LIMIT, intFrom } from '../../lib/config.js';

export interface RecordHopConfig {
  /** The writer's URL (pingpong_writer): INSERT/UPDATE/SELECT on the history, nothing else. */
  databaseUrl: string;
  bodyLimit: number;
  /** Connections to the database; deliveries beyond it wait for one (up to 2 s, then 503). */
  poolMax: number;
}

/** record-hop's settings, read once from the environment; a bad value throws naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): RecordHopConfig {
  const databaseUrl = env.DATABASE_URL?.trim();
  if (!databaseUrl) throw new ConfigError('DATABASE_URL', 'is required: the URL of the history database (the writer user)');
  return Object.freeze({
    databaseUrl,
    bodyLimit: intFrom(env, 'BODY_LIMIT', DEFAULT_BODY_LIMIT, { min: 1 }),
    poolMax: intFrom(env, 'DB_POOL_MAX', 5, { min: 1, max: 100 }),
  });
}
