/**
 * overlays/kafka: the same install as `kubectl apply -k .`, with the Broker on Knative's Kafka
 * class and its topic settings. Rendered by `kubectl kustomize` when kubectl is here, and always
 * by the small renderer below (the project's loader cannot apply patches: it reads files as
 * written, for the local runtime); when both run they must agree.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments, parse } from 'yaml';
import type { KubeObject } from '../../lib/kube/object.js';
import { hasKubectl, renderKustomization } from '../../lib/manifests/kustomize.js';
import { loadFiles } from '../../lib/manifests/load.js';
import { isObject } from '../../lib/manifests/paths.js';
import { referenceProblems } from '../../lib/manifests/references.js';
import { validateAll } from '../../lib/manifests/validate.js';
import { ROOT } from './fixtures.js';

const OVERLAY = path.join(ROOT, 'overlays/kafka');
const run = promisify(execFile);
const id = (o: KubeObject) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;

/** RFC 7386 merge: what a strategic-merge patch does to the maps it touches (this overlay patches no list). */
function merge(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = merge(out[k], v);
  }
  return out;
}

/**
 * The overlay rendered without kustomize: its bases through the project's loader, its own files,
 * its patches merged into their targets, its images set. Refuses any field it does not apply, so
 * it cannot quietly render less than kustomize would.
 */
async function renderWithoutKustomize(): Promise<KubeObject[]> {
  const k = parse(await readFile(path.join(OVERLAY, 'kustomization.yaml'), 'utf8')) as Record<string, any>;
  const unknown = Object.keys(k).filter((f) => !['apiVersion', 'kind', 'resources', 'patches', 'images'].includes(f));
  if (unknown.length) throw new Error(`overlays/kafka uses ${unknown.join(', ')}, which this renderer does not apply`);
  const objects: KubeObject[] = [];
  for (const entry of k.resources as string[]) {
    const at = path.join(OVERLAY, entry);
    if (/\.ya?ml$/.test(entry)) objects.push(...(await loadFiles([at])).map((r) => r.object));
    else objects.push(...(await renderKustomization(at, { useKubectl: false })).objects);
  }
  for (const p of k.patches ?? []) {
    const patch = parse(await readFile(path.join(OVERLAY, p.path), 'utf8')) as KubeObject;
    const hits = objects.filter((o) => o.kind === p.target.kind && o.metadata?.name === p.target.name
      && String(o.apiVersion).startsWith(`${p.target.group}/`));
    if (hits.length !== 1) throw new Error(`patch ${p.path} matches ${hits.length} objects`);
    Object.assign(hits[0]!, merge(hits[0], patch));
  }
  for (const img of k.images ?? []) {
    for (const o of objects) {
      for (const c of o.spec?.template?.spec?.containers ?? []) if (c.image === img.name) c.image = `${img.newName ?? img.name}:${img.newTag}`;
    }
  }
  return objects;
}

const renderings: Array<[string, () => Promise<KubeObject[] | undefined>]> = [
  ['without kustomize', renderWithoutKustomize],
  ['kubectl kustomize', async () => {
    if (!(await hasKubectl())) return undefined;
    const { stdout } = await run('kubectl', ['kustomize', OVERLAY], { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
    return parseAllDocuments(stdout).map((d) => d.toJS()).filter(isObject) as KubeObject[];
  }],
];

for (const [how, render] of renderings) {
  test(`rendered ${how}: the base's resources, the Broker on the Kafka class with its ConfigMap, all valid`, async (t) => {
    const objects = await render();
    if (!objects) { t.log('kubectl is not on PATH: only the renderer without kustomize ran'); t.pass(); return; }
    const base = (await renderKustomization(ROOT, { useKubectl: false })).objects;
    // Everything the base installs, plus the one ConfigMap; nothing dropped or doubled.
    t.deepEqual(objects.map(id).sort(), [...base.map(id), 'ConfigMap/pingpong/kafka-broker-config'].sort());

    const broker = objects.find((o) => o.kind === 'Broker' && o.metadata.name === 'default')!;
    t.is(broker.metadata.annotations?.['eventing.knative.dev/broker.class'], 'Kafka');
    t.deepEqual(broker.spec.config, { apiVersion: 'v1', kind: 'ConfigMap', name: 'kafka-broker-config', namespace: 'pingpong' });
    // The base's delivery stays: retries with back-off, then record-hop records the dead letter.
    const baseBroker = base.find((o) => o.kind === 'Broker' && o.metadata.name === 'default')!;
    t.deepEqual(broker.spec.delivery, baseBroker.spec.delivery);
    t.is(broker.spec.delivery.deadLetterSink.ref.name, 'record-hop');

    const cm = objects.find((o) => id(o) === 'ConfigMap/pingpong/kafka-broker-config')!;
    for (const key of ['default.topic.partitions', 'default.topic.replication.factor']) {
      t.regex(String(cm.data?.[key]), /^[1-9]\d*$/, `${key} is a positive whole number, as a string`);
    }
    t.regex(String(cm.data?.['bootstrap.servers']), /^[a-z0-9.-]+:\d+(,[a-z0-9.-]+:\d+)*$/, 'bootstrap.servers is host:port[,host:port…]');

    // The same checks `kubectl apply -k .`'s manifests pass: schemas, Knative's webhook rules, references.
    const loaded = objects.map((object, index) => ({ file: `overlays/kafka#${index}`, index, object }));
    t.deepEqual(validateAll(loaded, { local: false }), []);
    t.deepEqual(referenceProblems(loaded), []);
    // Every other object is the base's, untouched.
    const byId = new Map(base.map((o) => [id(o), o]));
    for (const o of objects) {
      if (o === broker || o === cm) continue;
      const b = structuredClone(byId.get(id(o))!);
      // The base rendered by the loader keeps `image: pingpong`; images: in the overlay sets the tag.
      for (const c of b.spec?.template?.spec?.containers ?? []) if (c.image === 'pingpong') c.image = 'pingpong:dev';
      t.deepEqual(o, b, id(o));
    }
  });
}

test('both renderings agree, where kubectl is here to render', async (t) => {
  if (!(await hasKubectl())) { t.log('kubectl is not on PATH'); t.pass(); return; }
  const sorted = (objects: KubeObject[]) => [...objects].sort((a, b) => id(a).localeCompare(id(b)));
  const [mine, kubectl] = await Promise.all(renderings.map(([, render]) => render()));
  t.deepEqual(sorted(mine!), sorted(kubectl!));
});

test('the Broker stays MTChannelBasedBroker without the overlay: the local runtime emulates that class', async (t) => {
  const base = (await renderKustomization(ROOT, { useKubectl: false })).objects;
  const broker = base.find((o) => o.kind === 'Broker' && o.metadata.name === 'default')!;
  t.is(broker.metadata.annotations?.['eventing.knative.dev/broker.class'], 'MTChannelBasedBroker');
  t.is(broker.spec.config, undefined);
});
