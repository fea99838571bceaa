import test from 'ava';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { kustomizationGenerators } from '../../lib/manifests/load.js';
import { renderKustomization } from '../../lib/manifests/kustomize.js';
import { validateAll } from '../../lib/manifests/validate.js';
import { ROOT, repoResources } from './fixtures.js';

const id = (o: { kind?: string; metadata?: { namespace?: string; name?: string } }) =>
  `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;

for (const local of [false, true]) {
  test(`every manifest in the repo passes (${local ? 'local runtime' : 'cluster'} rules)`, async (t) => {
    const resources = await repoResources();
    t.true(resources.length >= 20, `loaded ${resources.length} resources`);
    t.deepEqual(validateAll(resources, { local }), []);
  });
}

test('the kustomization lists every manifest file under knative/, eventing/ and db/k8s/', async (t) => {
  const loaded = new Set((await repoResources()).map((r) => r.file));
  for (const dir of ['knative', 'eventing', 'db/k8s']) {
    for (const f of await readdir(path.join(ROOT, dir))) {
      if (!/\.ya?ml$/.test(f) || f.startsWith('kustomization')) continue;
      t.true(loaded.has(path.join(dir, f)), `${dir}/${f} is not in ${dir}/kustomization.yaml`);
    }
  }
});

test('each manifest file holds one resource, named by apply order', async (t) => {
  const byFile = new Map<string, number>();
  for (const r of await repoResources()) byFile.set(r.file, (byFile.get(r.file) ?? 0) + 1);
  for (const [file, n] of byFile) {
    t.is(n, 1, `${file} holds ${n} resources`);
    t.regex(path.basename(file), /^\d{3}-[a-z0-9-]+\.yaml$/, `${file} is not numbered`);
  }
});

test('the Knative Services follow the project rules (one image, probe, non-root, visibility)', async (t) => {
  const services = (await repoResources()).map((r) => r.object).filter((o) => o.apiVersion === 'serving.knative.dev/v1' && o.kind === 'Service');
  t.is(services.length, 7);
  for (const s of services) {
    const name = s.metadata.name;
    const tmpl = s.spec.template;
    const [c] = tmpl.spec.containers;
    t.is(c.image, 'pingpong', `${name}: the image is set once, by kustomize images:`);
    t.deepEqual(c.env.find((e: { name: string }) => e.name === 'FUNCTION_TARGET'), { name: 'FUNCTION_TARGET', value: name });
    t.is(c.readinessProbe?.httpGet?.path, '/healthz', name);
    t.deepEqual(c.securityContext, { runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } }, name);
    t.truthy(c.resources?.requests && c.resources?.limits, `${name}: requests and limits`);
    t.is(typeof tmpl.spec.containerConcurrency, 'number', name);
    t.is(typeof tmpl.spec.timeoutSeconds, 'number', name);
    t.truthy(tmpl.metadata.annotations['autoscaling.knative.dev/min-scale'], name);
    t.truthy(tmpl.metadata.annotations['autoscaling.knative.dev/max-scale'], name);
    // The local runtime's global stable window must apply: no per-Service window.
    t.is(tmpl.metadata.annotations['autoscaling.knative.dev/window'], undefined, name);
    // Public: coin-flip (people call /compute) and history-ui (the page); everything else only through the Broker.
    t.is(s.metadata.labels?.['networking.knative.dev/visibility'], ['coin-flip', 'history-ui'].includes(name) ? undefined : 'cluster-local', name);
  }
});

test('kustomize renders every resource of every file (kubectl when present, else the loader)', async (t) => {
  const rendering = await renderKustomization(ROOT);
  t.log(`rendered by ${rendering.via}${rendering.via === 'loader' ? ' (kubectl not on PATH)' : ' (kubectl kustomize)'}`);
  const rendered = new Set(rendering.objects.map(id));
  const expected = [...(await repoResources()).map((r) => id(r.object)),
    ...(await kustomizationGenerators(ROOT)).map((g) => id({ kind: g.kind, metadata: g }))];
  for (const e of expected) t.true(rendered.has(e), `${e} is missing from the rendering`);
  t.is(rendered.size, expected.length, 'nothing rendered that no file defines');
  // The image is named once (kustomization.yaml images:) and applied to every function container.
  const images = rendering.objects.flatMap((o) => (o.spec?.template?.spec?.containers ?? []).map((c: { image: string }) => c.image));
  const ours = (await repoResources()).flatMap((r) => r.object.spec?.template?.spec?.containers ?? []).filter((c: { image: string }) => c.image === 'pingpong');
  t.true(ours.length >= 6, 'the functions, the credentials Job and the migrate Job use the one image');
  if (rendering.via === 'kubectl') t.is(images.filter((i: string) => i === 'pingpong:dev').length, ours.length, images.join(', '));
});

test('no Secret is generated: its source would be a password on disk, which a fresh clone lacks', async (t) => {
  // The credentials are made in the cluster instead (db/k8s/400-credentials-job.yaml).
  t.deepEqual((await kustomizationGenerators(ROOT)).filter((g) => g.kind === 'Secret'), []);
});

test('the loader renders the same set of resources as kubectl would (the fallback without kubectl)', async (t) => {
  const viaLoader = await renderKustomization(ROOT, { useKubectl: false });
  t.is(viaLoader.via, 'loader');
  const expected = [...(await repoResources()).map((r) => id(r.object)),
    ...(await kustomizationGenerators(ROOT)).map((g) => id({ kind: g.kind, metadata: g }))].sort();
  t.deepEqual(viaLoader.objects.map(id).sort(), expected);
});
