import type { Request, Response, HttpFunction } from '@google-cloud/functions-framework';
import { createPool } from '../../lib/db/pool.js';
import type { Logger } from '../../lib/log.js';

/** A probe's answer must come within the kubelet's default timeoutSeconds (1 s). */
const CHECK_TIMEOUT_MS = 800;

export interface Readiness {
  /** Whether the database answers now; why not when it does not. */
  check(): Promise<{ ok: true } | { ok: false; why: string }>;
  close(): Promise<void>;
}

/**
 * record-hop is ready while its database answers: a pod that can only answer 503 should take no
 * deliveries, so the activator holds them (or sends them to a pod that can write) until it
 * answers again. Its own one-connection pool, so a busy history pool never fails the probe.
 */
export function databaseReadiness(url: string, log: Logger): Readiness {
  const pool = createPool(url, { max: 1, connectionTimeoutMillis: CHECK_TIMEOUT_MS, queryTimeoutMillis: CHECK_TIMEOUT_MS,
    applicationName: 'record-hop readiness', log });
  let wasOk = true;
  return {
    async check() {
      try {
        await pool.query('SELECT 1');
        if (!wasOk) log.info('history database reachable again: ready');
        wasOk = true;
        return { ok: true };
      } catch (e) {
        const why = `history database unreachable: ${e instanceof Error ? e.message : String(e)}`;
        // Once per outage, not once per probe.
        if (wasOk) log.warn({ err: why }, 'not ready');
        wasOk = false;
        return { ok: false, why };
      }
    },
    close: () => pool.end(),
  };
}

/** `GET /healthz` answered from `readiness` (503 with the reason when not ready); the rest by `app`. */
export function withReadiness(app: HttpFunction, readiness: Readiness): HttpFunction {
  return async (req: Request, res: Response) => {
    if (req.method !== 'GET' || req.path !== '/healthz') return app(req, res);
    const r = await readiness.check();
    if (r.ok) res.status(200).type('text/plain').send('ok\n');
    else res.status(503).type('text/plain').send(`${r.why}\n`);
  };
}
