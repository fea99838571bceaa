/**
 * Ball flow: balls requested at the Broker, served by ping, bounced by forward, recorded by
 * record-hop — balls ended (landed or dropped, and recorded) per second, and hops per second.
 * Several requests of 100 balls each (the contract's most) at once, timed from the first request
 * to the last ball recorded as ended.
 */
import { randomUUID } from 'node:crypto';
import { requestBallPrefix } from '../lib/db/history-read.js';
import { historyReaderOf } from '../test/helpers/pingpong-up.js';
import { waitFor } from '../test/helpers/wait.js';
import type { BenchInstance } from './instance.js';
import { num, repeat, show, type Row } from './measure.js';

const REQUESTS = 4;
const BALLS = 100;
const MAX_HOPS = 10;

export async function ballFlowRows(b: BenchInstance, progress: (line: string) => void): Promise<Row[]> {
  const db = await historyReaderOf(b.pp);
  let hopsPerSec = 0;
  const hopRates: number[] = [];
  try {
    const balls = await repeat(3, 'balls/s', async (i) => {
      const ids = Array.from({ length: REQUESTS }, () => randomUUID());
      const t0 = performance.now();
      for (const id of ids) {
        const res = await fetch(`http://127.0.0.1:${b.pp.broker}/pingpong/default`, { method: 'POST', body: JSON.stringify({ count: BALLS, maxHops: MAX_HOPS }), headers: {
          'ce-specversion': '1.0', 'ce-type': 'dev.pingpong.ball.requested', 'ce-source': '/bench', 'ce-id': id, 'content-type': 'application/json' } });
        if (res.status !== 202) throw new Error(`the Broker answered ${res.status}`);
      }
      const prefixes = ids.map((id) => `${requestBallPrefix('/bench', id)}%`);
      const ended = async () => (await db.query<{ n: string; hops: string }>(
        "SELECT count(*) AS n, coalesce(sum(hops + 1), 0) AS hops FROM ball WHERE id LIKE ANY($1) AND status <> 'served'", [prefixes])).rows[0]!;
      await waitFor(async () => Number((await ended()).n) === REQUESTS * BALLS, 'every ball to end', { timeoutMs: 120_000, intervalMs: 20 });
      const seconds = (performance.now() - t0) / 1000;
      const rate = (REQUESTS * BALLS) / seconds;
      hopsPerSec = Number((await ended()).hops) / seconds;
      hopRates.push(hopsPerSec);
      progress(`ball flow ${i + 1}/3: ${REQUESTS * BALLS} balls in ${seconds.toFixed(2)} s: ${num(rate)} balls/s, ${num(hopsPerSec)} hops/s`);
      return rate;
    });
    const hops = [...hopRates].sort((a, b) => a - b);
    return [{
      figure: 'ball flow: balls served → ended and recorded', measured: show(balls), reference: `hops: ${num(hops[1] ?? hops[0]!)} hops/s (${num(hops[0]!)}–${num(hops.at(-1)!)})`,
      versus: '—', goal: 'reported',
      note: `${REQUESTS} requests of ${BALLS} balls (maxHops ${MAX_HOPS}) at once through the Broker; a hop is each catch of a ball (a thrown, landed or dropped event recorded).`,
    }];
  } finally {
    await db.end();
  }
}
