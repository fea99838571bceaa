import test from 'ava';
import { matchFields, matchLabels, parseFieldSelector, parseLabelSelector } from '../../local/apiserver/selectors.js';
import { requestInfo } from '../../local/apiserver/request-info.js';
import { humanDuration } from '../../local/apiserver/table.js';
import { negotiate } from '../../local/apiserver/negotiate.js';
import { ApiError } from '../../local/apiserver/status.js';

const labels = { app: 'forward-00001', 'serving.knative.dev/service': 'forward', tier: 'web' };

for (const [selector, want] of [
  ['', true],
  ['app=forward-00001', true],
  ['app==forward-00001', true],
  ['app=forward-00002', false],
  ['app!=forward-00002', true],
  ['missing!=x', true],
  ['serving.knative.dev/service=forward,tier=web', true],
  ['serving.knative.dev/service=forward, tier=api', false],
  ['tier in (api, web)', true],
  ['tier in (api)', false],
  ['tier notin (api,web)', false],
  ['missing notin (a)', true],
  ['missing in (a)', false],
  ['tier', true],
  ['missing', false],
  ['!missing', true],
  ['!tier', false],
  ['  app = forward-00001 ,  !canary ', true],
] as const) {
  test(`label selector "${selector}" → ${want}`, (t) => t.is(matchLabels(parseLabelSelector(selector), labels), want));
}

test('numeric label selectors gt/lt', (t) => {
  t.true(matchLabels(parseLabelSelector('gen>3'), { gen: '4' }));
  t.false(matchLabels(parseLabelSelector('gen<3'), { gen: '4' }));
  t.false(matchLabels(parseLabelSelector('gen>3'), { gen: 'x' }));
});

for (const bad of ['a=b,', 'in (a)', 'a in b', 'a in (b', 'a b', '!', 'a>b', '-a=b']) {
  test(`label selector "${bad}" is a 400`, (t) => {
    const e = t.throws(() => parseLabelSelector(bad), { instanceOf: ApiError });
    t.is(e?.code, 400);
  });
}

test('field selectors: =, ==, != and escapes', (t) => {
  const fields = { 'metadata.name': 'a,b', 'status.phase': 'Running' };
  t.true(matchFields(parseFieldSelector('status.phase=Running'), fields));
  t.true(matchFields(parseFieldSelector('status.phase==Running'), fields));
  t.false(matchFields(parseFieldSelector('status.phase!=Running'), fields));
  t.true(matchFields(parseFieldSelector('metadata.name=a\\,b,status.phase!=Failed'), fields));
  t.deepEqual(parseFieldSelector(''), []);
  t.throws(() => parseFieldSelector('status.phase'), { instanceOf: ApiError });
});

const info = (method: string, path: string) => requestInfo(method, new URL(path, 'http://x'));
for (const [method, path, want] of [
  ['GET', '/api/v1/namespaces/pingpong/pods', { verb: 'list', resource: 'pods', namespace: 'pingpong', name: '' }],
  ['GET', '/api/v1/namespaces/pingpong/pods?watch=true', { verb: 'watch', resource: 'pods', namespace: 'pingpong' }],
  ['GET', '/api/v1/namespaces/pingpong/pods?watch=1&fieldSelector=metadata.name%3Dp1', { verb: 'watch', name: 'p1', pathName: '' }],
  ['GET', '/api/v1/watch/namespaces/pingpong/pods', { verb: 'watch', resource: 'pods', namespace: 'pingpong' }],
  ['GET', '/api/v1/watch/namespaces/pingpong/pods/p1', { verb: 'watch', name: 'p1', pathName: 'p1' }],
  ['GET', '/api/v1/namespaces/pingpong/pods/p1', { verb: 'get', name: 'p1', pathName: 'p1' }],
  ['GET', '/api/v1/namespaces/pingpong/pods/p1/log', { verb: 'get', name: 'p1', subresource: 'log' }],
  ['GET', '/api/v1/pods', { verb: 'list', resource: 'pods', namespace: '' }],
  ['GET', '/api/v1/namespaces/pingpong', { verb: 'get', resource: 'namespaces', name: 'pingpong' }],
  ['POST', '/apis/serving.knative.dev/v1/namespaces/pingpong/services', { verb: 'create', apiGroup: 'serving.knative.dev', apiVersion: 'v1', resource: 'services' }],
  ['PUT', '/api/v1/namespaces/pingpong/pods/p1', { verb: 'update' }],
  ['PATCH', '/api/v1/namespaces/pingpong/pods/p1', { verb: 'patch' }],
  ['DELETE', '/api/v1/namespaces/pingpong/pods/p1', { verb: 'delete' }],
  ['DELETE', '/api/v1/namespaces/pingpong/pods', { verb: 'deletecollection' }],
  ['GET', '/api/v1', { isResourceRequest: false, verb: 'get' }],
  ['GET', '/apis/serving.knative.dev/v1', { isResourceRequest: false }],
  ['GET', '/version', { isResourceRequest: false, path: '/version' }],
] as const) {
  test(`request info: ${method} ${path}`, (t) => t.like(info(method, path), want as Record<string, unknown>));
}

for (const [ms, want] of [[-5000, '<invalid>'], [0, '0s'], [59_000, '59s'], [119_000, '119s'], [150_000, '2m30s'], [600_000, '10m'], [3 * 3600_000 + 60_000, '3h1m'], [30 * 3600_000, '30h'], [50 * 3600_000, '2d2h'], [10 * 86400_000, '10d'], [800 * 86400_000, '2y70d']] as const) {
  test(`human age of ${ms} ms is ${want}`, (t) => t.is(humanDuration(ms), want));
}

test('content negotiation: Table for kubectl, JSON otherwise, 406 when nothing fits', (t) => {
  t.deepEqual(negotiate('application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json'), { as: 'Table', apiVersion: 'meta.k8s.io/v1' });
  t.deepEqual(negotiate('application/json, */*;q=0.8'), { as: 'json' });
  t.deepEqual(negotiate(undefined), { as: 'json' });
  t.deepEqual(negotiate('application/vnd.kubernetes.protobuf,application/json'), { as: 'json' });
  t.deepEqual(negotiate('application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io'), { as: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1' });
  t.is(t.throws(() => negotiate('application/vnd.kubernetes.protobuf'), { instanceOf: ApiError })?.code, 406);
});
