import test from 'ava';
import { ObjectStore } from '../../local/apiserver/index.js';
import { ResourceVersionCounter } from '../../local/apiserver/store.js';
import { eventRecorder } from '../../local/apiserver/events.js';

const ref = { apiVersion: 'v1', kind: 'Pod', namespace: 'n', name: 'p' };

test('the same reason and message again counts on one Event; the oldest go past the limit', (t) => {
  const store = new ObjectStore(new ResourceVersionCounter());
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const record = eventRecorder(store, () => new Date(clock += 1000), 3);
  record({ object: ref, type: 'Warning', reason: 'Failed', message: 'boom' });
  record({ object: ref, type: 'Warning', reason: 'Failed', message: 'boom' });
  const [one] = store.list().items;
  t.is(store.list().items.length, 1);
  t.is(one!.count, 2);
  t.not(one!.firstTimestamp, one!.lastTimestamp);
  for (const m of ['a', 'b', 'c']) record({ object: ref, type: 'Normal', reason: 'R', message: m });
  const left = store.list().items.map((e) => e.message).sort();
  t.deepEqual(left, ['a', 'b', 'c'], 'the oldest (boom) went first');
});
