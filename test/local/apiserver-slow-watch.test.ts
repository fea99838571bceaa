import test from 'ava';
import http from 'node:http';
import { LocalApiServer } from '../../local/apiserver/index.js';
import { waitFor } from '../helpers/wait.js';

test('a watcher that does not read is dropped once its unread bytes pass the bound, and can watch again', async (t) => {
  const api = new LocalApiServer({ watchBufferBytes: 256 * 1024 });
  const url = await api.listen(0);
  try {
    const token = (api as unknown as { tokens: { adminToken: string } }).tokens.adminToken;
    const watch = () => new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get(`${url}/api/v1/namespaces/pingpong/configmaps?watch=true`, { headers: { authorization: `Bearer ${token}` } }, resolve).on('error', reject);
    });
    const slow = await watch();
    slow.pause(); // reads nothing
    let ended = false;
    slow.on('end', () => (ended = true)).on('close', () => (ended = true));
    const big = 'x'.repeat(200 * 1024);
    for (let i = 0; i < 60; i++) api.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: 'pingpong' }, data: { big } });
    slow.resume();
    await waitFor(() => ended, 'the slow watch to be ended by the server', { timeoutMs: 10_000 });
    const again = await watch();
    let first = '';
    await new Promise<void>((r) => again.once('data', (d: Buffer) => { first = d.toString(); r(); }));
    again.destroy();
    t.regex(first, /"type":"ADDED"/, 'a new watch starts with the current objects');
  } finally {
    await api.close();
  }
});
