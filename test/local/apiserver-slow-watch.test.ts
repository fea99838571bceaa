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

test('what the server keeps for a watcher that does not read is bounded: after the drop nothing more is sent', async (t) => {
  const limit = 256 * 1024;
  const api = new LocalApiServer({ watchBufferBytes: limit });
  const url = await api.listen(0);
  try {
    const token = (api as unknown as { tokens: { adminToken: string } }).tokens.adminToken;
    const slow = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get(`${url}/api/v1/namespaces/pingpong/configmaps?watch=true`, { headers: { authorization: `Bearer ${token}` } }, resolve).on('error', reject);
    });
    slow.pause();
    const event = 200 * 1024;
    const big = 'x'.repeat(event);
    for (let i = 0; i < 60; i++) api.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: 'pingpong' }, data: { big } });
    let bytes = 0;
    let ended = false;
    slow.on('data', (d: Buffer) => (bytes += d.length)).on('end', () => (ended = true));
    slow.resume();
    await waitFor(() => ended, 'the dropped watch to end');
    // 60 events (12 MB) were written while it read nothing; it gets what was sent before the drop:
    // the bound, plus the event that passed it and what the socket had taken before.
    t.true(bytes < limit + 2 * event + 64 * 1024, `${bytes} bytes reached the watcher, bound ${limit}`);
    t.true(bytes > limit, 'it did get what was sent before the drop');
  } finally {
    await api.close();
  }
});
