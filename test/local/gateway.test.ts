import test from 'ava';
import { startGateway, route } from '../../local/gateway/index.js';
import { waitFor } from '../helpers/wait.js';
import { echoService, request, testServing } from '../fixtures/functions/harness.js';

for (const [host, want] of [
  ['hello.demo.127.0.0.1.sslip.io', { kind: 'service', name: 'hello', namespace: 'demo', clusterLocal: false }],
  ['hello.demo.127.0.0.1.sslip.io:8080', { kind: 'service', name: 'hello', namespace: 'demo', clusterLocal: false }],
  ['Hello.Demo.svc.cluster.local.', { kind: 'service', name: 'hello', namespace: 'demo', clusterLocal: true }],
  ['hello.demo.svc', { kind: 'service', name: 'hello', namespace: 'demo', clusterLocal: true }],
  ['hello.demo', { kind: 'service', name: 'hello', namespace: 'demo', clusterLocal: true }],
  ['localhost:8080', { kind: 'ui' }],
  ['127.0.0.1', { kind: 'ui' }],
  ['[::1]:8080', { kind: 'ui' }],
  ['example.com.evil.org', { kind: 'unknown', host: 'example.com.evil.org' }],
  ['hello', { kind: 'unknown', host: 'hello' }],
] as const) {
  test(`Host ${host} routes to ${want.kind}`, (t) => t.deepEqual(route(host, '127.0.0.1.sslip.io'), want));
}

async function setup(t: any) {
  const s = testServing();
  const gw = await startGateway({ port: 0, serving: s.serving });
  t.teardown(async () => { await gw.close(); await s.serving.stop(); });
  return { ...s, gw, get: (host: string, path = '/') => request(gw.port, host, path) };
}

test.serial('routes sslip.io and cluster-local names to the Service; a cluster-local Service refuses its external name', async (t) => {
  const { serving, get } = await setup(t);
  serving.apply(echoService('open', { namespace: 'demo' }));
  serving.apply(echoService('inside', { namespace: 'demo', labels: { 'networking.knative.dev/visibility': 'cluster-local' } }));

  const external = await get('open.demo.127.0.0.1.sslip.io');
  t.is(external.status, 200);
  t.like(external.json().env, { K_SERVICE: 'open' });
  t.is(external.json().headers.host, 'open.demo.127.0.0.1.sslip.io');
  for (const host of ['open.demo.svc.cluster.local', 'inside.demo.svc.cluster.local', 'inside.demo.svc', 'inside.demo']) {
    const res = await get(host);
    t.is(res.status, 200, host);
    t.is(res.json().env.K_SERVICE, host.split('.')[0]);
  }
  const refused = await get('inside.demo.127.0.0.1.sslip.io');
  t.is(refused.status, 404);
  t.regex(refused.body, /inside\.demo\.127\.0\.0\.1\.sslip\.io.*cluster-local/);
  t.deepEqual(serving.services().map((s) => [s.name, s.url]), [
    ['inside', 'http://inside.demo.svc.cluster.local'],
    ['open', 'http://open.demo.127.0.0.1.sslip.io'],
  ]);
});

test.serial('an unknown host is a 404 naming the host', async (t) => {
  const { get } = await setup(t);
  for (const host of ['nothing.here.127.0.0.1.sslip.io', 'example.org.evil.com']) {
    const res = await get(host);
    t.is(res.status, 404);
    t.true(res.body.includes(host), res.body);
  }
});

test.serial('/ lists the Services until the UI Service exists, then serves the UI', async (t) => {
  const { serving, get } = await setup(t);
  t.regex((await get('localhost')).body, /No Services yet/);
  serving.apply(echoService('open', { namespace: 'demo' }));
  await waitFor(() => serving.pods().some((p) => p.ready), 'a ready pod', { timeoutMs: 30_000 });
  const page = await get('localhost:8080');
  t.is(page.status, 200);
  t.regex(page.body, /<b>open<\/b>/);
  t.regex(page.body, /open\.demo\.127\.0\.0\.1\.sslip\.io/);
  t.regex(page.body, /open-00001-deployment-[a-z0-9]{5}<\/code> Ready · 0 in flight/);

  serving.apply(echoService('history-ui', { namespace: 'pingpong' }));
  const ui = await get('127.0.0.1', '/games');
  t.is(ui.status, 200);
  t.like(ui.json(), { url: '/games', env: { K_SERVICE: 'history-ui' } });
});
