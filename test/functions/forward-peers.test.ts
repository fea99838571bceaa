import test from 'ava';
import { livePeers } from '../../lib/kube/pods.js';
import { othersOf, peersPage, targetPresent, wantsHtml } from '../../functions/forward/peers.js';

const pod = (name: string, over: { phase?: string; ready?: boolean; deleting?: boolean; port?: number; ip?: string } = {}) => ({
  metadata: { name, labels: { 'serving.knative.dev/revision': 'forward-00003' }, ...(over.deleting ? { deletionTimestamp: '2026-12-03T00:00:00Z' } : {}) },
  spec: { containers: [{ name: 'queue-proxy', ports: [{ containerPort: 9091 }] }, { name: 'function', ports: [{ containerPort: over.port ?? 8080 }] }] },
  status: { phase: over.phase ?? 'Running', podIP: over.ip ?? '10.0.0.1', startTime: '2026-12-03T08:00:00Z', conditions: [{ type: 'Ready', status: over.ready === false ? 'False' : 'True' }] },
});

test('the live peers are the ready workers, by name, on their serving port (not the queue-proxy\'s)', (t) => {
  const peers = livePeers([pod('w-c'), pod('w-a', { port: 8081 }), pod('w-starting', { ready: false }), pod('w-leaving', { deleting: true }), pod('w-done', { phase: 'Succeeded' })]);
  t.deepEqual(peers.map((p) => p.name), ['w-a', 'w-c']);
  t.deepEqual(peers[0], { name: 'w-a', ip: '10.0.0.1', port: 8081, revision: 'forward-00003', since: '2026-12-03T08:00:00Z' });
  t.deepEqual(othersOf(peers, 'w-a').map((p) => p.name), ['w-c']);
  t.deepEqual(othersOf(livePeers([pod('w-x', { ip: '' })]), 'me'), [], 'a peer without an address is not pinged');
});

test('a target is present while its pod is live, even before it is ready', (t) => {
  const pods = [pod('w-a'), pod('w-starting', { ready: false }), pod('w-leaving', { deleting: true })];
  t.true(targetPresent(pods, 'w-a'));
  t.true(targetPresent(pods, 'w-starting'));
  t.false(targetPresent(pods, 'w-leaving'));
  t.false(targetPresent(pods, 'w-unknown'));
});

test('the page is HTML for a browser, with every address, and escapes what it shows', (t) => {
  t.true(wantsHtml('text/html,application/xhtml+xml;q=0.9'));
  t.false(wantsHtml('application/json'));
  t.false(wantsHtml(undefined));
  t.false(wantsHtml('*/*'), 'curl gets JSON');
  const page = peersPage([{ name: 'w-<a>', ip: '10.0.0.1', port: 8080, revision: 'r', since: '' }], 'w-<a>', new Date('2026-12-03T00:00:00Z'));
  t.regex(page, /1 live worker</);
  t.true(page.includes('w-&#60;a&#62;'));
  t.false(page.includes('<a>'));
  t.true(page.includes('10.0.0.1:8080'));
});

test('a pod of a replaced revision is gone for a ball: the Route sends nothing to it while it drains', (t) => {
  const at = (name: string, revision: string, ready = true) => {
    const p = pod(name, { ready });
    p.metadata.labels['serving.knative.dev/revision'] = revision;
    return p;
  };
  const pods = [at('old-a', 'forward-00001'), at('new-a', 'forward-00002'), at('new-b', 'forward-00002', false)];
  t.false(targetPresent(pods, 'old-a'), 'forward-00002 is ready: forward-00001 is being replaced');
  t.true(targetPresent(pods, 'new-a'));
  t.true(targetPresent(pods, 'new-b'), 'a pod of the newest revision still starting may catch it soon');
  t.true(targetPresent([at('old-a', 'forward-00001'), at('new-b', 'forward-00002', false)], 'old-a'), 'until a newer pod is ready, the old revision serves');
});
