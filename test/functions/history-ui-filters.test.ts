/**
 * The system picture spells each Trigger's filter in words: the shipped Triggers as the page shows
 * them, and each of Knative's filter dialects (exact, prefix, suffix, all, any, not, cesql).
 */
import test from 'ava';
import { filterText } from '../../functions/history-ui/system.js';
import { loadKustomization } from '../../lib/manifests/index.js';
import { ROOT } from '../../lib/process/function-command.js';

test('the shipped Triggers read as sentences', async (t) => {
  const triggers = Object.fromEntries((await loadKustomization(ROOT)).map((r) => r.object)
    .filter((o) => o.kind === 'Trigger').map((o) => [o.metadata.name, filterText(o.spec as Parameters<typeof filterText>[0])]));
  t.is(triggers.forward, 'type = dev.pingpong.ball.thrown');
  t.regex(triggers['record-hop-history']!, /^type is one of dev\.pingpong\.ball\.thrown, dev\.pingpong\.ball\.landed, .* or \(type starts with dev\.knative\.apiserver\.resource\. and kind = Pod\)$/);
  t.is(triggers['list-pods'], '(type = dev.knative.sources.ping and source = /apis/v1/namespaces/pingpong/pingsources/list-pods)'
    + ' or (type starts with dev.knative.apiserver.resource. and kind = Pod)');
});

test('each dialect, nested, and the empty filter', (t) => {
  t.is(filterText(undefined), 'everything');
  t.is(filterText({ filter: {} }), 'everything');
  t.is(filterText({ filter: { attributes: { type: 'a', source: '/s' } } }), 'type = a and source = /s');
  t.is(filterText({ filters: [{ suffix: { type: '.landed' } }, { not: { exact: { source: '/x' } } }] }), 'type ends with .landed and not source = /x');
  t.is(filterText({ filters: [{ not: { any: [{ exact: { type: 'a' } }, { prefix: { type: 'b' } }] } }] }), 'not (type = a or type starts with b)');
  t.is(filterText({ filters: [{ cesql: "type LIKE 'dev.%'" }] }), "CESQL: type LIKE 'dev.%'");
  t.is(filterText({ filters: [{ any: [{ exact: { type: 'a' } }, { exact: { source: 'b' } }] }] }), 'type = a or source = b', 'one of needs one attribute');
});
