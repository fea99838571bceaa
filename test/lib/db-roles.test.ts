/**
 * The database users on a real PostgreSQL (embedded), against an explicit table of what each may
 * do (db/migrations/002_roles.sql, 003_feed.sql): the reader only reads, the writer reads and
 * appends history (and updates a ball when it ends) but never deletes, truncates or changes the
 * schema. Every table × privilege is tried as each user; the expected answer is written here, not
 * read from PostgreSQL's catalogs, so a grant that widens or narrows fails the test.
 */
import test from 'ava';
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../lib/db/embedded.js';
import { prepareDatabase, type PreparedDatabase } from '../../lib/db/setup.js';

let server: EmbeddedServer | undefined;
let dataDir: string;
let urls: PreparedDatabase;
let adminPasswordMode = 0;

test.before(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'pingpong-db-roles-'));
  // A stale, world-readable password file from some earlier run: the new one must replace it 0600.
  const passwordFile = path.join(dataDir, 'admin-password');
  await writeFile(passwordFile, 'stale\n');
  await chmod(passwordFile, 0o644);
  server = await startEmbeddedPostgres({ dataDir, persistent: true });
  adminPasswordMode = (await stat(passwordFile)).mode & 0o777;
  urls = await prepareDatabase(server.adminUrl);
});
test.after.always(async () => {
  await server?.destroy();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

type Priv = 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE' | 'TRUNCATE';
const PRIVS: readonly Priv[] = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'];

/** What each login user may do to each history table: the expected answer, by hand. */
const WRITER_SI: Priv[] = ['SELECT', 'INSERT'];
const ALLOWED: Record<'writer' | 'reader', Record<string, Priv[]>> = {
  writer: {
    event: WRITER_SI, hop: WRITER_SI, scale_change: WRITER_SI, pod_event: WRITER_SI, pod_snapshot: WRITER_SI,
    pong: WRITER_SI, coin_flip: WRITER_SI, dead_letter: WRITER_SI, feed: WRITER_SI,
    // A ball is the one row that changes: it is served, then lands or drops.
    ball: ['SELECT', 'INSERT', 'UPDATE'],
  },
  reader: Object.fromEntries(['event', 'ball', 'hop', 'scale_change', 'pod_event', 'pod_snapshot', 'pong', 'coin_flip', 'dead_letter', 'feed']
    .map((t) => [t, ['SELECT'] as Priv[]])),
};

const urlOf = (who: 'writer' | 'reader' | 'admin') => (who === 'admin' ? server!.adminUrl : who === 'writer' ? urls.writerUrl : urls.readerUrl);

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * The SQLSTATE each statement fails with, or 'ok': one connection, each statement in its own
 * transaction rolled back, so an allowed TRUNCATE or DROP would change nothing for the next.
 */
const states = (url: string, sqls: readonly string[]) => withClient(url, async (c) => {
  const out: string[] = [];
  for (const sql of sqls) {
    await c.query('BEGIN');
    out.push(await c.query(sql).then(() => 'ok', (e: { code?: string }) => e.code ?? 'no code'));
    await c.query('ROLLBACK');
  }
  return out;
});

/** A statement that needs exactly `priv` on `table` (plus SELECT, which both users have) and touches no row. */
function statement(priv: Priv, table: string, column: string): string {
  const t = pg.escapeIdentifier(table);
  const col = pg.escapeIdentifier(column);
  switch (priv) {
    case 'SELECT': return `SELECT * FROM ${t} LIMIT 0`;
    // OVERRIDING SYSTEM VALUE: feed.seq is GENERATED ALWAYS; no row is inserted anyway.
    case 'INSERT': return `INSERT INTO ${t} OVERRIDING SYSTEM VALUE SELECT * FROM ${t} WHERE false`;
    case 'UPDATE': return `UPDATE ${t} SET ${col} = ${col} WHERE false`;
    case 'DELETE': return `DELETE FROM ${t} WHERE false`;
    case 'TRUNCATE': return `TRUNCATE ${t} CASCADE`;
  }
}

test('the history tables are exactly those the table above covers', async (t) => {
  const tables = await withClient(urlOf('admin'), async (c) => (await c.query(
    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'pgmigrations' ORDER BY 1")).rows.map((r) => r.tablename as string));
  t.deepEqual(tables, Object.keys(ALLOWED.writer).sort(), 'a new table needs its grants decided here (and in a migration)');
  t.deepEqual(Object.keys(ALLOWED.reader).sort(), tables);
});

for (const who of ['reader', 'writer'] as const) {
  test(`${who}: every table × SELECT/INSERT/UPDATE/DELETE/TRUNCATE is allowed exactly where the table says`, async (t) => {
    // An updatable column per table (not feed's GENERATED ALWAYS seq), read as the admin.
    const columns = await withClient(urlOf('admin'), async (c) => new Map((await c.query(
      `SELECT table_name, min(column_name) AS col FROM information_schema.columns
        WHERE table_schema = 'public' AND is_identity = 'NO' AND is_generated = 'NEVER' GROUP BY table_name`)).rows.map((r) => [r.table_name as string, r.col as string])));
    const cells = Object.entries(ALLOWED[who]).flatMap(([table, allowed]) => PRIVS.map((priv) => ({ table, priv, want: allowed.includes(priv) ? 'ok' : '42501' })));
    const got = await states(urlOf(who), cells.map((c) => statement(c.priv, c.table, columns.get(c.table)!)));
    t.deepEqual(cells.map((c, i) => `${c.table} ${c.priv}: ${got[i]}`), cells.map((c) => `${c.table} ${c.priv}: ${c.want}`));
    t.log(`${cells.length} cells: ${cells.filter((c) => c.want === 'ok').length} allowed, ${cells.filter((c) => c.want !== 'ok').length} denied`);
  });
}

/** Schema changes and other owner-only statements: denied (42501) to both users. */
const DDL = [
  'CREATE TABLE x (a int)',
  'CREATE TEMP TABLE x (a int)',
  'CREATE UNLOGGED TABLE x (a int)',
  'CREATE TABLE x AS SELECT * FROM event',
  'CREATE VIEW v AS SELECT 1 AS a',
  'CREATE INDEX event_by_data ON event (id)',
  'CREATE SCHEMA s',
  'CREATE SEQUENCE s',
  'CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$',
  'ALTER TABLE ball ADD COLUMN x int',
  'ALTER TABLE event ALTER COLUMN type DROP NOT NULL',
  'ALTER TABLE hop DISABLE TRIGGER ALL',
  'ALTER TABLE event RENAME TO evento',
  'DROP TABLE event CASCADE',
  'DROP TABLE feed',
  'DROP INDEX event_type',
  'COMMENT ON TABLE event IS $$x$$',
  'CREATE TRIGGER t BEFORE INSERT ON event FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()',
  'CREATE ROLE intruder',
  'SELECT * FROM pgmigrations',
];

for (const who of ['reader', 'writer'] as const) {
  test(`${who}: cannot change the schema (${DDL.length} statements, each permission denied)`, async (t) => {
    const got = await states(urlOf(who), DDL);
    t.deepEqual(DDL.map((s, i) => `${s}: ${got[i]}`), DDL.map((s) => `${s}: 42501`));
  });
}

// Serial (ava runs it before the rest): its DROP and ALTER take locks the other tests' writes would wait on.
test.serial('the admin can do what the users cannot: the denials above are privileges, not broken statements', async (t) => {
  // Without this, a statement that fails for any other reason would still read as "denied".
  // Each in a transaction rolled back: CREATE ROLE and DROP TABLE leave nothing behind.
  const got = await states(urlOf('admin'), DDL);
  t.deepEqual(DDL.map((s, i) => `${s}: ${got[i]}`), DDL.map((s) => `${s}: ok`));
});

test('the writer records a ball\'s history and its landing; the reader sees it', async (t) => {
  const id = `ball-${Date.now()}`;
  await withClient(urlOf('writer'), async (c) => {
    await c.query('BEGIN');
    await c.query("INSERT INTO event (source, id, type, data) VALUES ('/pingpong/ping', $1, 'dev.pingpong.ball.thrown', '{}')", [`${id}.0`]);
    await c.query("INSERT INTO ball (id, target, max_hops, served_at) VALUES ($1, 'forward-1', 20, now())", [id]);
    await c.query("INSERT INTO hop (ball_id, hop, target, path, at, event_source, event_id) VALUES ($1, 0, 'forward-1', '{}', now(), '/pingpong/ping', $2)", [id, `${id}.0`]);
    await c.query("INSERT INTO feed (tbl, type, source, id, ball_id) VALUES ('hop', 'dev.pingpong.ball.thrown', '/pingpong/ping', $1, $2)", [`${id}.0`, id]);
    await c.query("UPDATE ball SET status = 'landed', landed_by = 'forward-1', ended_at = now() WHERE id = $1", [id]);
    await c.query('COMMIT');
  });
  const seen = await withClient(urlOf('reader'), async (c) => ({
    ball: (await c.query('SELECT status, landed_by FROM ball WHERE id = $1', [id])).rows[0],
    hops: (await c.query('SELECT count(*)::int AS n FROM hop WHERE ball_id = $1', [id])).rows[0].n,
    feed: (await c.query('SELECT count(*)::int AS n FROM feed WHERE ball_id = $1', [id])).rows[0].n,
  }));
  t.deepEqual(seen, { ball: { status: 'landed', landed_by: 'forward-1' }, hops: 1, feed: 1 });
});

test('the reader cannot insert, update or delete real rows, and they stay as they were', async (t) => {
  const id = `kept-${Date.now()}`;
  await withClient(urlOf('writer'), (c) => c.query("INSERT INTO ball (id, target, max_hops, served_at) VALUES ($1, 'forward-1', 20, now())", [id]));
  const got = await states(urlOf('reader'), [
    `INSERT INTO event (source, id, type) VALUES ('/reader', '${id}', 't')`,
    `UPDATE ball SET status = 'dropped', reason = 'max-hops', ended_at = now() WHERE id = '${id}'`,
    `DELETE FROM ball WHERE id = '${id}'`,
  ]);
  t.deepEqual(got, ['42501', '42501', '42501']);
  const row = await withClient(urlOf('admin'), async (c) => (await c.query('SELECT status FROM ball WHERE id = $1', [id])).rows);
  t.deepEqual(row, [{ status: 'served' }]);
});

test('the writer cannot delete or rewrite what it recorded', async (t) => {
  const id = `mine-${Date.now()}`;
  await withClient(urlOf('writer'), (c) => c.query("INSERT INTO event (source, id, type) VALUES ('/w', $1, 't')", [id]));
  const got = await states(urlOf('writer'), [
    `DELETE FROM event WHERE id = '${id}'`,
    `UPDATE event SET type = 'forged' WHERE id = '${id}'`,
    'TRUNCATE event CASCADE',
  ]);
  t.deepEqual(got, ['42501', '42501', '42501']);
});

test('the admin password file that replaced a stale 0644 one is 0600', (t) => {
  t.is(adminPasswordMode, 0o600);
});
