import test from 'ava';
import { aimBalls, type AimInput } from '../../functions/ping/aim.js';

const workers = [{ name: 'w1', ip: '127.0.0.1', port: 1 }, { name: 'w2', ip: '127.0.0.1', port: 2 }, { name: 'w3', ip: '127.0.0.1', port: 3 }];
const base: AimInput = {
  request: {}, workers, cause: { source: '/apis/v1/namespaces/pingpong/pingsources/serve-balls', id: 'tick-1' },
  ballsPerTick: 1, maxHops: 7, now: new Date('2026-01-01T00:00:00Z'), random: () => 0.5,
};

test('aims a ball at a random live worker', (t) => {
  const seen = new Set<string>();
  for (const r of [0, 0.34, 0.99]) {
    const out = aimBalls({ ...base, random: () => r });
    if (!out.ok) return t.fail();
    seen.add(out.balls[0]!.ball.target);
  }
  t.deepEqual([...seen].sort(), ['w1', 'w2', 'w3']);
});

test('aims at the target a request names', (t) => {
  const out = aimBalls({ ...base, request: { target: 'w3', count: 3 }, random: () => 0 });
  t.true(out.ok);
  if (out.ok) t.deepEqual(out.balls.map((b) => b.ball.target), ['w3', 'w3', 'w3']);
});

test('serves count balls, else balls-per-tick, each hop 0 with an empty path and max hops', (t) => {
  const many = aimBalls({ ...base, ballsPerTick: 4 });
  const few = aimBalls({ ...base, request: { count: 2 }, ballsPerTick: 4 });
  t.true(many.ok && few.ok);
  if (!many.ok || !few.ok) return;
  t.is(many.balls.length, 4);
  t.is(few.balls.length, 2);
  for (const b of many.balls) {
    t.is(b.hop, 0);
    t.deepEqual(b.path, []);
    t.is(b.ball.maxHops, 7);
    t.is(b.ball.servedAt, '2026-01-01T00:00:00.000Z');
  }
  t.is(new Set(many.balls.map((b) => b.ball.id)).size, 4);
});

test('a request may set maxHops for its balls; without it they get the configured one', (t) => {
  const own = aimBalls({ ...base, request: { count: 2, maxHops: 1 } });
  const configured = aimBalls({ ...base, request: { count: 2 } });
  if (!own.ok || !configured.ok) return t.fail();
  t.deepEqual(own.balls.map((b) => b.ball.maxHops), [1, 1]);
  t.deepEqual(configured.balls.map((b) => b.ball.maxHops), [7, 7]);
  // The ball ids still derive from the cause alone.
  t.deepEqual(own.balls.map((b) => b.ball.id), configured.balls.map((b) => b.ball.id));
});

test('a redelivered cause serves balls with the same ids', (t) => {
  const a = aimBalls(base);
  const b = aimBalls({ ...base, random: () => 0.9 });
  const c = aimBalls({ ...base, cause: { ...base.cause, id: 'tick-2' } });
  if (!a.ok || !b.ok || !c.ok) return t.fail();
  t.is(a.balls[0]!.ball.id, b.balls[0]!.ball.id);
  t.not(a.balls[0]!.ball.id, c.balls[0]!.ball.id);
});

test('no live worker asks for a retry', (t) => {
  const out = aimBalls({ ...base, workers: [] });
  t.false(out.ok);
  if (!out.ok) t.true(out.retry);
});

test('a named target that is not live is a bad request naming data.target', (t) => {
  const out = aimBalls({ ...base, request: { target: 'ghost' } });
  t.false(out.ok);
  if (!out.ok) {
    t.false(out.retry);
    t.is(out.errors[0]!.field, 'data.target');
    t.regex(out.errors[0]!.message, /ghost/);
  }
});
