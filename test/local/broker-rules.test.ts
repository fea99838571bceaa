import test from 'ava';
import { evaluateFilter, matchAttributes, triggerMatches, UnsupportedFilter, type SubscriptionsApiFilter, type TriggerFilterSpec } from '../../local/broker/filter.js';
import { attempts, attemptTimeoutMs, backoffMs, effectiveDelivery, isRetriable, isSuccess, DEFAULT_BROKER_DELIVERY, type DeliverySpec } from '../../local/broker/retry.js';
import { ingressTtl, withoutTtl, withTtl, TTL_EXTENSION } from '../../local/broker/ttl.js';
import { deadLetterAttributes, ERROR_CODE, ERROR_DATA, ERROR_DEST } from '../../local/broker/dead-letter.js';

const ev = { specversion: '1.0', id: 'e1', source: '/shop/orders', type: 'com.acme.order.created', subject: 'order-42', color: 'red', empty: '', count: 5 };

for (const [name, want, attrs, expected] of [
  ['no filter matches everything', undefined, ev, true],
  ['an empty map matches everything', {}, ev, true],
  ['exact type matches', { type: 'com.acme.order.created' }, ev, true],
  ['exact match is case-sensitive', { type: 'com.acme.Order.created' }, ev, false],
  ['every key must match (AND)', { type: 'com.acme.order.created', source: '/other' }, ev, false],
  ['"" matches a present extension with any value', { color: '' }, ev, true],
  ['"" does not match an absent extension', { size: '' }, ev, false],
  ['"" does not match a present but empty extension', { empty: '' }, ev, false],
  ['a value does not match an absent extension', { size: 'xl' }, ev, false],
  ['non-string attributes compare as text', { count: '5' }, ev, true],
] as const) {
  test(`filter.attributes: ${name}`, (t) => t.is(matchAttributes(want as Record<string, string> | undefined, attrs), expected));
}

const F = (f: SubscriptionsApiFilter) => f;
for (const [name, filter, expected] of [
  ['exact: all entries match', F({ exact: { type: 'com.acme.order.created', subject: 'order-42' } }), 'pass'],
  ['exact: one entry differs', F({ exact: { type: 'com.acme.order.created', subject: 'order-43' } }), 'fail'],
  ['exact: missing attribute fails', F({ exact: { size: 'xl' } }), 'fail'],
  ['prefix: matches', F({ prefix: { type: 'com.acme.order.' } }), 'pass'],
  ['prefix: case-sensitive', F({ prefix: { type: 'com.ACME.' } }), 'fail'],
  ['prefix: missing attribute fails', F({ prefix: { size: 'x' } }), 'fail'],
  ['suffix: matches', F({ suffix: { type: '.created', source: '/orders' } }), 'pass'],
  ['suffix: one entry fails', F({ suffix: { type: '.created', source: '/carts' } }), 'fail'],
  ['all: every filter passes', F({ all: [{ prefix: { type: 'com.acme.' } }, { exact: { color: 'red' } }] }), 'pass'],
  ['all: one fails', F({ all: [{ prefix: { type: 'com.acme.' } }, { exact: { color: 'blue' } }] }), 'fail'],
  ['any: one passes', F({ any: [{ exact: { color: 'blue' } }, { suffix: { type: 'created' } }] }), 'pass'],
  ['any: none passes', F({ any: [{ exact: { color: 'blue' } }, { suffix: { type: 'deleted' } }] }), 'fail'],
  ['not: inverts a pass', F({ not: { exact: { color: 'red' } } }), 'fail'],
  ['not: inverts a fail', F({ not: { exact: { color: 'blue' } } }), 'pass'],
  ['not of nothing does not apply', F({ not: { all: [] } }), 'none'],
  ['an empty element does not apply', F({}), 'none'],
  ['empty all does not apply', F({ all: [] }), 'none'],
  ['nested: all[any, not]', F({ all: [{ any: [{ exact: { color: 'red' } }, { exact: { color: 'blue' } }] }, { not: { prefix: { subject: 'test' } } }] }), 'pass'],
] as const) {
  test(`filters: ${name}`, (t) => t.is(evaluateFilter(filter, ev), expected));
}

for (const [name, spec, expected] of [
  ['no filter at all delivers', {}, true],
  ['non-empty filters win over filter.attributes', { filter: { attributes: { color: 'blue' } }, filters: [{ exact: { color: 'red' } }] }, true],
  ['filters fail even when filter.attributes would pass', { filter: { attributes: { color: 'red' } }, filters: [{ exact: { color: 'blue' } }] }, false],
  ['an empty filters array falls back to filter.attributes', { filter: { attributes: { color: 'blue' } }, filters: [] }, false],
  ['filters that do not apply deliver', { filters: [{ not: { all: [] } }] }, true],
  ['filters are ANDed', { filters: [{ prefix: { type: 'com.' } }, { exact: { subject: 'nope' } }] }, false],
] as const satisfies readonly (readonly [string, TriggerFilterSpec, boolean])[]) {
  test(`trigger: ${name}`, (t) => t.is(triggerMatches(spec, ev), expected));
}

test('cesql is refused with a clear error', (t) => {
  const err = t.throws(() => triggerMatches({ filters: [{ cesql: "source LIKE '%shop%'" }] }, ev), { instanceOf: UnsupportedFilter });
  t.regex(err!.message, /cesql.*not supported/i);
});

for (const [status, retried] of [
  [undefined, true], [500, true], [502, true], [503, true], [504, true], [404, true], [408, true], [409, true], [429, true],
  [400, false], [401, false], [403, false], [410, false], [413, false], [422, false], [301, false], [100, false],
] as const) {
  test(`retry: ${status ?? 'no response'} is ${retried ? '' : 'not '}retried`, (t) => t.is(isRetriable(status), retried));
}

for (const [status, ok] of [[200, true], [202, true], [204, true], [299, true], [300, false], [199, false], [404, false]] as const) {
  test(`success: ${status} is ${ok ? '' : 'not '}a success`, (t) => t.is(isSuccess(status), ok));
}

for (const [name, spec, waits] of [
  ['exponential: D·2^(k-1)', { retry: 5, backoffPolicy: 'exponential', backoffDelay: 'PT0.2S' }, [200, 400, 800, 1600, 3200]],
  ['linear: D·(k-1), the first retry immediate', { retry: 4, backoffPolicy: 'linear', backoffDelay: 'PT1S' }, [0, 1000, 2000, 3000]],
  ['no policy: immediate', { retry: 3, backoffDelay: 'PT1S' }, [0, 0, 0]],
  ['no delay: immediate', { retry: 3, backoffPolicy: 'exponential' }, [0, 0, 0]],
  ['the default: 10 retries up to 102.4 s', DEFAULT_BROKER_DELIVERY, [200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 102400]],
] as const satisfies readonly (readonly [string, DeliverySpec, readonly number[]])[]) {
  test(`backoff: ${name}`, (t) => {
    t.is(attempts(spec), waits.length + 1);
    t.deepEqual(waits.map((_, i) => backoffMs(spec, i + 1)), [...waits]);
  });
}

for (const [name, spec, n] of [['no retry = one attempt', {}, 1], ['retry 0', { retry: 0 }, 1], ['retry 3', { retry: 3 }, 4]] as const) {
  test(`attempts: ${name}`, (t) => t.is(attempts(spec), n));
}

test('timeout: ISO-8601 per attempt, absent when unset', (t) => {
  t.is(attemptTimeoutMs({ timeout: 'PT2.5S' }), 2500);
  t.is(attemptTimeoutMs({}), undefined);
});

const dls = { deadLetterSink: { uri: 'http://dlq' } };
for (const [name, trigger, broker, expected] of [
  ['the Trigger’s delivery wins, whole', { retry: 1 }, { retry: 5, ...dls }, { retry: 1 }],
  ['an empty Trigger delivery still wins: no retries, no DLS', {}, { retry: 5, ...dls }, {}],
  ['else the Broker’s', undefined, { retry: 5, ...dls }, { retry: 5, ...dls }],
  ['a Broker delivery without retry is not filled with the default', undefined, dls, dls],
  ['else the cluster default', undefined, undefined, { retry: 10, backoffPolicy: 'exponential', backoffDelay: 'PT0.2S' }],
] as const) {
  test(`delivery spec: ${name}`, (t) => t.deepEqual(effectiveDelivery(trigger, broker), expected));
}

for (const [name, current, expected] of [
  ['absent: set to 255', undefined, { accept: true, ttl: 255 }],
  ['unreadable: treated as absent', 'lots', { accept: true, ttl: 255 }],
  ['present: decremented', '10', { accept: true, ttl: 9 }],
  ['2 → 1 still accepted', '2', { accept: true, ttl: 1 }],
  ['1 → 0: dropped', '1', { accept: false, ttl: 0 }],
  ['0 → -1: dropped', '0', { accept: false, ttl: -1 }],
] as const) {
  test(`ttl: ${name}`, (t) => t.deepEqual(ingressTtl(current), expected));
}

test('ttl: the subscriber does not see it; a reply gets its cause’s back', (t) => {
  t.deepEqual(withoutTtl({ id: '1', [TTL_EXTENSION]: '7' }), { id: '1' });
  t.deepEqual(withTtl({ id: 'r', [TTL_EXTENSION]: '255' }, '7'), { id: 'r', [TTL_EXTENSION]: '7' });
});

test('dead letter: the original attributes plus dest, code and base64 data', (t) => {
  const out = deadLetterAttributes({ id: '1', type: 't' }, { destination: 'http://sub/', status: 503, body: Buffer.from('busy') });
  t.deepEqual(out, { id: '1', type: 't', [ERROR_DEST]: 'http://sub/', [ERROR_CODE]: '503', [ERROR_DATA]: Buffer.from('busy').toString('base64') });
});

test('dead letter: transport errors are code 500 without data', (t) => {
  const out = deadLetterAttributes({ id: '1' }, { destination: 'http://sub/' });
  t.is(out[ERROR_CODE], '500');
  t.false(ERROR_DATA in out);
});

test('dead letter: data is cut to 1024 base64 characters', (t) => {
  const out = deadLetterAttributes({ id: '1' }, { destination: 'x', status: 500, body: Buffer.alloc(5000, 'a') });
  t.is(out[ERROR_DATA]!.length, 1024);
  t.true(Buffer.alloc(5000, 'a').toString('base64').startsWith(out[ERROR_DATA]!));
});
