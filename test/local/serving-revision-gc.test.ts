import test from 'ava';
import { RETAINED_REVISIONS, forgetOldRevisions } from '../../local/serving/apply.js';
import type { Revision } from '../../local/serving/state.js';

// Only the fields the rule reads: the name, its pods and a retry timer.
const rev = (n: number, pods = 0) => ({ name: `gc-${String(n).padStart(5, '0')}`, pods: new Set(Array.from({ length: pods }, (_, i) => i)), retryTimer: undefined }) as unknown as Revision;

test('past RETAINED_REVISIONS, the oldest revisions without pods are forgotten; routed, latest and running ones stay', (t) => {
  const revisions = Array.from({ length: RETAINED_REVISIONS + 10 }, (_, i) => rev(i + 1, i === 2 ? 1 : 0));
  const routed = revisions[0]!;
  const svc = { revisions, routed };
  forgetOldRevisions(svc);
  const names = svc.revisions.map((r) => r.name);
  t.true(names.includes('gc-00001'), 'the routed one stays, however old');
  t.true(names.includes('gc-00003'), 'one with a pod stays');
  t.true(names.includes(`gc-000${RETAINED_REVISIONS + 10}`), 'the latest stays');
  t.is(names.length, RETAINED_REVISIONS + 2 + 1, 'routed + running + latest, and the newest RETAINED_REVISIONS idle ones');
  t.false(names.includes('gc-00002'), 'the oldest idle ones are gone');
  const again = svc.revisions.length;
  forgetOldRevisions(svc);
  t.is(svc.revisions.length, again, 'nothing more to forget');
});

test('under the bound nothing is forgotten', (t) => {
  const svc = { revisions: Array.from({ length: RETAINED_REVISIONS }, (_, i) => rev(i + 1)), routed: undefined };
  forgetOldRevisions(svc);
  t.is(svc.revisions.length, RETAINED_REVISIONS);
});
