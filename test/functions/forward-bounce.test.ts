import test from 'ava';
import { bounce } from '../../functions/forward/bounce.js';
import type { BallInFlight } from '../../lib/contract/index.js';

const thrown = (over: { target?: string; hop?: number; maxHops?: number; path?: string[] } = {}): BallInFlight => ({
  ball: { id: 'b', target: over.target ?? 'w1', maxHops: over.maxHops ?? 20, servedAt: '2026-01-01T00:00:00Z' },
  path: over.path ?? [],
  hop: over.hop ?? 0,
});

for (const [name, ball, self, kind, path, hop] of [
  ['lands a ball aimed at me', thrown({ target: 'w1' }), 'w1', 'landed', ['w1'], 0],
  ['lands a ball aimed at me even on its last hop', thrown({ target: 'w1', hop: 20 }), 'w1', 'landed', ['w1'], 20],
  ['drops a ball at max hops', thrown({ hop: 20, maxHops: 20, path: ['w3'] }), 'w2', 'dropped', ['w3', 'w2'], 20],
  ['drops a ball past max hops', thrown({ hop: 25, maxHops: 20 }), 'w2', 'dropped', ['w2'], 25],
  ['throws a ball aimed elsewhere, one hop further', thrown({ hop: 3, path: ['a', 'b'] }), 'w2', 'thrown', ['a', 'b', 'w2'], 4],
  ['throws again when it comes back to the same worker', thrown({ hop: 1, path: ['w2'] }), 'w2', 'thrown', ['w2', 'w2'], 2],
] as const) {
  test(name, (t) => {
    const out = bounce(ball, self);
    t.is(out.kind, kind);
    t.deepEqual(out.ball.path, path);
    t.is(out.ball.hop, hop);
    t.is(out.ball.ball.target, ball.ball.target, 'the target never changes');
    if (out.kind === 'dropped') t.is(out.ball.reason, 'max-hops');
  });
}

test('bounce does not mutate the ball it caught', (t) => {
  const b = thrown({ path: ['x'] });
  bounce(b, 'w9');
  t.deepEqual(b.path, ['x']);
});

test('a ball whose target has gone drops with target-gone; unknown pods leave it in play; landing wins', (t) => {
  const b = thrown({ hop: 3, path: ['a'] });
  const gone = bounce(b, 'w2', false);
  t.is(gone.kind, 'dropped');
  if (gone.kind === 'dropped') t.is(gone.ball.reason, 'target-gone');
  t.deepEqual(gone.ball.path, ['a', 'w2']);
  t.is(gone.ball.hop, 3, 'a drop is not a hop');
  t.is(bounce(b, 'w2', undefined).kind, 'thrown', 'while the pods are not known yet, the ball plays on');
  t.is(bounce(b, 'w2', true).kind, 'thrown');
  t.is(bounce(thrown({ hop: 3 }), thrown({}).ball.target, false).kind, 'landed', 'a ball reaching its target lands, whatever the cache says');
});
