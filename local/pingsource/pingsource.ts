/**
 * PingSources on one machine: a croner job per source that sends Knative's ping event to the
 * resolved sink, retrying as the PingSource adapter does, with no dead-letter sink.
 *
 * Before each send the adapter waits a random 0–499 ms, so many sources on one schedule do not
 * hit the sink at once; this keeps that delay (`maxSendDelayMs`, 500 by default; 0 turns it off).
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { Cron } from 'croner';
import type { Logger } from '../../lib/log.js';
import type { Resolve, Target } from '../types.js';
import { binaryMessage, type HttpMessage } from '../../lib/cloudevents/message.js';
import { post, TransportError } from '../broker/deliver.js';
import { cronSchedule, isRetriableSend, pingEvent, sendBackoffMs, SEND_RETRIES } from './event.js';
import type { KubeObject } from '../../lib/kube/object.js';

/** Sends one HTTP message; resolves with the status, throws when there was no answer. */
export type Send = (target: Target, message: HttpMessage) => Promise<number>;

export interface PingSourceOptions {
  sources: readonly KubeObject[];
  resolve: Resolve;
  log: Logger;
  /** How to send (default: POST in binary mode with node:http). */
  send?: Send;
  /** Upper bound of the random delay before each send (default 500 ms, Knative's). */
  maxSendDelayMs?: number;
  /** Base of the retry backoff (default 50 ms, Knative's). */
  backoffBaseMs?: number;
}

/** Counters for one PingSource, for `pingpong status`. */
export interface PingSourceStats {
  namespace: string;
  name: string;
  schedule: string;
  /** Next tick, or undefined when the schedule could not be read. */
  next?: string;
  sent: number;
  /** Ticks whose event was lost after the retries. */
  lost: number;
  error?: string;
}

export interface PingSources {
  /** Replaces the sources: new ones start, removed ones stop, changed ones restart. */
  update(sources: readonly KubeObject[]): void;
  stats(): PingSourceStats[];
  /** Stops every schedule and waits for sends under way (retry waits are cut short). */
  stop(): Promise<void>;
}

interface Running {
  key: string;
  fingerprint: string;
  source: KubeObject;
  cron?: Cron;
  schedule: string;
  error?: string;
  sent: number;
  lost: number;
}

/** Starts a cron job for each PingSource. A source with a bad schedule is logged and skipped. */
export function startPingSources(options: PingSourceOptions): PingSources {
  const { resolve, log } = options;
  const maxDelay = options.maxSendDelayMs ?? 500;
  const base = options.backoffBaseMs ?? 50;
  const agent = new http.Agent({ keepAlive: true });
  const send: Send = options.send ?? (async (target, message) => (await post(target, message, { agent, timeoutMs: 30_000 })).status);
  const running = new Map<string, Running>();
  const inFlight = new Set<Promise<void>>();
  const sleepers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  let stopped = false;

  const sleep = (ms: number) => (ms <= 0 || stopped ? Promise.resolve() : new Promise<void>((r) => {
    const s = { timer: setTimeout(() => { sleepers.delete(s); r(); }, ms), wake: r };
    sleepers.add(s);
  }));

  async function tick(r: Running): Promise<void> {
    const event = pingEvent(r.source, { id: randomUUID(), time: new Date() });
    const namespace = r.source.metadata.namespace ?? 'default';
    const what = { pingsource: r.key, id: event.attributes.id, type: event.attributes.type };
    await sleep(Math.floor(Math.random() * maxDelay));
    const message = binaryMessage(event);
    let status: number | undefined;
    for (let attempt = 1; attempt <= 1 + SEND_RETRIES && !stopped; attempt++) {
      if (attempt > 1) await sleep(sendBackoffMs(attempt - 1, base));
      if (stopped) break;
      const target = resolve(r.source.spec?.sink ?? {}, namespace);
      let reason: string;
      if (!target) {
        status = 404;
        reason = 'sink cannot be resolved';
      } else {
        try {
          status = await send(target, message);
          reason = `answered ${status}`;
        } catch (e) {
          if (!(e instanceof TransportError) && options.send === undefined) throw e;
          status = undefined;
          reason = (e as Error).message;
        }
      }
      if (status !== undefined && status >= 200 && status <= 299) {
        r.sent++;
        log.info({ ...what, status, attempt }, 'ping sent');
        return;
      }
      const retry = isRetriableSend(status) && attempt <= SEND_RETRIES;
      log[retry ? 'debug' : 'warn']({ ...what, status: status ?? 'no response', attempt, reason }, retry ? 'ping send failed; will retry' : 'ping lost');
      if (!retry) break;
    }
    r.lost++;
  }

  function start(source: KubeObject): Running {
    const namespace = source.metadata.namespace ?? 'default';
    const key = `${namespace}/${source.metadata.name}`;
    const r: Running = { key, fingerprint: JSON.stringify(source.spec ?? {}), source, schedule: String(source.spec?.schedule ?? ''), sent: 0, lost: 0 };
    const schedule = cronSchedule(source.spec?.schedule);
    if (schedule instanceof Error) {
      r.error = schedule.message;
      log.error({ pingsource: key, err: schedule.message }, 'pingsource not started');
      return r;
    }
    r.schedule = schedule;
    const timezone: unknown = source.spec?.timezone;
    try {
      r.cron = new Cron(schedule, { mode: '5-or-6-parts', ...(typeof timezone === 'string' && timezone !== '' ? { timezone } : {}) }, () => {
        if (stopped) return;
        const p = tick(r).catch((e: unknown) => log.error({ pingsource: key, err: (e as Error).message }, 'ping failed'));
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      });
      // croner reports a bad time zone only when it computes a run.
      r.cron.nextRun();
    } catch (e) {
      r.cron?.stop();
      r.cron = undefined;
      r.error = `${timezone !== undefined ? 'spec.schedule or spec.timezone' : 'spec.schedule'}: ${(e as Error).message}`;
      log.error({ pingsource: key, err: r.error }, 'pingsource not started');
    }
    return r;
  }

  function update(sources: readonly KubeObject[]): void {
    if (stopped) return;
    const seen = new Set<string>();
    for (const s of sources) {
      const key = `${s.metadata.namespace ?? 'default'}/${s.metadata.name}`;
      seen.add(key);
      const old = running.get(key);
      if (old && old.fingerprint === JSON.stringify(s.spec ?? {})) continue;
      old?.cron?.stop();
      const r = start(s);
      if (old) { r.sent = old.sent; r.lost = old.lost; }
      running.set(key, r);
    }
    for (const [key, r] of running) {
      if (!seen.has(key)) {
        r.cron?.stop();
        running.delete(key);
      }
    }
  }

  update(options.sources);

  return {
    update,
    stats: () => [...running.values()].map((r) => {
      const next = r.cron?.nextRun();
      return {
        namespace: r.source.metadata.namespace ?? 'default',
        name: r.source.metadata.name,
        schedule: r.schedule,
        ...(next ? { next: next.toISOString() } : {}),
        sent: r.sent,
        lost: r.lost,
        ...(r.error ? { error: r.error } : {}),
      };
    }),
    async stop() {
      stopped = true;
      for (const r of running.values()) r.cron?.stop();
      for (const s of sleepers) { clearTimeout(s.timer); s.wake(); }
      sleepers.clear();
      await Promise.all([...inFlight]);
      agent.destroy();
    },
  };
}
