import test from 'ava';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { isEventType } from '../../lib/contract/index.js';
import { kustomizationGenerators } from '../../lib/manifests/load.js';
import { referenceProblems, referencesOf } from '../../lib/manifests/references.js';
import { ROOT, repoObject, repoResources } from './fixtures.js';
import type { KubeObject } from '../../lib/kube/object.js';

test('every reference resolves: subscribers, dead-letter sinks, sinks, subjects, ServiceAccounts, roles, config', async (t) => {
  const resources = await repoResources();
  t.deepEqual(referenceProblems(resources, await kustomizationGenerators(ROOT)), []);
  // The check sees the references this test is about, so an empty answer means something.
  const kinds = new Set(resources.flatMap((r) => referencesOf(r).map((x) => `${r.object.kind}.${x.field.replace(/\[\d+\]/g, '[]')}`)));
  for (const k of ['Trigger.spec.subscriber.ref', 'Trigger.spec.broker', 'Broker.spec.delivery.deadLetterSink.ref', 'PingSource.spec.sink.ref',
    'SinkBinding.spec.subject', 'SinkBinding.spec.sink.ref', 'Service.spec.template.spec.serviceAccountName', 'RoleBinding.roleRef',
    'Service.spec.template.spec.containers[].env[].valueFrom.secretKeyRef']) t.true(kinds.has(k), `no ${k} reference was checked`);
});

const dangling: Array<[string, [string, string], (o: KubeObject) => void, string]> = [
  ['a Trigger subscriber that is not a Service here', ['Trigger', 'forward'], (o) => { o.spec.subscriber.ref.name = 'forwrd'; }, 'spec.subscriber.ref'],
  ['a Trigger on a Broker that does not exist', ['Trigger', 'forward'], (o) => { o.spec.broker = 'other'; }, 'spec.broker'],
  ['a dead-letter sink that does not exist', ['Broker', 'default'], (o) => { o.spec.delivery.deadLetterSink.ref.name = 'dlq'; }, 'spec.delivery.deadLetterSink.ref'],
  ['a SinkBinding subject that does not exist', ['SinkBinding', 'ping'], (o) => { o.spec.subject.name = 'pong'; }, 'spec.subject'],
  ['a sink in another namespace', ['PingSource', 'serve-balls'], (o) => { o.spec.sink.ref.namespace = 'default'; }, 'spec.sink.ref'],
  ['a ServiceAccount that does not exist', ['Service', 'ping'], (o) => { o.spec.template.spec.serviceAccountName = 'pinger'; }, 'spec.template.spec.serviceAccountName'],
  ['a ConfigMap that does not exist', ['Service', 'ping'], (o) => { o.spec.template.spec.containers[0].env.push({ name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'config', key: 'greeting' } } }); }, 'spec.template.spec.containers[0].env[1].valueFrom.configMapKeyRef'],
];
for (const [title, [kind, name], mutate, field] of dangling) {
  test(`reports ${title}`, async (t) => {
    const resources = structuredClone(await repoResources());
    const r = resources.find((x) => x.object.kind === kind && x.object.metadata.name === name)!;
    mutate(r.object);
    const problems = referenceProblems(resources, await kustomizationGenerators(ROOT));
    t.deepEqual(problems.map((p) => [p.file, p.field]), [[r.file, field]], JSON.stringify(problems));
  });
}

/** Every CloudEvents `type` a Trigger filters on, exact or prefix, through all/any/not. */
function filteredTypes(trigger: KubeObject): string[] {
  const out: string[] = [];
  if (typeof trigger.spec?.filter?.attributes?.type === 'string') out.push(trigger.spec.filter.attributes.type);
  const visit = (f: KubeObject): void => {
    if (typeof f.exact?.type === 'string') out.push(f.exact.type);
    for (const d of ['all', 'any'] as const) (f[d] ?? []).forEach(visit);
    if (f.not) visit(f.not);
  };
  (trigger.spec?.filters ?? []).forEach(visit);
  return out;
}

test('every event type a Trigger filters on is in lib/contract', async (t) => {
  const triggers = (await repoResources()).filter((r) => r.object.kind === 'Trigger');
  t.true(triggers.length >= 5);
  for (const r of triggers) {
    const types = filteredTypes(r.object);
    t.true(types.length > 0, `${r.file} filters on no type`);
    for (const type of types) t.true(isEventType(type), `${r.file}: ${type} is not in lib/contract`);
  }
});

test('the type check sees a typo in a nested filter', async (t) => {
  const o = await repoObject('Trigger', 'record-hop-history');
  o.spec.filters[0].any[1].exact.type = 'dev.pingpong.ball.landd';
  t.false(filteredTypes(o).every(isEventType));
});

test('record-hop hears every history type of the contract (all dev.pingpong.* but requests)', async (t) => {
  const types = filteredTypes(await repoObject('Trigger', 'record-hop-history')).sort();
  const { eventTypes } = await import('../../lib/contract/index.js');
  const history = eventTypes.filter((x) => x.startsWith('dev.pingpong.') && !x.endsWith('.requested')).sort();
  t.deepEqual(types, history);
});

test('every function folder has a Knative Service (by FUNCTION_TARGET) and a func.yaml', async (t) => {
  const services = (await repoResources()).map((r) => r.object).filter((o) => o.apiVersion === 'serving.knative.dev/v1' && o.kind === 'Service');
  const targets = new Set(services.map((s) => s.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'FUNCTION_TARGET')?.value));
  const folders: string[] = [];
  for (const e of await readdir(path.join(ROOT, 'functions'), { withFileTypes: true })) if (e.isDirectory()) folders.push(e.name);
  t.true(folders.length >= 4, folders.join(', '));
  for (const f of folders) {
    t.true(targets.has(f), `functions/${f} has no Knative Service with FUNCTION_TARGET=${f}`);
    t.true((await stat(path.join(ROOT, 'functions', f, 'func.yaml')).catch(() => undefined))?.isFile() ?? false, `functions/${f}/func.yaml is missing`);
  }
  for (const s of services) t.is(s.metadata.name, s.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'FUNCTION_TARGET').value);
});
