/**
 * The live stream of the history, as Server-Sent Events: one LISTEN connection per pod wakes every
 * open stream, and each stream then reads the feed after the last position it sent — so whatever
 * a notification said or missed, a stream sends every recording once, in commit order, and a
 * client resuming with Last-Event-ID gets exactly what it missed. Bounded: a client that does not
 * read is cut off past MAX_UNSENT_BYTES (it reconnects and resumes), and at most MAX_STREAMS are open.
 */
import type { Response } from 'express';
import pg from 'pg';
import { feedAfter, feedEnd, type FeedEntry } from '../../lib/db/feed.js';
import { HISTORY_CHANNEL } from '../../lib/db/notify.js';
import type { Logger } from '../../lib/log.js';
import { sseEvent } from './params.js';

export const MAX_STREAMS = 200;
const MAX_UNSENT_BYTES = 1024 * 1024;
const PAGE = 500;
const HEARTBEAT_MS = 15_000;

interface Client { res: Response; last: number; pumping: boolean; again: boolean }

export interface HistoryStream {
  /**
   * Takes over a response: headers, the catch-up from `from` (or from now), then live entries.
   * `hello` is sent first: a state the page draws (the system), as an event without an id, so
   * it moves no client's Last-Event-ID.
   */
  open(res: Response, from: number | undefined, hello?: { event: string; data: unknown }): Promise<void>;
  /** Sends an event without an id to every open stream (bounded like the rest of what it sends). */
  broadcast(event: string, data: unknown): void;
  size(): number;
  close(): Promise<void>;
}

export function historyStream(pool: pg.Pool, readerUrl: string, log: Logger): HistoryStream {
  const clients = new Set<Client>();
  let listener: pg.Client | undefined;
  let connecting: Promise<void> | undefined;
  let closed = false;

  const drop = (c: Client) => { clients.delete(c); if (!c.res.writableEnded) c.res.end(); };
  const send = (c: Client, entries: readonly FeedEntry[]) => {
    for (const e of entries) {
      // A dead letter carries the type of the event that failed: its own name keeps it apart.
      c.res.write(sseEvent(e.seq, e.table === 'dead_letter' ? 'dead-letter' : e.type, e));
      c.last = e.seq;
    }
    if (c.res.writableLength > MAX_UNSENT_BYTES) {
      log.info({ unsent: c.res.writableLength }, 'a stream client is not reading; cut off (it resumes where it was)');
      drop(c);
    }
  };
  /** Reads and sends everything after the client's position; one read at a time per client. */
  const pump = async (c: Client) => {
    if (c.pumping) { c.again = true; return; }
    c.pumping = true;
    try {
      do {
        c.again = false;
        let page: FeedEntry[];
        do {
          page = await feedAfter(pool, c.last, PAGE);
          if (!clients.has(c)) return;
          send(c, page);
        } while (page.length === PAGE && clients.has(c));
      } while (c.again && clients.has(c));
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'reading the feed failed; the stream ends, the client resumes');
      drop(c);
    } finally {
      c.pumping = false;
    }
  };
  const listen = () => {
    connecting ??= (async () => {
      const client = new pg.Client({ connectionString: readerUrl });
      client.on('notification', (m) => { if (m.channel === HISTORY_CHANNEL) for (const c of clients) void pump(c); });
      client.on('error', (e) => {
        log.warn({ err: e.message }, 'the history LISTEN connection failed; streams end and clients resume');
        listener = undefined;
        connecting = undefined;
        for (const c of [...clients]) drop(c);
      });
      await client.connect();
      await client.query(`LISTEN ${HISTORY_CHANNEL}`);
      listener = client;
    })().catch((e: unknown) => { connecting = undefined; throw e; });
    return connecting;
  };
  const heartbeat = setInterval(() => { for (const c of clients) c.res.write(': keepalive\n\n'); }, HEARTBEAT_MS);
  heartbeat.unref();

  return {
    async open(res, from, hello) {
      if (closed || clients.size >= MAX_STREAMS) {
        res.status(503).type('application/json').send(JSON.stringify({ error: `too many open streams (${MAX_STREAMS}); retry later` }));
        return;
      }
      // LISTEN before the catch-up read: a recording that commits in between wakes the pump.
      await listen();
      const c: Client = { res, last: from ?? await feedEnd(pool), pumping: false, again: false };
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      // How soon a dropped page tries again, and where it stands: the position it resumes from
      // (sent as an event too, so a page that closes its stream itself knows where to resume).
      res.write(`retry: 2000\n${sseEvent(c.last, 'position', { seq: c.last })}${hello ? sseEvent(undefined, hello.event, hello.data) : ''}`);
      clients.add(c);
      res.on('close', () => clients.delete(c));
      await pump(c);
    },
    broadcast(event, data) {
      const chunk = sseEvent(undefined, event, data);
      for (const c of [...clients]) {
        c.res.write(chunk);
        if (c.res.writableLength > MAX_UNSENT_BYTES) drop(c);
      }
    },
    size: () => clients.size,
    async close() {
      closed = true;
      clearInterval(heartbeat);
      for (const c of [...clients]) drop(c);
      await listener?.end().catch(() => undefined);
    },
  };
}
