import test from 'ava';
import { SeenVersions } from '../../lib/kube/seen-versions.js';

test('a version already seen answers at once; one seen later wakes its waiters', async (t) => {
  const seen = new SeenVersions();
  seen.add('a', '1');
  t.true(await seen.wait('a', '1', 1000));
  const later = seen.wait('a', '2', 5000);
  const other = seen.wait('b', '2', 5000);
  seen.add('a', '2');
  t.true(await later);
  seen.add('b', '2');
  t.true(await other);
});

test('a version never seen answers false after the wait; versions are matched, never ordered', async (t) => {
  const seen = new SeenVersions();
  seen.add('a', '10');
  t.false(await seen.wait('a', '9', 20), 'an older version is not "seen" because a newer one was');
  t.false(await seen.wait('a', '11', 0));
  seen.add('a', undefined);
  t.false(seen.has('a', ''));
});

test('memory and waiters are bounded: the oldest version is forgotten, an extra waiter answered at once', async (t) => {
  const seen = new SeenVersions(2);
  seen.add('a', '1');
  seen.add('a', '2');
  seen.add('a', '3');
  t.false(seen.has('a', '1'));
  t.true(seen.has('a', '2') && seen.has('a', '3'));
  const w1 = seen.wait('x', '1', 5000);
  const w2 = seen.wait('x', '2', 5000);
  t.false(await seen.wait('x', '3', 5000), 'past capacity');
  seen.add('x', '1');
  seen.add('x', '2');
  t.deepEqual(await Promise.all([w1, w2]), [true, true]);
  const w3 = seen.wait('y', '1', 5000);
  seen.add('y', '1');
  t.true(await w3, 'the answered waiters freed their slots');
});
