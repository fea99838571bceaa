/**
 * A worker's peering: every `intervalSeconds` (read live from the table, so a new interval
 * applies without a restart) it pings each other live worker's `GET /ping`, logs the pong, and
 * sends `dev.pingpong.peer.ponged` to K_SINK. One round at a time: a slow round delays the next
 * instead of piling rounds up.
 */
import type { Logger } from '../../lib/log.js';
import { peerPonged } from '../../lib/contract/index.js';
import { sendEvent } from '../../lib/cloudevents/send.js';
import type { Peer } from '../../lib/kube/pods.js';

export interface PeeringDeps {
  self: string;
  log: Logger;
  /** The other live workers now. */
  others: () => Peer[];
  /** Seconds between rounds now; undefined while the table is unknown (no rounds then). */
  intervalSeconds: () => number | undefined;
  /** Where peer.ponged goes; without one the pongs are only logged. */
  sink?: string;
}

/** Longest a ping may take before it counts as not answered. */
const PING_TIMEOUT_MS = 2000;

async function ping(peer: Peer): Promise<{ ok: boolean; ms: number }> {
  const started = performance.now();
  try {
    const res = await fetch(`http://${peer.ip}:${peer.port}/ping`, { signal: AbortSignal.timeout(PING_TIMEOUT_MS) });
    const text = await res.text();
    return { ok: res.ok && text === 'pong\n', ms: Math.round((performance.now() - started) * 10) / 10 };
  } catch {
    return { ok: false, ms: Math.round(performance.now() - started) };
  }
}

/** One round: every peer pinged at once; resolves when all answered or timed out and were told. */
export async function peeringRound(deps: PeeringDeps, round: string): Promise<void> {
  await Promise.all(deps.others().map(async (peer) => {
    const { ok, ms } = await ping(peer);
    const address = `${peer.ip}:${peer.port}`;
    if (ok) deps.log.info({ peer: peer.name, address, ms }, `pong from ${peer.name} (${address}) in ${ms} ms`);
    // A peer starting up or draining may miss a round: told, and recorded as ok=false, not a warning.
    else deps.log.info({ peer: peer.name, address, ms }, `no pong from ${peer.name} (${address}) after ${ms} ms`);
    if (!deps.sink) return;
    try {
      await sendEvent(deps.sink, peerPonged(round, { from: deps.self, to: peer.name, address, ms, ok }));
    } catch (e) {
      deps.log.warn({ peer: peer.name, err: (e as Error).message }, 'peer.ponged not delivered');
    }
  }));
}

/** Starts the rounds; the returned function stops them. */
export function startPeering(deps: PeeringDeps): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const next = () => {
    if (stopped) return;
    const seconds = deps.intervalSeconds();
    // The table is re-read at each step, so a changed interval takes effect at the next round.
    const wait = (seconds ?? 1) * 1000;
    timer = setTimeout(async () => {
      if (deps.intervalSeconds() !== undefined) {
        // A round is named by its slot in time, so a peer.ponged id is the same if the round repeats.
        const round = String(Math.floor(Date.now() / wait));
        await peeringRound(deps, round).catch((e: unknown) => deps.log.warn({ err: (e as Error).message }, 'peering round failed'));
      }
      next();
    }, wait);
    timer.unref();
  };
  next();
  return () => { stopped = true; clearTimeout(timer); };
}
