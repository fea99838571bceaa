import test from 'ava';
import { PodLogs } from '../../local/apiserver/pod-logs.js';

test('tail and since select the last lines; each pod keeps a bounded number of bytes', (t) => {
  const logs = new PodLogs(25);
  const t0 = new Date('2026-01-01T00:00:00Z');
  for (let i = 0; i < 10; i++) logs.append('p', `line ${i}`, new Date(t0.getTime() + i * 1000));
  const all = logs.read('p').map((l) => l.text);
  t.deepEqual(all, ['line 7', 'line 8', 'line 9'], 'oldest dropped past 25 bytes');
  t.deepEqual(logs.read('p', { tailLines: 1 }).map((l) => l.text), ['line 9']);
  t.deepEqual(logs.read('p', { sinceSeconds: 2, now: new Date(t0.getTime() + 9000) }).map((l) => l.text), ['line 7', 'line 8', 'line 9']);
  t.deepEqual(logs.read('p', { sinceSeconds: 1, now: new Date(t0.getTime() + 9500) }).map((l) => l.text), ['line 9']);
});

test('followers get each new line and then the end; only the latest exited pods are kept', (t) => {
  const logs = new PodLogs(1024, 2);
  const got: (string | null)[] = [];
  logs.follow('a', (l) => got.push(l ? l.text : null));
  logs.append('a', 'one');
  logs.end('a');
  logs.append('a', 'late');
  t.deepEqual(got, ['one', null]);
  for (const p of ['b', 'c']) { logs.append(p, 'x'); logs.end(p); }
  t.false(logs.has('a'), 'the oldest exited pod was dropped');
  t.true(logs.has('b') && logs.has('c'));
  let ended = false;
  logs.follow('c', (l) => { if (l === null) ended = true; });
  t.true(ended, 'following an exited pod ends at once');
});
