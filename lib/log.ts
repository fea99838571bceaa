import { pino, type Logger } from 'pino';

/** One JSON line per event, tagged with the pod, so interleaved pod logs stay readable. */
export function createLogger(name: string, env: NodeJS.ProcessEnv = process.env): Logger {
  return pino({
    name,
    level: env.LOG_LEVEL ?? 'info',
    base: { pod: env.POD_NAME ?? env.HOSTNAME ?? name },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
export type { Logger };
