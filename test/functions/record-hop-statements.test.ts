import test from 'ava';
import { KEY, multiRow, WRITE } from '../../functions/record-hop/statements.js';

const flip = (id: string) => WRITE.coin_flip({ eventSource: '/s', eventId: id, headsRequired: 2, totalFlips: 7, at: null });

test('multiRow joins the VALUES tuples of one statement shape, each tuple\'s $n after the ones before it', (t) => {
  const q = multiRow([flip('a'), flip('b'), flip('c')]);
  const one = flip('a');
  t.is(q.params.length, one.params.length * 3);
  t.deepEqual(q.params.filter((p) => ['a', 'b', 'c'].includes(p as string)), ['a', 'b', 'c']);
  const n = one.params.length;
  // The third tuple's placeholders start after the first two's, casts and coalesce(…) kept.
  t.regex(q.sql, new RegExp(`\\(\\$${2 * n + 1}, \\$${2 * n + 2},[^)]*coalesce\\(\\$${3 * n}::timestamptz, now\\(\\)\\)\\)$`));
  t.is((q.sql.match(/INSERT INTO coin_flip/g) ?? []).length, 1);
});

test('multiRow keeps ON CONFLICT once and puts the RETURNING it is given in place of the statement\'s', (t) => {
  const key = (id: string) => KEY.event({ source: '/s', id, type: 't', time: null, data: { id } });
  const q = multiRow([key('a'), key('b')], 'source, id');
  t.is((q.sql.match(/ON CONFLICT \(source, id\) DO NOTHING/g) ?? []).length, 1);
  t.regex(q.sql, /RETURNING source, id$/);
  t.notRegex(q.sql, /RETURNING 1/);
  t.regex(q.sql, /\(\$6, \$7, \$8, \$9, \$10::jsonb\)/);
  t.throws(() => multiRow([]), { message: /at least one/ });
});
