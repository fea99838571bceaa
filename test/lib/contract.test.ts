import test from 'ava';
import {
  parseData, eventTypes, ballThrown, ballLanded, ballDropped, coinFlipped, derivedId, ballIdFor, hopEventId,
  BALL_THROWN, BALL_REQUESTED, COIN_FLIP_REQUESTED, BALL_DROPPED, type EventType,
} from '../../lib/contract/index.js';

const ball = { id: 'b1', target: 'w1', maxHops: 5, servedAt: '2026-01-01T00:00:00.000Z' };

const cases: Array<[string, EventType, unknown, string | null]> = [
  ['a valid thrown ball', BALL_THROWN, { ball, path: [], hop: 0 }, null],
  ['a ball without target', BALL_THROWN, { ball: { ...ball, target: undefined }, path: [], hop: 0 }, 'data.ball.target'],
  ['a negative hop', BALL_THROWN, { ball, path: [], hop: -1 }, 'data.hop'],
  ['a non-string path entry', BALL_THROWN, { ball, path: ['a', 3], hop: 1 }, 'data.path[1]'],
  ['an unknown key', BALL_THROWN, { ball, path: [], hop: 0, spin: 1 }, 'data.spin'],
  ['a bad servedAt', BALL_THROWN, { ball: { ...ball, servedAt: 'yesterday' }, path: [], hop: 0 }, 'data.ball.servedAt'],
  ['a drop without reason', BALL_DROPPED, { ball, path: [], hop: 3 }, 'data.reason'],
  ['a drop with an unknown reason', BALL_DROPPED, { ball, path: [], hop: 3, reason: 'bored' }, 'data.reason'],
  ['an empty ball request', BALL_REQUESTED, {}, null],
  ['a ball request for 0 balls', BALL_REQUESTED, { count: 0 }, 'data.count'],
  ['a ball request with maxHops', BALL_REQUESTED, { count: 8, maxHops: 2 }, null],
  ['a ball request with the most maxHops a ball may have (under the Broker TTL)', BALL_REQUESTED, { maxHops: 250 }, null],
  ['a ball request with maxHops 0', BALL_REQUESTED, { maxHops: 0 }, 'data.maxHops'],
  ['a ball request with maxHops past the bound', BALL_REQUESTED, { maxHops: 251 }, 'data.maxHops'],
  ['a ball request with fractional maxHops', BALL_REQUESTED, { maxHops: 2.5 }, 'data.maxHops'],
  ['a ball request with maxHops as text', BALL_REQUESTED, { maxHops: '3' }, 'data.maxHops'],
  ['a flip request', COIN_FLIP_REQUESTED, { heads: 3 }, null],
  ['a flip request without heads', COIN_FLIP_REQUESTED, {}, 'data.heads'],
  ['a flip request for 1.5 heads', COIN_FLIP_REQUESTED, { heads: 1.5 }, 'data.heads'],
  ['a flip request for 51 heads', COIN_FLIP_REQUESTED, { heads: 51 }, 'data.heads'],
  ['data that is not an object', COIN_FLIP_REQUESTED, 'heads=3', 'data'],
];

for (const [name, type, data, field] of cases) {
  test(`schema: ${name}`, (t) => {
    const r = parseData(type, data);
    if (field === null) t.true(r.ok, JSON.stringify(r));
    else t.deepEqual(r.ok ? [] : r.errors.map((e) => e.field), [field]);
  });
}

test('every dev.pingpong type has a schema and a source prefix', (t) => {
  const own = eventTypes.filter((e) => e.startsWith('dev.pingpong.'));
  t.is(own.length, 9);
});

test('ids derive from the cause: same cause, same id; another cause, another id', (t) => {
  t.is(derivedId('/s', '1', 'x'), derivedId('/s', '1', 'x'));
  t.not(derivedId('/s', '1', 'x'), derivedId('/s', '2', 'x'));
  t.not(derivedId('/s', '1', 'x'), derivedId('/t', '1', 'x'));
  t.not(ballIdFor('/s', '1', 0), ballIdFor('/s', '1', 1));
  // The separator keeps ("a", "bc") and ("ab", "c") apart.
  t.not(derivedId('a', 'bc'), derivedId('ab', 'c'));
});

test('constructors give each hop and outcome its own id, carrying ballid and hop', (t) => {
  const flight = { ball, path: ['w2'], hop: 1 };
  const thrown = ballThrown('forward', flight);
  const landed = ballLanded(flight);
  const dropped = ballDropped({ ...flight, reason: 'max-hops' });
  t.is(thrown.id, hopEventId('b1', 1));
  t.deepEqual(new Set([thrown.id, landed.id, dropped.id]).size, 3);
  t.is(thrown.source, '/pingpong/forward');
  t.is(thrown['ballid'], 'b1');
  t.is(thrown['hop'], 1);
  t.is(landed.type, 'dev.pingpong.ball.landed');
  const a = coinFlipped({ source: '/x', id: '7' }, { heads_required: 2, total_flips: 9 });
  const b = coinFlipped({ source: '/x', id: '7' }, { heads_required: 2, total_flips: 9 });
  t.is(a.id, b.id);
});
