/**
 * Files that hold credentials are 0600 even when a file of that name was there before with a
 * looser mode: writeFile's `mode` only applies to a file it creates, so each writer goes through
 * writePrivateFile. Each case pre-creates the file 0644 (as an older run, or a hand-made copy,
 * might have left it) and checks the mode and the content after the runtime's writer ran.
 */
import test from 'ava';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writePrivateFile } from '../../lib/fs/private-file.js';
import { writeKubeconfigFiles } from '../../local/apiserver/kubeconfig.js';
import { readObjects, writeObjects } from '../../local/apiserver/persist.js';

const modeOf = async (file: string) => (await stat(file)).mode & 0o777;

async function withDir(t: { teardown: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'credential-files-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A file as an older run might have left it: world-readable. */
async function looseFile(file: string, text = 'old\n'): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
  await chmod(file, 0o644);
}

test('the premise: writeFile with mode 0600 keeps an existing file\'s 0644', async (t) => {
  // If Node ever applied `mode` to existing files this test would fail, and the helper would be moot.
  const dir = await withDir(t);
  const file = path.join(dir, 'reader-url');
  await looseFile(file);
  await writeFile(file, 'secret\n', { mode: 0o600 });
  t.is(await modeOf(file), 0o644);
});

test('writePrivateFile makes a new file 0600', async (t) => {
  const dir = await withDir(t);
  const file = path.join(dir, 'reader-url');
  await writePrivateFile(file, 'postgres://pingpong_reader:pw@127.0.0.1/pingpong\n');
  t.is(await modeOf(file), 0o600);
  t.is(await readFile(file, 'utf8'), 'postgres://pingpong_reader:pw@127.0.0.1/pingpong\n');
});

test('writePrivateFile makes an existing 0644 file 0600 and replaces its content', async (t) => {
  const dir = await withDir(t);
  const file = path.join(dir, 'reader-url');
  await looseFile(file, 'a much longer old content than the new one\n');
  await writePrivateFile(file, 'new\n');
  t.is(await modeOf(file), 0o600);
  t.is(await readFile(file, 'utf8'), 'new\n');
  t.deepEqual(await readdir(dir), ['reader-url'], 'no temporary file is left beside it');
});

// Serial: the umask is the process's, and the other tests make files meanwhile.
test.serial('writePrivateFile is 0600 whatever the umask', async (t) => {
  const dir = await withDir(t);
  const file = path.join(dir, 'admin-password');
  const old = process.umask(0o277); // would leave 0400 from open(…, 0o600)
  try {
    await writePrivateFile(file, 'pw\n');
  } finally {
    process.umask(old);
  }
  t.is(await modeOf(file), 0o600);
});

test('writePrivateFile leaves nothing behind when it cannot write, and keeps the old file', async (t) => {
  const dir = await withDir(t);
  const file = path.join(dir, 'kubeconfig');
  await mkdir(file); // a directory where the file goes: rename fails
  await t.throwsAsync(writePrivateFile(file, 'x'));
  t.deepEqual(await readdir(dir), ['kubeconfig']);
  t.true((await stat(file)).isDirectory());
});

test('kubeconfigs (tokens) written over existing 0644 files are 0600', async (t) => {
  const dir = await withDir(t);
  const admin = path.join(dir, 'kubeconfig');
  const sa = path.join(dir, 'kubeconfigs', 'pingpong-ping.yaml');
  await looseFile(admin);
  await looseFile(sa);
  const written = await writeKubeconfigFiles({
    dataDir: dir,
    admin: { server: 'https://127.0.0.1:1', user: 'pingpong-admin', token: 'admin-token', namespace: 'pingpong' },
    serviceAccounts: [{ server: 'http://127.0.0.1:1', user: 'system:serviceaccount:pingpong:ping', serviceAccount: 'ping', namespace: 'pingpong', token: 'sa-token' }],
  });
  t.deepEqual(written, { admin, serviceAccounts: { 'pingpong/ping': sa } });
  for (const [file, token] of [[admin, 'admin-token'], [sa, 'sa-token']] as const) {
    t.is(await modeOf(file), 0o600, file);
    t.regex(await readFile(file, 'utf8'), new RegExp(`token: ${token}`));
  }
});

test('the API\'s saved objects (Secrets among them) written over an existing 0644 file are 0600', async (t) => {
  const dir = await withDir(t);
  const file = path.join(dir, 'api', 'objects.json');
  await looseFile(file);
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'pingpong' }, data: { password: 'cHc=' } };
  await writeObjects(file, [secret]);
  t.is(await modeOf(file), 0o600);
  t.deepEqual(await readObjects(file), [secret]);
});
