import test from 'ava';
import { failed, ok, stamp, unknown, withReady } from '../../local/controllers/conditions.js';
import { writeStatus } from '../../local/controllers/status-writer.js';
import { ObjectStore } from '../../local/apiserver/index.js';
import { ResourceVersionCounter } from '../../local/apiserver/store.js';

test('Ready is True only when every condition is; else it takes the first False (then Unknown) reason', (t) => {
  t.is(withReady([ok('A'), ok('B')]).find((c) => c.type === 'Ready')!.status, 'True');
  const r = withReady([ok('A'), unknown('B', 'Waiting', 'w'), failed('C', 'Broken', 'b')]).find((c) => c.type === 'Ready')!;
  t.deepEqual([r.status, r.reason, r.message], ['False', 'Broken', 'b']);
  t.is(withReady([unknown('B', 'Waiting', 'w')]).find((c) => c.type === 'Ready')!.reason, 'Waiting');
});

test('stamp keeps a transition time while the status stays, and moves it when it changes', (t) => {
  const first = stamp([ok('A'), failed('B', 'x', 'y')], undefined, 'T1');
  const same = stamp([ok('A'), failed('B', 'x', 'y')], first, 'T2');
  t.deepEqual(same.map((c) => c.lastTransitionTime), ['T1', 'T1']);
  const moved = stamp([ok('A'), ok('B')], first, 'T3');
  t.deepEqual(moved.map((c) => c.lastTransitionTime), ['T1', 'T3']);
});

test('writeStatus writes only a status that says something new, so a controller settles', (t) => {
  const store = new ObjectStore(new ResourceVersionCounter());
  store.put({ apiVersion: 'v1', kind: 'X', metadata: { name: 'a', namespace: 'n', generation: 3 } });
  const o = store.get('n', 'a')!;
  writeStatus(store, o, { conditions: withReady([ok('A')]), url: 'u' }, new Date('2026-01-01T00:00:00Z'));
  const rv = store.get('n', 'a')!.metadata.resourceVersion;
  const status = store.get('n', 'a')!.status as { observedGeneration: number; url: string };
  t.is(status.observedGeneration, 3);
  t.is(status.url, 'u');
  writeStatus(store, o, { conditions: withReady([ok('A')]), url: 'u' }, new Date('2026-01-01T00:05:00Z'));
  t.is(store.get('n', 'a')!.metadata.resourceVersion, rv, 'the same status again writes nothing');
  writeStatus(store, o, { conditions: withReady([ok('A')]), url: 'v' });
  t.not(store.get('n', 'a')!.metadata.resourceVersion, rv);
});
