/**
 * Every container the manifests run on a cluster (each Knative Service in knative/500-*.yaml,
 * each Job and StatefulSet in db/k8s) is locked down: non-root, read-only root filesystem, all
 * capabilities dropped, no privilege escalation, a seccomp profile; has requests and limits whose
 * QoS class is the one its comment states; and is probed (Services and the StatefulSet: readiness
 * and liveness; Jobs, which serve nothing, a deadline instead). Effective settings are read as the
 * kubelet reads them: the container's securityContext over the pod's.
 */
import test from 'ava';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT, repoResources } from './fixtures.js';
import type { LoadedResource } from '../../lib/manifests/types.js';

type Quantities = { cpu?: string; memory?: string };
type Resources = { requests?: Quantities; limits?: Quantities };

/** A Kubernetes quantity in base units (cores, bytes), enough for the forms the manifests use. */
function quantity(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
  if (!m) throw new Error(`quantity ${q}`);
  const scale: Record<string, number> = { '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  return Number(m[1]) * scale[m[2] ?? '']!;
}

/**
 * The pod's QoS class for these containers (Kubernetes' GetPodQOS): Guaranteed when every one has
 * cpu and memory limits equal to its requests (requests default to limits), BestEffort when none
 * sets any, Burstable otherwise.
 */
function qosClass(containers: Resources[]): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const any = containers.some((r) => Object.keys(r.requests ?? {}).length || Object.keys(r.limits ?? {}).length);
  if (!any) return 'BestEffort';
  const guaranteed = containers.every((r) => (['cpu', 'memory'] as const).every((k) => {
    const limit = r.limits?.[k];
    const request = r.requests?.[k] ?? limit;
    return limit !== undefined && quantity(request!) === quantity(limit);
  }));
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

for (const [name, containers, want] of [
  ['no resources: BestEffort', [{}], 'BestEffort'],
  ['requests below limits: Burstable', [{ requests: { cpu: '50m', memory: '96Mi' }, limits: { cpu: '500m', memory: '256Mi' } }], 'Burstable'],
  ['limits only (requests default to them): Guaranteed', [{ limits: { cpu: '1', memory: '1Gi' } }], 'Guaranteed'],
  ['equal, written differently: Guaranteed', [{ requests: { cpu: '1000m', memory: '1024Mi' }, limits: { cpu: '1', memory: '1Gi' } }], 'Guaranteed'],
  ['no memory limit: Burstable', [{ requests: { cpu: '1' }, limits: { cpu: '1' } }], 'Burstable'],
] as const) test(`qosClass: ${name}`, (t) => t.is(qosClass(containers as unknown as Resources[]), want));

interface Workload { id: string; file: string; kind: string; pod: Record<string, any>; serves: boolean }

/** The workloads: Knative Services (knative/500-*.yaml) and db/k8s's Jobs and StatefulSets. */
async function workloads(): Promise<Workload[]> {
  const all = await repoResources();
  const pick = (r: LoadedResource): Workload | undefined => {
    const o = r.object;
    const rel = path.relative(ROOT, r.file);
    if (o.apiVersion === 'serving.knative.dev/v1' && o.kind === 'Service') return { id: `ksvc/${o.metadata.name}`, file: r.file, kind: 'ksvc', pod: o.spec.template.spec, serves: true };
    if (rel.startsWith('db/k8s/') && (o.kind === 'Job' || o.kind === 'StatefulSet')) return { id: `${o.kind}/${o.metadata.name}`, file: r.file, kind: o.kind, pod: o.spec.template.spec, serves: o.kind !== 'Job' };
    return undefined;
  };
  return all.map(pick).filter((w): w is Workload => w !== undefined);
}

test('the workloads are every knative/500-*.yaml Service and every db/k8s Job and StatefulSet', async (t) => {
  const ws = await workloads();
  const files = (await readdir(path.join(ROOT, 'knative'))).filter((f) => /^500-.*\.yaml$/.test(f)).sort();
  t.deepEqual(ws.filter((w) => w.kind === 'ksvc').map((w) => path.basename(w.file)).sort(), files);
  t.deepEqual(ws.filter((w) => w.kind !== 'ksvc').map((w) => w.id).sort(), ['Job/pingpong-credentials', 'Job/pingpong-migrate', 'StatefulSet/postgres']);
});

test('every container: non-root, read-only root filesystem, no capabilities, no privilege escalation, seccomp', async (t) => {
  for (const w of await workloads()) {
    const pod = w.pod.securityContext ?? {};
    for (const c of [...(w.pod.initContainers ?? []), ...w.pod.containers]) {
      const at = `${w.id} container ${c.name}`;
      const sc = c.securityContext ?? {};
      t.true(sc.runAsNonRoot ?? pod.runAsNonRoot, `${at}: runAsNonRoot`);
      const uid = sc.runAsUser ?? pod.runAsUser;
      if (uid !== undefined) t.true(uid > 0, `${at}: runAsUser ${uid} is not root`);
      t.is(sc.readOnlyRootFilesystem, true, `${at}: readOnlyRootFilesystem`);
      t.is(sc.allowPrivilegeEscalation, false, `${at}: allowPrivilegeEscalation false`);
      t.not(sc.privileged, true, `${at}: not privileged`);
      t.deepEqual(sc.capabilities, { drop: ['ALL'] }, `${at}: drops ALL and adds none`);
      const seccomp = sc.seccompProfile ?? pod.seccompProfile;
      t.true(seccomp?.type === 'RuntimeDefault' || seccomp?.type === 'Localhost', `${at}: a seccomp profile (${seccomp?.type})`);
      // Knative allows no pod securityContext without a feature flag: a Service says it all per container.
      if (w.kind === 'ksvc') t.is(w.pod.securityContext, undefined, `${at}: no pod securityContext on a Knative Service`);
    }
  }
});

test('a read-only root: whatever must be written has a volume (PostgreSQL\'s socket dir and /tmp)', async (t) => {
  const ws = await workloads();
  const sts = ws.find((w) => w.id === 'StatefulSet/postgres')!;
  const mounts = new Map((sts.pod.containers[0].volumeMounts as Array<{ name: string; mountPath: string }>).map((m) => [m.mountPath, m.name]));
  const volumes = new Map((sts.pod.volumes as Array<{ name: string; emptyDir?: object }>).map((v) => [v.name, v]));
  for (const dir of ['/var/run/postgresql', '/tmp']) t.truthy(volumes.get(mounts.get(dir)!)?.emptyDir, `${dir} is an emptyDir`);
  t.true(mounts.has('/var/lib/postgresql/data'), 'the data is on its volume');
  for (const w of ws.filter((x) => x.kind === 'ksvc')) t.is(w.pod.volumes, undefined, `${w.id}: a function needs no writable volume`);
});

test('the functions\' code writes nothing to the filesystem (so a read-only root is safe for them)', async (t) => {
  // Every file a function's index.ts reaches through relative imports, scanned for fs writes.
  const WRITES = /\b(writeFile|appendFile|createWriteStream|mkdir|mkdtemp|rename|unlink|rmdir|copyFile|symlink|chmod|chown|truncate|openSync|fs\.open|promises\.open)(Sync)?\s*\(/;
  const seen = new Set<string>();
  const visit = async (file: string): Promise<void> => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = await readFile(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)'(\.{1,2}\/[^']+)'/g)) {
      const spec = m[1]!;
      if (spec.includes('${')) continue;
      const target = path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts'));
      if (target.endsWith('.ts')) await visit(target).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'ENOENT') throw e; });
    }
  };
  const functions = (await readdir(path.join(ROOT, 'functions'), { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  for (const fn of functions) await visit(path.join(ROOT, 'functions', fn, 'index.ts'));
  t.true(seen.size > functions.length, `${seen.size} files reached`);
  const writers: string[] = [];
  for (const file of seen) {
    const text = await readFile(file, 'utf8');
    text.split('\n').forEach((line, i) => { if (WRITES.test(line) && !/^\s*(\*|\/\/)/.test(line)) writers.push(`${path.relative(ROOT, file)}:${i + 1}: ${line.trim()}`); });
  }
  t.deepEqual(writers, []);
});

test('every container has cpu and memory requests and limits, and its QoS class is the one its comment states', async (t) => {
  for (const w of await workloads()) {
    for (const c of w.pod.containers) {
      const r = c.resources as Resources;
      for (const k of ['cpu', 'memory'] as const) {
        t.truthy(r?.requests?.[k], `${w.id}: requests.${k}`);
        t.truthy(r?.limits?.[k], `${w.id}: limits.${k}`);
        t.true(quantity(r.requests![k]!) <= quantity(r.limits![k]!), `${w.id}: request ≤ limit for ${k}`);
      }
    }
    const stated = [...(await readFile(w.file, 'utf8')).matchAll(/#\s*QoS:\s*(Guaranteed|Burstable|BestEffort)\b/g)].map((m) => m[1]);
    t.is(stated.length, 1, `${w.id}: one "# QoS: <class>" comment says which class on purpose`);
    t.is(stated[0], qosClass(w.pod.containers.map((c: { resources: Resources }) => c.resources)), `${w.id}: the stated QoS is what the resources give`);
    t.not(stated[0], 'BestEffort', `${w.id}: not BestEffort`);
  }
});

test('Services and the StatefulSet have readiness and liveness probes; Knative\'s name no port but the container\'s', async (t) => {
  for (const w of (await workloads()).filter((x) => x.serves)) {
    for (const c of w.pod.containers) {
      for (const probe of ['readinessProbe', 'livenessProbe'] as const) {
        const p = c[probe];
        t.truthy(p?.httpGet || p?.exec || p?.tcpSocket || p?.grpc, `${w.id}: ${probe}`);
        if (w.kind === 'ksvc') {
          t.is(p.httpGet?.path, '/healthz', `${w.id}: ${probe} on /healthz, which every function answers`);
          const port = p.httpGet?.port;
          t.true(port === undefined || port === c.ports?.[0]?.containerPort, `${w.id}: ${probe} port is the container's (Knative refuses another)`);
        }
      }
      // A liveness probe that fires on the first slow answer restarts pods that are only busy.
      t.true((c.livenessProbe.failureThreshold ?? 3) * (c.livenessProbe.periodSeconds ?? 10) >= 30, `${w.id}: liveness tolerates 30 s`);
    }
  }
});

test('Jobs serve nothing, so no probes: a deadline stops a pod that hangs, and the Job retries', async (t) => {
  const jobs = (await workloads()).filter((w) => !w.serves);
  t.is(jobs.length, 2);
  for (const w of jobs) {
    t.true(w.pod.activeDeadlineSeconds > 0 && w.pod.activeDeadlineSeconds <= 600, `${w.id}: activeDeadlineSeconds ${w.pod.activeDeadlineSeconds}`);
    for (const c of w.pod.containers) t.is(c.readinessProbe, undefined, `${w.id}: a readiness probe would route nothing`);
  }
});

test('a workload without a ServiceAccount of its own (the namespace\'s default, granted nothing) mounts no token; one with its own does', async (t) => {
  for (const w of await workloads()) {
    if (w.pod.serviceAccountName) t.not(w.pod.automountServiceAccountToken, false, `${w.id}: its ServiceAccount is there to be used`);
    else t.is(w.pod.automountServiceAccountToken, false, `${w.id}: runs as default and calls no API, so no token (automountServiceAccountToken: false)`);
  }
});
