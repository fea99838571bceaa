import test from 'ava';
import { decideWorkers, pinnedCount, pinPatch, templateScale } from '../../functions/scale-workers/decide.js';
import { seededRandom } from '../../functions/scale-workers/seeded.js';
import { tableStatus } from '../../functions/scale-workers/status.js';

const random = (v: number) => () => v;

const pinned = (n: number) => ({ min: n, max: n });

test('Fixed mode is its replicas, whatever woke it and whatever runs', (t) => {
  for (const cause of ['tick', 'table'] as const) {
    for (const scale of [{}, pinned(1), pinned(5), { min: 2, max: 9 }]) {
      t.deepEqual(decideWorkers({ mode: 'Fixed', min: 1, max: 10, replicas: 4 }, scale, cause, random(0.99)), { to: 4, reason: 'fixed' });
    }
  }
});

test('Random mode: a tick draws in [min, max], both ends reachable', (t) => {
  const spec = { mode: 'Random' as const, min: 2, max: 5 };
  t.deepEqual(decideWorkers(spec, pinned(3), 'tick', random(0)), { to: 2, reason: 'shuffle' });
  t.deepEqual(decideWorkers(spec, pinned(3), 'tick', random(0.9999)), { to: 5, reason: 'shuffle' });
  const seen = new Set<number>();
  for (let i = 0; i < 500; i++) seen.add(decideWorkers(spec, {}, 'tick', Math.random)!.to);
  t.deepEqual([...seen].sort(), [2, 3, 4, 5]);
});

test('Random mode: a table change leaves a scale inside the bounds and brings one outside back in', (t) => {
  const spec = { mode: 'Random' as const, min: 2, max: 5 };
  t.is(decideWorkers(spec, pinned(4), 'table', random(0)), undefined, 'a pinned count inside');
  t.is(decideWorkers(spec, { min: 2, max: 5 }, 'table', random(0)), undefined, 'an autoscaled range inside: the next tick draws');
  t.deepEqual(decideWorkers(spec, pinned(9), 'table', random(0)), { to: 5, reason: 'bounds' });
  t.deepEqual(decideWorkers(spec, pinned(1), 'table', random(0.99)), { to: 2, reason: 'bounds' });
  t.deepEqual(decideWorkers(spec, { min: 1, max: 8 }, 'table', random(0.5)), { to: 4, reason: 'shuffle' }, 'a range reaching outside gets a draw');
  t.is(decideWorkers(spec, {}, 'table', random(0.5))!.reason, 'shuffle', 'a template without a scale gets a draw');
});

test('the template scale is min-scale and max-scale; pinned when they are equal', (t) => {
  t.deepEqual(templateScale({ 'autoscaling.knative.dev/min-scale': '3', 'autoscaling.knative.dev/max-scale': '3' }), { min: 3, max: 3 });
  t.is(pinnedCount(templateScale({ 'autoscaling.knative.dev/min-scale': '3', 'autoscaling.knative.dev/max-scale': '3' })), 3);
  t.is(pinnedCount(templateScale({ 'autoscaling.knative.dev/min-scale': '2', 'autoscaling.knative.dev/max-scale': '5' })), undefined);
  t.deepEqual(templateScale({ 'autoscaling.knative.dev/min-scale': 'x', 'autoscaling.knative.dev/max-scale': '4' }), { max: 4 });
  t.deepEqual(templateScale(undefined), {});
  t.deepEqual(pinPatch(4), { spec: { template: { metadata: { annotations: { 'autoscaling.knative.dev/min-scale': '4', 'autoscaling.knative.dev/max-scale': '4' } } } } });
});

test('a redelivered tick draws the same count; another tick may not', (t) => {
  const a = seededRandom('/apis/v1/namespaces/pingpong/pingsources/shuffle-workers', 'tick-1');
  const b = seededRandom('/apis/v1/namespaces/pingpong/pingsources/shuffle-workers', 'tick-1');
  const draws = Array.from({ length: 5 }, () => a());
  t.deepEqual(Array.from({ length: 5 }, () => b()), draws);
  t.true(draws.every((d) => d >= 0 && d < 1));
  const counts = new Set<number>();
  for (let i = 0; i < 200; i++) counts.add(decideWorkers({ mode: 'Random', min: 1, max: 10 }, {}, 'tick', seededRandom('/s', `tick-${i}`))!.to);
  t.true(counts.size >= 8, `ticks spread over the range: ${[...counts].sort((x, y) => x - y)}`);
});

test('the table status says what runs; the same facts keep their transition time', (t) => {
  const first = tableStatus(undefined, { generation: 3, workers: 4, revision: 'forward-00007', service: 'forward' }, new Date('2026-12-03T10:00:00.123Z'));
  t.deepEqual(first, {
    observedGeneration: 3, workers: 4, revision: 'forward-00007',
    conditions: [{ type: 'Ready', status: 'True', reason: 'WorkersSet', message: 'forward runs 4 worker(s) on forward-00007', lastTransitionTime: '2026-12-03T10:00:00Z' }],
  });
  const again = tableStatus(first, { generation: 4, workers: 4, revision: 'forward-00007', service: 'forward' }, new Date('2026-12-03T11:00:00Z'));
  t.is(again.conditions[0]!.lastTransitionTime, '2026-12-03T10:00:00Z');
  t.is(again.observedGeneration, 4);
  const pending = tableStatus(first, { generation: 5, workers: 2, revision: '', service: 'forward' }, new Date('2026-12-03T12:00:00Z'));
  t.like(pending.conditions[0], { status: 'Unknown', reason: 'RevisionPending', lastTransitionTime: '2026-12-03T12:00:00Z' });
});
