/**
 * A closed terminal sends SIGHUP to npm start's process group: the runtime stops as for Ctrl-C,
 * so PostgreSQL and the pods do not outlive it (they did: an orphaned PostgreSQL kept running).
 */
import test from 'ava';
import { rm } from 'node:fs/promises';
import { npmStart, processesMentioning } from '../helpers/pingpong-up.js';
import { waitFor } from '../helpers/wait.js';

test('a closed terminal (SIGHUP) stops every pod and PostgreSQL', async (t) => {
  const pp = await npmStart([]);
  t.teardown(() => rm(pp.dataDir, { recursive: true, force: true }));
  t.true((await processesMentioning(pp.dataDir)).length >= 5, 'pods and PostgreSQL run');
  await pp.interrupt('SIGHUP');
  await waitFor(() => /SIGHUP: stopping every pod/.test(pp.output()), 'the runtime to say it stops', { timeoutMs: 10_000 });
  await waitFor(async () => (await processesMentioning(pp.dataDir)).length === 0, 'every process of the instance to exit', { timeoutMs: 30_000 });
  t.pass();
});
