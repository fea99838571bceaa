import test from 'ava';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { checkFuncYamlFile, validateFuncYaml } from '../../lib/manifests/func-yaml.js';
import { ROOT, repoObject } from './fixtures.js';

const folders = async () => (await readdir(path.join(ROOT, 'functions'), { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
const funcYaml = async (fn: string) => parse(await readFile(path.join(ROOT, 'functions', fn, 'func.yaml'), 'utf8'));

test('every func.yaml passes the project schema of what kn func reads', async (t) => {
  for (const fn of await folders()) t.deepEqual(await checkFuncYamlFile(path.join(ROOT, 'functions', fn, 'func.yaml')), [], fn);
});

test('each func.yaml agrees with its Knative Service (name, scale, concurrency, probe, build target)', async (t) => {
  for (const fn of await folders()) {
    const f = await funcYaml(fn);
    const svc = await repoObject('Service', fn, 'serving.knative.dev/v1');
    const a = svc.spec.template.metadata.annotations;
    t.is(f.specVersion, '0.36.0');
    t.is(f.name, fn);
    t.is(f.namespace, svc.metadata.namespace);
    t.is(f.runtime, 'typescript');
    t.is(String(f.deploy.options.scale.min), a['autoscaling.knative.dev/min-scale'], `${fn} min`);
    t.is(String(f.deploy.options.scale.max), a['autoscaling.knative.dev/max-scale'], `${fn} max`);
    t.is(f.deploy.options.resources.limits.concurrency, svc.spec.template.spec.containerConcurrency, `${fn} concurrency`);
    t.deepEqual(f.deploy.healthEndpoints, { liveness: '/healthz', readiness: '/healthz' });
    t.is(f.deploy.serviceAccountName, svc.spec.template.spec.serviceAccountName, `${fn} service account`);
    t.regex(f.build.builderImages.pack, /^gcr\.io\/buildpacks\/builder:/);
    const env = (list: Array<{ name: string; value: string }>) => Object.fromEntries(list.map((e) => [e.name, e.value]));
    t.is(env(f.build.buildEnvs).GOOGLE_FUNCTION_TARGET, fn);
    t.is(env(f.build.buildEnvs).GOOGLE_FUNCTION_SIGNATURE_TYPE, 'http');
    t.is(env(f.run.envs).FUNCTION_TARGET, fn);
    t.is(f.deploy.annotations, undefined, `${fn}: scale belongs in deploy.options.scale`);
  }
});

const bad: Array<[string, (f: any) => void, string, RegExp]> = [
  ['an autoscaling key in deploy.annotations', (f) => { f.deploy.annotations = { 'autoscaling.knative.dev/min-scale': '1' }; }, 'deploy.annotations["autoscaling.knative.dev/min-scale"]', /deploy\.options\.scale/],
  ['a name that is not a DNS label', (f) => { f.name = 'Ping_Pong'; }, 'name', /pattern/],
  ['a missing specVersion', (f) => { delete f.specVersion; }, 'specVersion', /required/],
  ['a missing created', (f) => { delete f.created; }, 'created', /required/],
  ['a created that is not a date-time', (f) => { f.created = 'yesterday'; }, 'created', /date-time/],
  ['an unknown top-level field', (f) => { f.envs = []; }, 'envs', /unknown field/],
  ['an unknown builder', (f) => { f.build.builder = 'docker'; }, 'build.builder', /pack, s2i/],
  ['a scale.min below 0', (f) => { f.deploy.options.scale.min = -1; }, 'deploy.options.scale.min', />= 0/],
  ['a scale key func does not know', (f) => { f.deploy.options.scale.window = '60s'; }, 'deploy.options.scale.window', /unknown field/],
  ['an invoke hint func does not know', (f) => { f.invoke = 'grpc'; }, 'invoke', /http, cloudevent/],
  ['a buildEnv with a bad name', (f) => { f.build.buildEnvs.push({ name: '1X', value: 'y' }); }, 'build.buildEnvs[3].name', /pattern/],
];
for (const [title, mutate, field, message] of bad) {
  test(`func.yaml: rejects ${title}`, async (t) => {
    const f = await funcYaml('ping');
    t.deepEqual(validateFuncYaml(f, 'func.yaml'), []);
    mutate(f);
    const problems = validateFuncYaml(f, 'func.yaml');
    t.truthy(problems.find((p) => p.field === field && message.test(p.message)), JSON.stringify(problems));
  });
}
