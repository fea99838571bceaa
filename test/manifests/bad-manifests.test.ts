import test from 'ava';
import { validateAll, validateResource, localRuntimeProblems, CESQL_UNSUPPORTED } from '../../lib/manifests/validate.js';
import { repoObject } from './fixtures.js';

// A parsed document, mutated into what no valid object is: loosely typed on purpose.
type Doc = Record<string, any>;
type Mutate = (o: Doc) => void;
const A = 'autoscaling.knative.dev/';
const ann = (o: Doc) => o.spec.template.metadata.annotations as Record<string, string>;
const c0 = (o: Doc) => o.spec.template.spec.containers[0];
const KSVC = 'serving.knative.dev/v1';

/**
 * Each row: a good manifest from the repo, one change, and the problem it must yield (field, and
 * a fragment of the message). Every webhook rule has at least one row.
 */
const cases: Array<[string, [kind: string, name: string, apiVersion?: string], Mutate, string, RegExp]> = [
  // schema: types (models) and unknown fields (CRD schemas / client-node models)
  ['a container field that does not exist', ['Service', 'forward', KSVC], (o) => { c0(o).imagePulPolicy = 'Always'; }, 'spec.template.spec.containers[0].imagePulPolicy', /unknown field/],
  ['an unknown spec field on a Trigger (CRD preserves, webhook refuses)', ['Trigger', 'forward'], (o) => { o.spec.subscribr = o.spec.subscriber; }, 'spec.subscribr', /unknown field/],
  ['an unknown field in a StatefulSet pod template', ['StatefulSet', 'postgres'], (o) => { o.spec.template.spec.containers[0].volumeMount = []; }, 'spec.template.spec.containers[0].volumeMount', /unknown field/],
  ['an unknown top-level field on a Role', ['Role', 'ping'], (o) => { o.rule = o.rules; }, 'rule', /unknown field/],
  ['an env value that is a number', ['Service', 'coin-flip', KSVC], (o) => { c0(o).env[0].value = 3; }, 'spec.template.spec.containers[0].env[0].value', /must be string/],
  ['a Service without containers', ['Service', 'ping', KSVC], (o) => { delete o.spec.template.spec.containers; }, 'spec.template.spec.containers', /required/],
  ['a feature-flagged PodSpec field (Downward API)', ['Service', 'forward', KSVC], (o) => { c0(o).env.push({ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }); }, 'spec.template.spec.containers[0].env[1].valueFrom.fieldRef', /kubernetes\.podspec-fieldref/],
  ['a pod-level securityContext (feature-flagged)', ['Service', 'forward', KSVC], (o) => { o.spec.template.spec.securityContext = { runAsNonRoot: true }; }, 'spec.template.spec.securityContext', /kubernetes\.podspec-securitycontext/],
  // serving webhook
  ['autoscaling on the Service metadata', ['Service', 'forward', KSVC], (o) => { o.metadata.annotations = { [`${A}min-scale`]: '1' }; }, `metadata.annotations["${A}min-scale"]`, /spec\.template\.metadata\.annotations/],
  ['min-scale that is not an integer', ['Service', 'forward', KSVC], (o) => { ann(o)[`${A}min-scale`] = 'one'; }, `spec.template.metadata.annotations["${A}min-scale"]`, /integer/],
  ['max-scale below min-scale', ['Service', 'forward', KSVC], (o) => { ann(o)[`${A}min-scale`] = '4'; ann(o)[`${A}max-scale`] = '2'; }, `spec.template.metadata.annotations["${A}max-scale"]`, /must be ≥ min-scale/],
  ['initial-scale 0 without allow-zero-initial-scale', ['Service', 'forward', KSVC], (o) => { ann(o)[`${A}initial-scale`] = '0'; }, `spec.template.metadata.annotations["${A}initial-scale"]`, /≥ 1/],
  ['a window shorter than 6s', ['Service', 'forward', KSVC], (o) => { ann(o)[`${A}window`] = '5s'; }, `spec.template.metadata.annotations["${A}window"]`, /6s to 1h/],
  ['a window that is not a duration', ['Service', 'forward', KSVC], (o) => { ann(o)[`${A}window`] = 'PT60S'; }, `spec.template.metadata.annotations["${A}window"]`, /duration/],
  ['a target below 0.01', ['Service', 'coin-flip', KSVC], (o) => { ann(o)[`${A}target`] = '0'; }, `spec.template.metadata.annotations["${A}target"]`, /0\.01/],
  ['an unknown Knative autoscaler class', ['Service', 'forward', KSVC], (o) => { ann(o)[`${A}class`] = 'xpa.autoscaling.knative.dev'; }, `spec.template.metadata.annotations["${A}class"]`, /kpa\.autoscaling/],
  ['a misspelt autoscaling key', ['Service', 'forward', KSVC], (o) => { ann(o)[`${A}max-scal`] = '3'; }, `spec.template.metadata.annotations["${A}max-scal"]`, /unknown autoscaling annotation/],
  ['the legacy and current key together', ['Service', 'forward', KSVC], (o) => { ann(o)[`${A}minScale`] = '0'; }, `spec.template.metadata.annotations["${A}minScale"]`, /duplicates/],
  ['a reserved env name (PORT)', ['Service', 'ping', KSVC], (o) => { c0(o).env.push({ name: 'PORT', value: '9000' }); }, 'spec.template.spec.containers[0].env[1].name', /reserved/],
  ['a reserved env name (K_REVISION)', ['Service', 'coin-flip', KSVC], (o) => { c0(o).env.push({ name: 'K_REVISION', value: 'x' }); }, 'spec.template.spec.containers[0].env[1].name', /reserved/],
  ['a port Knative reserves', ['Service', 'forward', KSVC], (o) => { c0(o).ports[0].containerPort = 8012; }, 'spec.template.spec.containers[0].ports[0].containerPort', /reserved/],
  ['a port name other than http1/h2c', ['Service', 'forward', KSVC], (o) => { c0(o).ports[0].name = 'http'; }, 'spec.template.spec.containers[0].ports[0].name', /http1/],
  ['containerConcurrency over the limit', ['Service', 'forward', KSVC], (o) => { o.spec.template.spec.containerConcurrency = 5000; }, 'spec.template.spec.containerConcurrency', /1000/],
  ['timeoutSeconds over max-revision-timeout-seconds', ['Service', 'forward', KSVC], (o) => { o.spec.template.spec.timeoutSeconds = 601; }, 'spec.template.spec.timeoutSeconds', /600/],
  ['a Service name that is not a DNS-1035 label', ['Service', 'forward', KSVC], (o) => { o.metadata.name = '1forward'; }, 'metadata.name', /DNS-1035/],
  // eventing webhook: delivery
  ['a backoffDelay that is not ISO-8601', ['Broker', 'default'], (o) => { o.spec.delivery.backoffDelay = '0.5s'; }, 'spec.delivery.backoffDelay', /ISO-8601/],
  ['a backoffPolicy other than linear/exponential', ['Broker', 'default'], (o) => { o.spec.delivery.backoffPolicy = 'quadratic'; }, 'spec.delivery.backoffPolicy', /linear.*exponential/],
  ['a negative retry', ['Broker', 'default'], (o) => { o.spec.delivery.retry = -1; }, 'spec.delivery.retry', /≥ 0/],
  ['retryAfterMax (alpha, off)', ['Broker', 'default'], (o) => { o.spec.delivery.retryAfterMax = 'PT10S'; }, 'spec.delivery.retryAfterMax', /delivery-retryafter/],
  ['a dead-letter sink with neither ref nor uri', ['Broker', 'default'], (o) => { o.spec.delivery.deadLetterSink = {}; }, 'spec.delivery.deadLetterSink', /ref or a uri/],
  ['a relative dead-letter uri without a ref', ['Broker', 'default'], (o) => { o.spec.delivery.deadLetterSink = { uri: '/dead' }; }, 'spec.delivery.deadLetterSink.uri', /absolute/],
  ['an empty broker class', ['Broker', 'default'], (o) => { o.metadata.annotations['eventing.knative.dev/broker.class'] = ''; }, 'metadata.annotations["eventing.knative.dev/broker.class"]', /empty/],
  // eventing webhook: Trigger
  ['a Trigger without a broker', ['Trigger', 'forward'], (o) => { delete o.spec.broker; }, 'spec.broker', /exactly one of broker and brokerRef/],
  ['a Trigger with broker and brokerRef', ['Trigger', 'forward'], (o) => { o.spec.brokerRef = { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', name: 'default' }; }, 'spec.broker', /exactly one/],
  ['a Trigger without a subscriber', ['Trigger', 'forward'], (o) => { delete o.spec.subscriber; }, 'spec.subscriber', /required/],
  ['a subscriber ref without a name', ['Trigger', 'forward'], (o) => { delete o.spec.subscriber.ref.name; }, 'spec.subscriber.ref.name', /required/],
  ['a filter attribute key with capitals', ['Trigger', 'forward'], (o) => { o.spec.filter.attributes = { Type: 'dev.pingpong.ball.thrown' }; }, 'spec.filter.attributes.Type', /\^\[a-z\]\[a-z0-9\]\*\$/],
  ['a filter attribute key with a dash', ['Trigger', 'forward'], (o) => { o.spec.filter.attributes['ball-id'] = 'x'; }, 'spec.filter.attributes.ball-id', /attribute name/],
  ['a filters entry with two dialects', ['Trigger', 'record-hop-history'], (o) => { o.spec.filters[0].exact = { type: 'x' }; }, 'spec.filters[0]', /multiple dialects/],
  ['a filters entry with no dialect', ['Trigger', 'record-hop-history'], (o) => { o.spec.filters.push({}); }, 'spec.filters[1]', /needs one dialect/],
  ['an unknown filter dialect', ['Trigger', 'record-hop-history'], (o) => { o.spec.filters.push({ regex: { type: '.*' } }); }, 'spec.filters[1].regex', /unknown filter dialect/],
  ['an exact filter with an empty value', ['Trigger', 'record-hop-history'], (o) => { o.spec.filters[0].any[0].exact.type = ''; }, 'spec.filters[0].any[0].exact.type', /non-empty/],
  ['a prefix filter with an empty map', ['Trigger', 'record-hop-history'], (o) => { o.spec.filters.push({ prefix: {} }); }, 'spec.filters[1].prefix', /non-empty map/],
  ['an empty any', ['Trigger', 'record-hop-history'], (o) => { o.spec.filters[0].any = []; }, 'spec.filters[0].any', /non-empty list/],
  ['a bad key inside not', ['Trigger', 'record-hop-history'], (o) => { o.spec.filters.push({ not: { suffix: { Source: 'x' } } }); }, 'spec.filters[1].not.suffix.Source', /attribute name/],
  // eventing webhook: PingSource
  ['a PingSource @every schedule', ['PingSource', 'serve-balls'], (o) => { o.spec.schedule = '@every 10s'; }, 'spec.schedule', /@every is not accepted/],
  ['a PingSource schedule with 7 fields', ['PingSource', 'serve-balls'], (o) => { o.spec.schedule = '0 0 * * * * 2030'; }, 'spec.schedule', /5 fields, or 6/],
  ['a PingSource schedule out of range', ['PingSource', 'serve-balls'], (o) => { o.spec.schedule = '61 * * * *'; }, 'spec.schedule', /minute/],
  ['a PingSource timezone that is not IANA', ['PingSource', 'serve-balls'], (o) => { o.spec.timezone = 'Mars/Olympus'; }, 'spec.timezone', /IANA/],
  ['PingSource data and dataBase64 together', ['PingSource', 'serve-balls'], (o) => { o.spec.dataBase64 = 'e30='; }, 'spec.data', /mutually exclusive/],
  ['PingSource JSON data that is not an object', ['PingSource', 'serve-balls'], (o) => { o.spec.data = '[1,2]'; }, 'spec.data', /JSON object/],
  ['PingSource JSON data that does not parse', ['PingSource', 'serve-balls'], (o) => { o.spec.data = '{reason: tick}'; }, 'spec.data', /JSON object/],
  ['a PingSource without a sink', ['PingSource', 'serve-balls'], (o) => { delete o.spec.sink; }, 'spec.sink', /required/],
  // SinkBinding
  ['a SinkBinding subject with neither name nor selector', ['SinkBinding', 'ping'], (o) => { delete o.spec.subject.name; }, 'spec.subject', /name and selector/],
  ['a SinkBinding sink with neither ref nor uri', ['SinkBinding', 'ping'], (o) => { o.spec.sink = {}; }, 'spec.sink', /ref or a uri/],
  // generic
  ['a resource without a name', ['ConfigMap', 'pingpong-table-limits'], (o) => { delete o.metadata.name; }, 'metadata.name', /required/],
  ['a namespace on a cluster-scoped kind', ['Namespace', 'pingpong'], (o) => { o.metadata.namespace = 'pingpong'; }, 'metadata.namespace', /cluster-scoped/],
  ['a kind the manifests may not use', ['ConfigMap', 'pingpong-table-limits'], (o) => { o.kind = 'ConfigMapp'; }, 'kind', /not a kind/],
];

for (const [title, [kind, name, apiVersion], mutate, field, message] of cases) {
  test(`rejects ${title}`, async (t) => {
    const obj = await repoObject(kind, name, apiVersion);
    t.deepEqual(validateResource(obj, 'good.yaml'), [], 'the unchanged manifest passes');
    mutate(obj);
    const problems = validateResource(obj, 'bad.yaml');
    const hit = problems.find((p) => p.field === field && message.test(p.message));
    t.truthy(hit, `want ${field} ~ ${message}; got ${JSON.stringify(problems, null, 1)}`);
    t.is(hit?.file, 'bad.yaml');
    t.regex(hit?.resource ?? '', /^[A-Za-z]+\/[a-z-]*\/[^/]+$/);
  });
}

test('a cesql filter passes the cluster rules but the local runtime refuses it, saying so', async (t) => {
  const obj = await repoObject('Trigger', 'record-hop-history');
  obj.spec.filters.push({ not: { cesql: "source LIKE '%demo%'" } });
  t.deepEqual(validateResource(obj, 't.yaml'), []);
  const local = validateResource(obj, 't.yaml', { local: true });
  t.deepEqual(local.map((p) => [p.field, p.message]), [['spec.filters[1].not.cesql', CESQL_UNSUPPORTED]]);
  t.deepEqual(localRuntimeProblems(obj, 't.yaml'), local);
  t.is(validateAll([{ file: 't.yaml', index: 0, object: obj }], { local: false }).length, 0);
  t.is(validateAll([{ file: 't.yaml', index: 0, object: obj }], { local: true }).length, 1);
});

test('an enabled feature flag lets a flagged field through', async (t) => {
  const obj = await repoObject('Service', 'forward', KSVC);
  c0(obj).env.push({ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
  t.not(validateResource(obj, 'f.yaml').length, 0);
  t.deepEqual(validateResource(obj, 'f.yaml', { features: ['kubernetes.podspec-fieldref'] }), []);
});

test('a resource defined twice in a set is reported once, naming the first file', async (t) => {
  const obj = await repoObject('Trigger', 'forward');
  const problems = validateAll([{ file: 'a.yaml', index: 0, object: obj }, { file: 'b.yaml', index: 0, object: structuredClone(obj) }], { local: false });
  t.deepEqual(problems, [{ file: 'b.yaml', resource: 'Trigger/pingpong/forward', field: 'metadata.name', message: 'defined twice (also in a.yaml)' }]);
});

test('custom resources of a CRD in the set are accepted, unknown kinds are not', (t) => {
  const crd = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'pingpongtables.pingpong.dev' },
    spec: { group: 'pingpong.dev', scope: 'Namespaced', names: { kind: 'PingPongTable', plural: 'pingpongtables', singular: 'pingpongtable' },
      versions: [{ name: 'v1alpha1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }] } };
  const table = { apiVersion: 'pingpong.dev/v1alpha1', kind: 'PingPongTable', metadata: { name: 't', namespace: 'pingpong' }, spec: {} };
  t.deepEqual(validateAll([{ file: 'crd.yaml', index: 0, object: crd }, { file: 't.yaml', index: 0, object: table }], { local: true }), []);
  t.is(validateAll([{ file: 't.yaml', index: 0, object: table }], { local: true })[0]?.field, 'kind');
});

test('not a mapping at all', (t) => {
  t.deepEqual(validateResource(['x'], 'x.yaml').map((p) => p.message), ['must be a YAML mapping (a Kubernetes object)']);
});
