import test from 'ava';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../../lib/config.js';
import { CREDENTIALS_SECRET, KUBE_ACCESS } from '../../lib/db/k8s-access.js';
import {
  CREDENTIAL_KEYS, ensureCredentials, InconsistentCredentials, loadCredentialsTarget, missingCredentials,
  type CredentialsStore, type StoredCredentials,
} from '../../lib/db/k8s-credentials.js';
import { WRITER_USER } from '../../lib/db/users.js';
import { planResources } from '../../local/runtime/resources.js';
import { ROOT, repoObject, repoResources } from './fixtures.js';

const target = { host: 'postgres.pingpong.svc.cluster.local', port: 5432 };
/** Distinct, recognisable passwords, so a test can say which one went where. */
const counter = () => { let n = 0; return () => `pw${++n}`; };

/** A Secret in memory with the API server's resourceVersion precondition: a plain-object store. */
function memoryStore(initial?: Record<string, string>, opts: { writeBetween?: (s: StoredCredentials) => void } = {}) {
  let secret: StoredCredentials | undefined = initial && { data: { ...initial }, resourceVersion: '1' };
  const writes: Array<Record<string, string>> = [];
  const store: CredentialsStore = {
    async read() { return secret && structuredClone(secret); },
    async add(keys, resourceVersion) {
      if (opts.writeBetween && secret) { opts.writeBetween(secret); opts.writeBetween = undefined; }
      if (!secret || secret.resourceVersion !== resourceVersion) return 'conflict';
      writes.push(keys);
      secret = { data: { ...secret.data, ...keys }, resourceVersion: String(Number(secret.resourceVersion) + 1) };
      return 'added';
    },
  };
  return { store, writes, get data() { return secret?.data; } };
}

test('an empty Secret gets every key: random passwords and the URLs made from them', (t) => {
  const added = missingCredentials({}, target, counter());
  t.deepEqual(Object.keys(added).sort(), [...CREDENTIAL_KEYS].sort());
  t.like(added, {
    POSTGRES_USER: 'pingpong', POSTGRES_DB: 'pingpong', POSTGRES_PASSWORD: 'pw1',
    PINGPONG_WRITER_PASSWORD: 'pw2', PINGPONG_READER_PASSWORD: 'pw3',
    ADMIN_DATABASE_URL: 'postgres://pingpong:pw1@postgres.pingpong.svc.cluster.local:5432/pingpong',
    WRITER_DATABASE_URL: `postgres://${WRITER_USER}:pw2@postgres.pingpong.svc.cluster.local:5432/pingpong`,
  });
});

test('the real passwords are random, distinct and URL-safe (node:crypto)', (t) => {
  const a = missingCredentials({}, target);
  const b = missingCredentials({}, target);
  const pws = [a.POSTGRES_PASSWORD, a.PINGPONG_WRITER_PASSWORD, a.PINGPONG_READER_PASSWORD, b.POSTGRES_PASSWORD];
  t.is(new Set(pws).size, 4);
  for (const pw of pws) t.regex(pw!, /^[A-Za-z0-9_-]{32}$/);
  t.is(new URL(a.ADMIN_DATABASE_URL!).password, a.POSTGRES_PASSWORD!);
});

for (const [title, existing, want] of [
  ['a complete Secret gets nothing', { ...missingCredentials({}, target) }, []],
  ['a Secret with the admin password keeps it, and its URL uses it', { POSTGRES_PASSWORD: 'kept' },
    ['ADMIN_DATABASE_URL', 'PINGPONG_READER_PASSWORD', 'PINGPONG_WRITER_PASSWORD', 'POSTGRES_DB', 'POSTGRES_USER', 'READER_DATABASE_URL', 'WRITER_DATABASE_URL']],
  ['a key a later version added is filled from the passwords already there', (() => { const c = missingCredentials({}, target); delete c.WRITER_DATABASE_URL; return c; })(), ['WRITER_DATABASE_URL']],
  ['an empty value counts as missing', { ...missingCredentials({}, target), READER_DATABASE_URL: '' }, ['READER_DATABASE_URL']],
  ['keys it does not know are left alone', { ...missingCredentials({}, target), EXTRA: 'mine' }, []],
] as const) {
  test(title, (t) => {
    const added = missingCredentials(existing as Record<string, string>, target, counter());
    t.deepEqual(Object.keys(added).sort(), [...want]);
    for (const k of Object.keys(existing)) if ((existing as Record<string, string>)[k]) t.false(k in added, `${k} is never changed`);
  });
}

test('own values are honoured: the URLs use the user, database and password given', (t) => {
  const added = missingCredentials({ POSTGRES_USER: 'admin', POSTGRES_DB: 'history', POSTGRES_PASSWORD: 'p@ss/word' }, target, counter());
  t.is(added.ADMIN_DATABASE_URL, 'postgres://admin:p%40ss%2Fword@postgres.pingpong.svc.cluster.local:5432/history');
  t.is(new URL(added.WRITER_DATABASE_URL!).pathname, '/history');
});

test('a missing password whose URL is there is refused, naming both: a new one would not match', (t) => {
  const complete = missingCredentials({}, target);
  const { POSTGRES_PASSWORD: _dropped, ...rest } = complete;
  const e = t.throws(() => missingCredentials(rest, target), { instanceOf: InconsistentCredentials });
  t.regex(e!.message, /POSTGRES_PASSWORD is missing but ADMIN_DATABASE_URL is set/);
});

test('ensureCredentials fills an empty Secret once; a second run writes nothing', async (t) => {
  const s = memoryStore({});
  t.deepEqual(await ensureCredentials(s.store, target), { outcome: 'filled', added: [...CREDENTIAL_KEYS] });
  const first = { ...s.data };
  t.deepEqual(await ensureCredentials(s.store, target), { outcome: 'unchanged', added: [] });
  t.is(s.writes.length, 1);
  t.deepEqual(s.data, first, 'the passwords PostgreSQL uses are never rotated');
});

test('ensureCredentials reads again after a concurrent write, and keeps what the other run wrote', async (t) => {
  const other = missingCredentials({}, target, () => 'theirs');
  const s = memoryStore({}, { writeBetween: (sec) => { sec.data = { ...other }; sec.resourceVersion = '2'; } });
  t.deepEqual(await ensureCredentials(s.store, target), { outcome: 'unchanged', added: [] });
  t.deepEqual(s.data, other);
  t.is(s.writes.length, 0);
});

test('ensureCredentials says where the Secret comes from when it does not exist', async (t) => {
  await t.throwsAsync(ensureCredentials(memoryStore().store, target), { message: /db\/k8s\/300-postgres-secret\.yaml/ });
});

test('ensureCredentials gives up on a Secret that keeps changing', async (t) => {
  const store: CredentialsStore = { read: async () => ({ data: {}, resourceVersion: '1' }), add: async () => 'conflict' };
  await t.throwsAsync(ensureCredentials(store, target, { attempts: 3 }), { message: /kept changing.*3 attempts/ });
});

test('the target defaults to the postgres Service of the namespace; a bad port names POSTGRES_PORT', (t) => {
  t.deepEqual(loadCredentialsTarget({}, 'pingpong'), target);
  t.deepEqual(loadCredentialsTarget({ POSTGRES_HOST: 'db.example', POSTGRES_PORT: '6432' }, 'x'), { host: 'db.example', port: 6432 });
  t.throws(() => loadCredentialsTarget({ POSTGRES_PORT: '99999' }, 'x'), { instanceOf: ConfigError, message: /POSTGRES_PORT/ });
});

// --- The manifests and the code agree ---

test('every secretKeyRef to the credentials Secret names a key the credentials Job fills', async (t) => {
  let refs = 0;
  for (const { file, object: o } of await repoResources()) {
    const spec = o.spec?.template?.spec;
    for (const c of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])]) {
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (ref?.name !== CREDENTIALS_SECRET) continue;
        refs++;
        t.true(CREDENTIAL_KEYS.includes(ref.key), `${file}: ${e.name} reads ${ref.key}, which lib/db/k8s-credentials.ts does not make`);
        t.not(ref.optional, true, `${file}: ${e.name} must wait for the key, not start without it`);
      }
      for (const from of c.envFrom ?? []) t.not(from.secretRef?.name, CREDENTIALS_SECRET, `${file}: envFrom would start before the keys exist`);
    }
  }
  t.true(refs >= 7, `postgres, the migrate Job and record-hop read the Secret (${refs} refs)`);
});

test('the credentials Secret is committed empty, and the Role names it', async (t) => {
  const secret = await repoObject('Secret', CREDENTIALS_SECRET);
  t.is(secret.type, 'Opaque');
  t.is(secret.data, undefined, 'no data: apply must leave the Job-written keys alone');
  t.is(secret.stringData, undefined);
  const role = await repoObject('Role', 'pingpong-credentials');
  t.deepEqual(role.rules.map((r: { resourceNames: string[] }) => r.resourceNames), KUBE_ACCESS.map((a) => a.resourceNames));
});

test('the credentials Job runs the project\'s compiled script, non-root, with retries and a TTL', async (t) => {
  const job = await repoObject('Job', 'pingpong-credentials');
  const pod = job.spec.template.spec;
  const [c] = pod.containers;
  t.is(c.image, 'pingpong', 'the one image, set by kustomize images:');
  t.deepEqual(c.command, ['node', 'dist/lib/db/k8s-credentials-cli.js']);
  t.truthy(await stat(path.join(ROOT, 'lib/db/k8s-credentials-cli.ts')), 'tsc compiles it to that path (tsconfig rootDir ".", outDir dist)');
  t.is(pod.serviceAccountName, 'pingpong-credentials');
  t.is(pod.restartPolicy, 'Never');
  t.true(job.spec.backoffLimit > 0);
  t.true(job.spec.ttlSecondsAfterFinished > 0);
  t.like(pod.securityContext, { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
  t.true(pod.securityContext.runAsUser > 0);
  t.deepEqual(c.securityContext, { runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
  t.truthy(c.resources?.requests && c.resources?.limits);
});

test('the local runtime skips the credentials Secret, Job and their RBAC, saying why, and keeps ping\'s', async (t) => {
  const res = planResources(await repoResources());
  const skipped = new Map(res.skipped.map((s) => [s.resource, s.why]));
  for (const r of ['Secret/pingpong/pingpong-postgres', 'Job/pingpong/pingpong-credentials', 'Job/pingpong/pingpong-migrate',
    'ServiceAccount/pingpong/pingpong-credentials', 'Role/pingpong/pingpong-credentials', 'RoleBinding/pingpong/pingpong-credentials',
    'StatefulSet/pingpong/postgres']) {
    t.truthy(skipped.get(r), `${r} is skipped with a reason`);
  }
  t.regex(skipped.get('ServiceAccount/pingpong/pingpong-credentials')!, /Job\/pingpong\/pingpong-credentials/);
  const rbac = new Set(res.runs.filter((o) => o.kind === 'ServiceAccount' || o.kind.endsWith('Role') || o.kind.endsWith('RoleBinding'))
    .map((o) => `${o.kind}/${o.metadata.name}`));
  for (const kept of ['Role/ping', 'RoleBinding/ping', 'ServiceAccount/ping']) t.true(rbac.has(kept), `${kept} is kept: ping runs here`);
  t.false([...rbac].some((r) => r.endsWith('/pingpong-credentials')), 'none of the credentials Job\'s RBAC is');
});
