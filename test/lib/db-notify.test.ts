import test from 'ava';
import pg from 'pg';
import { decodeNotice, encodeNotice } from '../../lib/db/notify.js';
import { isTransientDbError } from '../../lib/db/errors.js';

test('a notice round-trips as JSON', (t) => {
  const n = { table: 'hop', type: 'dev.pingpong.ball.thrown', source: '/pingpong/ping', id: 'b1.0', ballId: 'b1' };
  t.deepEqual(decodeNotice(encodeNotice(n)), n);
});

test('a notice stays under PostgreSQL\'s 8000-byte NOTIFY limit, even with huge or escaped fields', (t) => {
  for (const big of ['x'.repeat(20_000), '\u0001'.repeat(5000), 'é'.repeat(9000)]) {
    const payload = encodeNotice({ table: 'event', type: big, source: big, id: big, ballId: big });
    t.true(Buffer.byteLength(payload) < 8000, `${Buffer.byteLength(payload)} bytes`);
    t.is(decodeNotice(payload)?.table, 'event');
  }
});

test('payloads that are not notices decode to undefined', (t) => {
  for (const p of [undefined, '', 'hello', '{"table":1}', 'null']) t.is(decodeNotice(p), undefined);
});

const dbError = (code: string) => Object.assign(new pg.DatabaseError('x', 0, 'error'), { code });

for (const [name, err, want] of [
  ['connection refused', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), true],
  ['connect timeout', new Error('timeout exceeded when trying to connect'), true],
  ['server shutting down (57P01)', dbError('57P01'), true],
  ['too many connections (53300)', dbError('53300'), true],
  ['serialization failure (40001)', dbError('40001'), true],
  ['insufficient privilege (42501)', dbError('42501'), false],
  ['bad data (22P02)', dbError('22P02'), false],
] as const) {
  test(`${name} is ${want ? '' : 'not '}transient`, (t) => t.is(isTransientDbError(err), want));
}
