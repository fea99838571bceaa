import type { Logger } from '../log.js';
import { startEmbeddedPostgres } from './embedded.js';
import { prepareDatabase } from './setup.js';

export interface OpenOptions {
  /** Where the embedded server keeps its data (e.g. `.local/postgres`); unused with DATABASE_URL. */
  dataDir: string;
  /** `DATABASE_URL` (an admin URL: it migrates and creates users) selects an existing server. */
  env?: NodeJS.ProcessEnv;
  /** Port of the embedded server (default: a free one). */
  port?: number;
  /** Stop a server a killed run left on this data (the caller holds the data dir's lock). */
  stopOrphan?: boolean;
  log?: Logger;
}

export interface OpenDatabase {
  adminUrl: string;
  writerUrl: string;
  readerUrl: string;
  /** true when this process started the server (and `stop` stops it). */
  embedded: boolean;
  stop(): Promise<void>;
}

/**
 * The history database for `npm start` and the local runtime: the server `DATABASE_URL` names if
 * set, else an embedded PostgreSQL kept under `dataDir`; either way migrated, with fresh writer and
 * reader users. `stop` stops the embedded server, and leaves an external one alone.
 */
export async function openDatabase(opts: OpenOptions): Promise<OpenDatabase> {
  const env = opts.env ?? process.env;
  const external = env.DATABASE_URL?.trim();
  if (external) {
    opts.log?.info({ server: redact(external) }, 'using the PostgreSQL server DATABASE_URL names');
    const urls = await prepareDatabase(external, { log: opts.log });
    return { adminUrl: external, ...urls, embedded: false, stop: async () => undefined };
  }
  const server = await startEmbeddedPostgres({ dataDir: opts.dataDir, port: opts.port, persistent: true, stopOrphan: opts.stopOrphan, log: opts.log });
  try {
    const urls = await prepareDatabase(server.adminUrl, { log: opts.log });
    return { adminUrl: server.adminUrl, ...urls, embedded: true, stop: server.stop };
  } catch (e) {
    await server.stop();
    throw e;
  }
}

/** A URL fit for a log line: without its password. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.href;
  } catch {
    return '(not a URL)';
  }
}
