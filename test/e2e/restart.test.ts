/**
 * The API's state survives a restart as a cluster's does: what kubectl created stays, what it
 * changed in fields the manifests set is set back by them, what it added stays; --reset forgets.
 * Files holding credentials are owner-only after every start, whatever mode they had.
 */
import test from 'ava';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { ROOT } from '../../lib/process/function-command.js';
import { historyPool, livePods, pitch, runtimeStatus } from '../helpers/balls-in-flight.js';
import { type Instance, kubectlOn, npmStart } from '../helpers/pingpong-up.js';
import { waitFor } from '../helpers/wait.js';

test('kubectl\'s objects are kept across a restart, the manifests applied over them; --reset starts anew', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'pingpong-restart-'));
  const kubectl = kubectlOn({ dataDir });
  try {
    let pp = await npmStart([], {}, { dataDir });
    try {
      const file = path.join(dataDir, 'mine.yaml');
      await writeFile(file, 'apiVersion: eventing.knative.dev/v1\nkind: Trigger\nmetadata: { name: mine, namespace: pingpong }\n' +
        'spec:\n  broker: default\n  subscriber: { uri: "http://127.0.0.1:9/" }\n');
      await kubectl('apply', '-f', file);
      await kubectl('label', 'ksvc', 'coin-flip', 'team=blue');
      await kubectl('patch', 'pingsource', 'serve-balls', '--type=merge', '-p', '{"spec":{"schedule":"*/30 * * * * *"}}');
    } finally { await pp.interrupt(); }
    t.is((await stat(path.join(dataDir, 'api', 'objects.json'))).mode & 0o777, 0o600, 'the store holds Secrets: owner only');
    // Credential files loosened between runs (by hand, an older version, a copy) are owner-only again after the next start.
    const credentials = ['reader-url', 'api/objects.json', 'kubeconfig', 'postgres/admin-password'];
    for (const f of credentials) await chmod(path.join(dataDir, f), 0o644);

    pp = await npmStart([], {}, { dataDir });
    try {
      for (const f of credentials) t.is((await stat(path.join(dataDir, f))).mode & 0o777, 0o600, `${f} is 0600 again`);
      t.regex(pp.output(), /objects kept from the last run/);
      t.regex(await kubectl('wait', '--for=condition=Ready', 'trigger/mine', '--timeout=30s'), /condition met/);
      t.is((await kubectl('get', 'ksvc', 'coin-flip', '-o', 'jsonpath={.metadata.labels.team}')).trim(), 'blue', 'a label kubectl added stays');
      t.is((await kubectl('get', 'pingsource', 'serve-balls', '-o', 'jsonpath={.spec.schedule}')).trim(), '*/10 * * * * *', 'the manifest\'s own field wins');
    } finally { await pp.interrupt(); }

    pp = await npmStart(['--reset'], {}, { dataDir });
    try {
      const err = await kubectl('get', 'trigger', 'mine').then(() => '', (e: { stderr: string }) => e.stderr);
      t.regex(err, /triggers.eventing.knative.dev "mine" not found/);
    } finally { await pp.interrupt(); }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

// What a restart keeps: the history in PostgreSQL (every ball that ended before is there after,
// unchanged), the schema (migrations run again and change nothing), and the table's status then
// says what the workers are now. What the in-memory Broker held is gone: the README says so.
test.serial('a restart with balls in flight keeps the history; migrations run once; the table\'s status follows the workers', async (t) => {
  t.timeout(240_000);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'pingpong-restart-'));
  const kubectl = kubectlOn({ dataDir });
  const quiet = ['-f', path.join(ROOT, 'test/fixtures/manifests/serve-balls-quiet.yaml')];
  const tag = `restart-${Date.now()}`;
  let pp: Instance | undefined;
  let db: pg.Pool | undefined;
  try {
    pp = await npmStart(quiet, {}, { dataDir });
    const first = pp;
    await waitFor(async () => livePods(await runtimeStatus(first), 'forward').filter((p) => p.ready).length >= 2,
      'two ready forward pods', { timeoutMs: 60_000, intervalMs: 250 });
    // Pin the workers through the table, as a user would; the status reports 3.
    await kubectl('patch', 'ppt', 'default', '--type=merge', '-p', '{"spec":{"workers":{"mode":"Fixed","replicas":3}}}');
    await waitFor(async () => (await kubectl('get', 'ppt', 'default', '-o', 'jsonpath={.status.workers}')).trim() === '3',
      'the table to report 3 workers', { timeoutMs: 60_000, intervalMs: 500 });
    db = await historyPool(first);
    // Long flights (up to 8 hops), so some are in the air when the runtime stops.
    const pitcher = pitch(first, tag, { everyMs: 200, maxHops: 8 });
    await waitFor(async () => Number((await db!.query("SELECT count(*)::int AS n FROM ball WHERE id = ANY($1) AND status <> 'served'", [pitcher.balls])).rows[0].n) >= 10,
      'ten balls played out', { timeoutMs: 60_000, intervalMs: 250 });
    const before = (await db.query<Ball>('SELECT id, status, hops, path FROM ball WHERE id = ANY($1) ORDER BY id', [pitcher.balls])).rows;
    const eventsBefore = Number((await db.query('SELECT count(*)::int AS n FROM event')).rows[0].n);
    await db.end();
    db = undefined;
    // Ctrl-C while balls are still being served and thrown; the pitcher's sends then fail, as they should.
    const pitching = pitcher.stop().catch(() => undefined);
    await first.interrupt();
    await pitching;

    pp = await npmStart(quiet, {}, { dataDir });
    const second = pp;
    t.regex(second.output(), /PostgreSQL ready \(embedded, .*\), migrated/);
    db = await historyPool(second);
    const after = new Map((await db.query<Ball>('SELECT id, status, hops, path FROM ball WHERE id = ANY($1)', [pitcher.balls])).rows.map((b) => [b.id, b]));
    for (const b of before) {
      const now = after.get(b.id);
      t.truthy(now, `ball ${b.id} is still in the history`);
      // An ended ball is final; one in the air may have moved on before the stop took it down.
      if (b.status !== 'served') t.deepEqual(now, b, `ball ${b.id} ended before the restart and is unchanged`);
      else t.true(now!.hops >= b.hops, `ball ${b.id} lost no hop`);
    }
    t.true(Number((await db.query('SELECT count(*)::int AS n FROM event')).rows[0].n) >= eventsBefore, 'no event row lost');
    const stranded = [...after.values()].filter((b) => b.status === 'served').length;
    t.log(`${pitcher.balls.length} balls requested, ${before.filter((b) => b.status !== 'served').length} ended before the stop; after it, ` +
      `${stranded} stay unfinished and ${pitcher.balls.length - after.size} were never served: what the in-memory Broker held is gone`);

    // The migrations ran again on the kept data and found nothing to do.
    const admin = await adminPool(dataDir);
    try {
      const ran = (await admin.query<{ name: string }>('SELECT name FROM pgmigrations ORDER BY id')).rows.map((r) => r.name);
      const files = (await readdir(path.join(ROOT, 'db/migrations'))).filter((f) => f.endsWith('.sql')).map((f) => f.replace(/\.sql$/, '')).sort();
      t.deepEqual(ran, files, 'each migration recorded once');
    } finally {
      await admin.end();
    }

    // The manifests set the table back to their Random 2–5 and forward back to its range; the
    // status must say so now, not keep the 3 of before until some later shuffle tick.
    t.is((await kubectl('get', 'ppt', 'default', '-o', 'jsonpath={.spec.workers.mode}')).trim(), 'Random');
    await waitFor(async () => {
      const status = JSON.parse(await kubectl('get', 'ppt', 'default', '-o', 'jsonpath={.status}')) as { workers: number; revision: string };
      const svc = JSON.parse(await kubectl('get', 'ksvc', 'forward', '-o', 'json'));
      const floor = Number(svc.spec.template.metadata.annotations['autoscaling.knative.dev/min-scale']);
      return status.workers === floor && status.revision === svc.status.latestCreatedRevisionName;
    }, 'the table status to match the forward Service after the restart', { timeoutMs: 60_000, intervalMs: 500 });
  } finally {
    await db?.end().catch(() => undefined);
    await pp?.interrupt();
    await rm(dataDir, { recursive: true, force: true });
  }
});

interface Ball { id: string; status: string; hops: number; path: string[] }

/** The superuser on the kept embedded server: the password pingpong up keeps, the port of its reader URL. */
async function adminPool(dataDir: string): Promise<pg.Pool> {
  const password = (await readFile(path.join(dataDir, 'postgres', 'admin-password'), 'utf8')).trim();
  const reader = new URL((await readFile(path.join(dataDir, 'reader-url'), 'utf8')).trim());
  const pool = new pg.Pool({ connectionString: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${reader.port}/pingpong`, max: 1 });
  pool.on('error', () => undefined);
  return pool;
}
