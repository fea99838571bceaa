import test from 'ava';
import { instantMicros, judge, malformed, tipBefore, type RecordedFlight, type Step, type Verdict } from '../../functions/record-hop/flight.js';
import { bounce } from '../../functions/forward/bounce.js';
import type { BallInFlight } from '../../lib/contract/index.js';

const ball = { id: 'b1', target: 'T', maxHops: 3, servedAt: '2026-01-01T00:00:00.000Z' };
const thrown = (hop: number, path: string[], b = ball): Step => ({ kind: 'thrown', flight: { ball: b, path, hop } });
const landed = (hop: number, path: string[], b = ball): Step => ({ kind: 'landed', flight: { ball: b, path, hop } });
const dropped = (hop: number, path: string[], reason: 'max-hops' | 'target-gone' = 'max-hops'): Step =>
  ({ kind: 'dropped', flight: { ball, path, hop }, reason });
const at = (hop: number, path: string[], status: RecordedFlight['status'] = 'served', b = ball): RecordedFlight => ({ ball: b, status, hop, path });

type Case = [name: string, recorded: RecordedFlight | undefined, step: Step, want: Verdict['kind']];

const cases: Case[] = [
  // Starting.
  ['hop 0 of a new ball starts its flight', undefined, thrown(0, []), 'starts'],
  ['hop 1 before hop 0 is recorded comes early', undefined, thrown(1, ['w1']), 'early'],
  ['an ending before hop 0 is recorded comes early', undefined, landed(0, ['T']), 'early'],
  ['hop 0 again (another event) contradicts', at(0, []), thrown(0, []), 'contradicts'],
  // Extending by one step.
  ['hop 1 from the worker that caught hop 0 extends', at(0, []), thrown(1, ['w1']), 'extends'],
  ['hop 2 extends hop 1 with the same first thrower', at(1, ['w1']), thrown(2, ['w1', 'w2']), 'extends'],
  ['a ball may come back to the same worker', at(1, ['w1']), thrown(2, ['w1', 'w1']), 'extends'],
  ['hop 2 of another course (w9 threw hop 1) contradicts', at(1, ['w1']), thrown(2, ['w9', 'w2']), 'contradicts'],
  ['hop 1 again from another worker contradicts', at(1, ['w1']), thrown(1, ['w2']), 'contradicts'],
  ['an older hop contradicts', at(2, ['w1', 'w2']), thrown(1, ['w1']), 'contradicts'],
  // Out of order.
  ['hop 3 while hop 1 is the tip comes early when its path agrees', at(1, ['w1']), thrown(3, ['w1', 'w2', 'w4']), 'early'],
  ['hop 3 whose path already left the recorded one contradicts at once', at(1, ['w1']), thrown(3, ['w7', 'w2', 'w4']), 'contradicts'],
  ['an ending two hops ahead comes early', at(0, []), landed(2, ['w1', 'w2', 'T']), 'early'],
  // Closing.
  ['the target lands the recorded last hop', at(2, ['w1', 'w2']), landed(2, ['w1', 'w2', 'T']), 'closes'],
  ['the target lands hop 0', at(0, []), landed(0, ['T']), 'closes'],
  ['a drop at maxHops closes', at(3, ['w1', 'w2', 'w3']), dropped(3, ['w1', 'w2', 'w3', 'w4']), 'closes'],
  ['a target-gone drop closes', at(1, ['w1']), dropped(1, ['w1', 'w2'], 'target-gone'), 'closes'],
  ['a landing of an older hop contradicts', at(2, ['w1', 'w2']), landed(0, ['T']), 'contradicts'],
  ['a landing on another path contradicts', at(1, ['w1']), landed(1, ['w5', 'T']), 'contradicts'],
  // After the ending.
  ['a hop after the landing contradicts', at(0, ['T'], 'landed'), thrown(1, ['w2']), 'contradicts'],
  ['a second ending contradicts', at(2, ['w1', 'w2', 'T'], 'landed'), dropped(3, ['w1', 'w2', 'w3', 'w4']), 'contradicts'],
  ['the same ending again (another event) contradicts', at(0, ['T'], 'landed'), landed(0, ['T']), 'contradicts'],
  ['a hop after a drop contradicts', at(3, ['w1', 'w2', 'w3', 'w4'], 'dropped'), thrown(3, ['w1', 'w2', 'w3']), 'contradicts'],
  // Another serving of the ball id (a re-request aims it elsewhere, or later, or with other maxHops).
  ['another target contradicts', at(0, []), thrown(1, ['w1'], { ...ball, target: 'U' }), 'contradicts'],
  ['another maxHops contradicts', at(0, []), thrown(1, ['w1'], { ...ball, maxHops: 9 }), 'contradicts'],
  ['another servedAt contradicts', at(0, []), thrown(1, ['w1'], { ...ball, servedAt: '2026-01-01T00:00:00.300Z' }), 'contradicts'],
  ['the same instant in another offset is the same ball', at(0, []), thrown(1, ['w1'], { ...ball, servedAt: '2026-01-01T01:00:00+01:00' }), 'extends'],
  ['another serving contradicts even when it is ahead', at(0, []), thrown(2, ['w1', 'w2'], { ...ball, target: 'U' }), 'contradicts'],
  // Steps no worker makes.
  ['hop 1 with two pods on its path contradicts', at(0, []), thrown(1, ['w1', 'w2']), 'contradicts'],
  ['a hop thrown by its target contradicts', at(0, []), thrown(1, ['T']), 'contradicts'],
  ['a landing by another pod contradicts', at(1, ['w1']), landed(1, ['w1', 'w2']), 'contradicts'],
  ['a max-hops drop before maxHops contradicts', at(1, ['w1']), dropped(1, ['w1', 'w2']), 'contradicts'],
  ['a hop past maxHops contradicts', at(3, ['w1', 'w2', 'w3']), thrown(4, ['w1', 'w2', 'w3', 'w4']), 'contradicts'],
  ['a drop by its target contradicts', at(1, ['w1']), dropped(1, ['w1', 'T'], 'target-gone'), 'contradicts'],
];

for (const [name, recorded, step, want] of cases) {
  test(`flight rule: ${name}`, (t) => {
    const v = judge(recorded, step);
    t.is(v.kind, want, 'reason' in v ? v.reason : '');
    if (v.kind === 'early' || v.kind === 'contradicts') t.true(v.reason.length > 0);
  });
}

test('every step a worker makes (forward/bounce.ts) is well formed and extends or closes the flight it follows', (t) => {
  const b = { ...ball, maxHops: 4 };
  // Two courses through the same pods: one lands, one runs out of hops.
  for (const catchers of [['w1', 'w2', 'w1', 'T'], ['w1', 'w2', 'w3', 'w4', 'w5']]) {
    let rec: RecordedFlight | undefined;
    let inAir: BallInFlight = { ball: b, path: [], hop: 0 };
    t.is(judge(rec, { kind: 'thrown', flight: inAir }).kind, 'starts');
    rec = { ball: b, status: 'served', hop: 0, path: [] };
    for (const w of catchers) {
      const out = bounce(inAir, w);
      const step: Step = out.kind === 'dropped' ? { kind: 'dropped', flight: out.ball, reason: out.ball.reason } : { kind: out.kind, flight: out.ball };
      t.is(malformed(step), undefined);
      t.is(judge(rec, step).kind, out.kind === 'thrown' ? 'extends' : 'closes', `${out.kind} by ${w}`);
      const from = tipBefore(step)!;
      t.deepEqual(from, { hop: rec.hop, path: [...rec.path] }, 'the tip the store checks is the one recorded');
      if (out.kind !== 'thrown') break;
      rec = { ball: b, status: 'served', hop: out.ball.hop, path: out.ball.path };
      inAir = out.ball;
    }
  }
});

test('tipBefore: nothing for hop 0, the previous hop for a throw, the same hop for an ending', (t) => {
  t.is(tipBefore(thrown(0, [])), undefined);
  t.deepEqual(tipBefore(thrown(2, ['w1', 'w2'])), { hop: 1, path: ['w1'] });
  t.deepEqual(tipBefore(landed(2, ['w1', 'w2', 'T'])), { hop: 2, path: ['w1', 'w2'] });
});

for (const [a, b, same] of [
  ['2026-01-01T00:00:00Z', '2026-01-01T00:00:00.000000Z', true],
  ['2026-01-01T00:00:00.123456Z', '2026-01-01T00:00:00.123456Z', true],
  ['2026-01-01T00:00:00.123456Z', '2026-01-01T00:00:00.123Z', false],
  ['2026-01-01T00:00:00.1234564Z', '2026-01-01T00:00:00.123456Z', true],
  ['2026-01-01T00:00:00.9999996Z', '2026-01-01T00:00:01Z', true],
  ['2026-01-01T02:00:00+02:00', '2026-01-01T00:00:00Z', true],
] as const) {
  test(`instants: ${a} ${same ? '=' : '≠'} ${b} (to the microsecond, as PostgreSQL keeps it)`, (t) => {
    t.is(instantMicros(a) === instantMicros(b), same);
  });
}
