import test from 'ava';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { migrate } from '../../lib/db/migrate.js';
import { prepareDatabase } from '../../lib/db/setup.js';
import { openDatabase } from '../../lib/db/open.js';
import { startEmbeddedPostgres } from '../../lib/db/embedded.js';
import { urlFor } from '../../lib/db/users.js';

// Serial: prepareDatabase gives the (server-wide) users fresh passwords, which other tests use.
let db: TestPostgres;
test.before(async () => {
  db = await startTestPostgres();
});
test.after.always(async () => db?.stop());

const HISTORY = ['ball', 'coin_flip', 'dead_letter', 'event', 'feed', 'hop', 'pod_event', 'pod_snapshot', 'pong', 'scale_change'];

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** The SQLSTATE a statement (or the login) fails with, or 'ok'. */
const sqlState = (url: string, sql: string) =>
  withClient(url, (c) => c.query(sql)).then(() => 'ok', (e: { code?: string }) => e.code ?? 'no code');

const tables = (url: string) => withClient(url, async (c) =>
  (await c.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'pgmigrations' ORDER BY 1")).rows.map((r) => r.tablename as string));

test.serial('migrations apply on an empty database, and running them again does nothing', async (t) => {
  await withClient(db.adminUrl, (c) => c.query('CREATE DATABASE fresh'));
  const fresh = db.adminUrl.replace(/\/pingpong$/, '/fresh');
  t.deepEqual(await tables(fresh), []);
  t.deepEqual(await migrate(fresh), ['001_history', '002_roles', '003_feed', '004_feed_panels']);
  t.deepEqual(await tables(fresh), HISTORY);
  t.deepEqual(await migrate(fresh), []);
  t.deepEqual(await tables(fresh), HISTORY);
});

test.serial('down migrations undo everything, and up applies again', async (t) => {
  const fresh = db.adminUrl.replace(/\/pingpong$/, '/fresh');
  t.deepEqual(await migrate(fresh, { direction: 'down', count: Infinity }), ['004_feed_panels', '003_feed', '002_roles', '001_history']);
  t.deepEqual(await tables(fresh), []);
  t.deepEqual(await migrate(fresh), ['001_history', '002_roles', '003_feed', '004_feed_panels']);
});

test.serial('the reader may SELECT and nothing else', async (t) => {
  t.is(await sqlState(db.readerUrl, 'SELECT count(*) FROM ball'), 'ok');
  t.is(await sqlState(db.readerUrl, "INSERT INTO event (source, id, type) VALUES ('/t', 'r1', 't')"), '42501');
  t.is(await sqlState(db.readerUrl, "UPDATE ball SET status = 'landed'"), '42501');
  t.is(await sqlState(db.readerUrl, 'DELETE FROM event'), '42501');
  t.is(await sqlState(db.readerUrl, 'SELECT count(*) FROM feed'), 'ok');
  t.is(await sqlState(db.readerUrl, "INSERT INTO feed (tbl, type, source, id) VALUES ('t', 't', '/t', 'f1')"), '42501');
  t.is(await sqlState(db.readerUrl, 'CREATE TABLE x (a int)'), '42501');
});

test.serial('the writer may INSERT and SELECT, but not DELETE, DROP or CREATE', async (t) => {
  t.is(await sqlState(db.writerUrl, "INSERT INTO event (source, id, type) VALUES ('/t', 'w1', 't')"), 'ok');
  t.is(await sqlState(db.writerUrl, 'SELECT count(*) FROM event'), 'ok');
  t.is(await sqlState(db.writerUrl, 'DELETE FROM event'), '42501');
  t.is(await sqlState(db.writerUrl, "UPDATE event SET type = 'x'"), '42501');
  t.is(await sqlState(db.writerUrl, 'DROP TABLE event'), '42501');
  t.is(await sqlState(db.writerUrl, 'CREATE TABLE x (a int)'), '42501');
  t.is(await sqlState(db.writerUrl, 'CREATE TEMP TABLE x (a int)'), '42501');
  t.is(await sqlState(db.writerUrl, 'ALTER TABLE ball ADD COLUMN x int'), '42501');
  t.is(await sqlState(db.writerUrl, 'TRUNCATE event'), '42501');
  t.is(await sqlState(db.writerUrl, 'SELECT * FROM pgmigrations'), '42501');
});

test.serial('preparing again gives the users fresh passwords: old URLs stop working', async (t) => {
  const old = db.writerUrl;
  const next = await prepareDatabase(db.adminUrl);
  t.not(next.writerUrl, old);
  t.is(await sqlState(next.writerUrl, 'SELECT 1'), 'ok');
  t.is(await sqlState(old, 'SELECT 1'), '28P01'); // invalid_password
  db.writerUrl = next.writerUrl;
  db.readerUrl = next.readerUrl;
});

test.serial('openDatabase uses DATABASE_URL when set, and leaves that server running on stop', async (t) => {
  const opened = await openDatabase({ dataDir: '/nonexistent/unused', env: { DATABASE_URL: db.adminUrl } });
  t.false(opened.embedded);
  t.is(await sqlState(opened.writerUrl, 'SELECT count(*) FROM hop'), 'ok');
  await opened.stop();
  t.is(await sqlState(opened.readerUrl, 'SELECT count(*) FROM hop'), 'ok');
  db.writerUrl = opened.writerUrl;
  db.readerUrl = opened.readerUrl;
});

test.serial('an embedded server keeps its data and admin password across restarts of the same directory', async (t) => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'pingpong-pg-reuse-'));
  try {
    const first = await openDatabase({ dataDir, env: {} });
    t.true(first.embedded);
    await withClient(first.writerUrl, (c) => c.query("INSERT INTO event (source, id, type) VALUES ('/t', 'kept', 't')"));
    await first.stop();
    const again = await startEmbeddedPostgres({ dataDir, persistent: false });
    try {
      t.is(again.adminUrl.split('@')[0], first.adminUrl.split('@')[0]);
      const rows = await withClient(again.adminUrl, (c) => c.query("SELECT id FROM event WHERE id = 'kept'"));
      t.is(rows.rowCount, 1);
    } finally {
      await again.stop();
    }
    // Not persistent: the directory went with the server.
    await t.throwsAsync(fs.stat(dataDir));
  } finally {
    await fs.rm(dataDir, { recursive: true, force: true });
  }
});

test.serial('URLs for the users keep the server, database and options of the admin URL', (t) => {
  t.is(urlFor('postgres://admin:s3cret@db.example:6543/pingpong?sslmode=require', 'pingpong_writer', 'p/w+'),
    'postgres://pingpong_writer:p%2Fw%2B@db.example:6543/pingpong?sslmode=require');
});
