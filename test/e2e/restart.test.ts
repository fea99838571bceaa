/**
 * The API's state survives a restart as a cluster's does: what kubectl created stays, what it
 * changed in fields the manifests set is set back by them, what it added stays; --reset forgets.
 */
import test from 'ava';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { kubectlOn, npmStart } from '../helpers/pingpong-up.js';

test('kubectl\'s objects are kept across a restart, the manifests applied over them; --reset starts anew', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'pingpong-restart-'));
  const kubectl = kubectlOn({ dataDir });
  try {
    let pp = await npmStart([], {}, { dataDir });
    try {
      const file = path.join(dataDir, 'mine.yaml');
      await writeFile(file, 'apiVersion: eventing.knative.dev/v1\nkind: Trigger\nmetadata: { name: mine, namespace: pingpong }\n' +
        'spec:\n  broker: default\n  subscriber: { uri: "http://127.0.0.1:9/" }\n');
      await kubectl('apply', '-f', file);
      await kubectl('label', 'ksvc', 'coin-flip', 'team=blue');
      await kubectl('patch', 'pingsource', 'serve-balls', '--type=merge', '-p', '{"spec":{"schedule":"*/30 * * * * *"}}');
    } finally { await pp.interrupt(); }
    t.is((await stat(path.join(dataDir, 'api', 'objects.json'))).mode & 0o777, 0o600, 'the store holds Secrets: owner only');

    pp = await npmStart([], {}, { dataDir });
    try {
      t.regex(pp.output(), /objects kept from the last run/);
      t.regex(await kubectl('wait', '--for=condition=Ready', 'trigger/mine', '--timeout=30s'), /condition met/);
      t.is((await kubectl('get', 'ksvc', 'coin-flip', '-o', 'jsonpath={.metadata.labels.team}')).trim(), 'blue', 'a label kubectl added stays');
      t.is((await kubectl('get', 'pingsource', 'serve-balls', '-o', 'jsonpath={.spec.schedule}')).trim(), '*/10 * * * * *', 'the manifest\'s own field wins');
    } finally { await pp.interrupt(); }

    pp = await npmStart(['--reset'], {}, { dataDir });
    try {
      const err = await kubectl('get', 'trigger', 'mine').then(() => '', (e: { stderr: string }) => e.stderr);
      t.regex(err, /triggers.eventing.knative.dev "mine" not found/);
    } finally { await pp.interrupt(); }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
