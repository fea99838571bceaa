/**
 * Worker pods die while they are passing balls: deleted through the API (as `kubectl delete pod`:
 * drained, then stopped) and killed outright (SIGKILL to the pod's process, mid-request). The
 * revision replaces each one, the Broker retries what a dead pod was handling on another one,
 * and every ball ends in the history exactly once.
 */
import test from 'ava';
import path from 'node:path';
import type pg from 'pg';
import { ROOT } from '../../lib/process/function-command.js';
import { historyPool, livePods, pitch, runtimeStatus, settle } from '../helpers/balls-in-flight.js';
import { type Instance, kubectlOn, npmStart, processesMentioning, stopInstance } from '../helpers/pingpong-up.js';
import { waitFor } from '../helpers/wait.js';

let pp: Instance | undefined;
let db: pg.Pool | undefined;
test.after.always(async () => {
  await db?.end().catch(() => undefined);
  await stopInstance(pp);
});

const readyWorkers = async (p: Instance) => livePods(await runtimeStatus(p), 'forward').filter((w) => w.ready).map((w) => w.name);

test.serial('forward pods deleted and SIGKILLed mid-delivery are replaced; no ball is lost or recorded twice', async (t) => {
  t.timeout(150_000);
  pp = await npmStart(['-f', path.join(ROOT, 'test/fixtures/manifests/serve-balls-quiet.yaml')]);
  const instance = pp;
  const kubectl = kubectlOn(instance);
  db = await historyPool(instance);
  await waitFor(async () => (await readyWorkers(instance)).length >= 2, 'two ready forward pods', { timeoutMs: 60_000, intervalMs: 250 });

  const tag = `faults-${Date.now()}`;
  // Long flights, thrown often, so a pod that dies is likely to be holding one.
  const pitcher = pitch(instance, tag, { everyMs: 250, maxHops: 6 });
  const killed: Array<{ pod: string; how: 'delete' | 'SIGKILL' }> = [];
  // Deliveries a SIGKILLed pod held when it died: each must have been retried on another pod.
  let cut = 0;
  try {
    for (const how of ['SIGKILL', 'delete', 'SIGKILL', 'delete'] as const) {
      // Busy first: the pod with the most deliveries in flight is the one to take down.
      const workers = livePods(await runtimeStatus(instance), 'forward').filter((w) => w.ready).sort((a, b) => b.inFlight - a.inFlight);
      const victim = workers[0]!.name;
      const served = pitcher.balls.length;
      await waitFor(() => pitcher.balls.length >= served + 4, 'balls in the air');
      if (how === 'delete') {
        t.regex(await kubectl('delete', 'pod', victim, '--wait=false'), new RegExp(`pod "${victim}" deleted`));
      } else {
        // The pod's processes are those whose environment names it (POD_NAME). Frozen first, so
        // deliveries are surely in its hands when it dies: forward answers a ball in a millisecond.
        const pids = await processesMentioning(victim);
        t.true(pids.length > 0, `${victim} has a process`);
        const signal = (sig: NodeJS.Signals) => { for (const pid of pids) try { process.kill(pid, sig); } catch { /* gone */ } };
        signal('SIGSTOP');
        try {
          cut += await waitFor(async () => livePods(await runtimeStatus(instance), 'forward').find((w) => w.name === victim)?.inFlight,
            `deliveries in ${victim}'s hands`, { timeoutMs: 10_000, intervalMs: 50 });
        } finally {
          signal('SIGKILL');
        }
      }
      killed.push({ pod: victim, how });
      // The revision replaces it: the pod is gone, and two ready workers play again.
      await waitFor(async () => {
        const now = await readyWorkers(instance);
        return !livePods(await runtimeStatus(instance), 'forward').some((w) => w.name === victim) && now.length >= 2;
      }, `${victim} (${how}) to be replaced`, { timeoutMs: 30_000, intervalMs: 200 });
    }
  } finally {
    await pitcher.stop();
  }
  const r = await settle(instance, db, pitcher, tag, 60_000);
  t.log(`${killed.length} forward pods taken down (${killed.map((k) => `${k.how} ${k.pod}`).join(', ')}); ${pitcher.balls.length} balls: ` +
    `${r.landed} landed, ${r.dropped} dropped, ${r.deadLettered} dead-lettered, ${r.lost.length} lost, ${r.doubled.length} doubled; ` +
    `${cut} deliveries cut by the SIGKILLs`);
  t.deepEqual(r.lost, [], 'every ball is in the history');
  t.deepEqual(r.doubled, [], 'no ball is recorded twice');
  // A pod that dies is retried on another: nothing needed the dead-letter sink.
  t.is(r.deadLettered, 0);
  t.is(r.landed + r.dropped, pitcher.balls.length);
  // The runtime said what happened to each: a SIGKILLed pod died unexpectedly, a deleted one on purpose.
  for (const k of killed.filter((x) => x.how === 'SIGKILL')) t.regex(instance.output(), new RegExp(`"pod":"${k.pod}"[^\\n]*"exit":"SIGKILL"[^\\n]*"expected":false`));
  // kubectl sees the replacements: the revision keeps its pods, none of them a killed one.
  const names = (await kubectl('get', 'pods', '-l', 'serving.knative.dev/service=forward', '-o', 'jsonpath={.items[*].metadata.name}')).trim().split(/\s+/);
  t.true(names.length >= 2, names.join(' '));
  for (const k of killed) t.false(names.includes(k.pod), `${k.pod} is gone`);
});
