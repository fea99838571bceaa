/**
 * The gateway and the activator in front of a real coin-flip pod, fed generated bad input: Host
 * headers, paths, request heads Node cannot parse, broken CloudEvents, and bodies past the pod's
 * limit, which the pod refuses before reading them: its 413 must reach the client, not a 502.
 */
import test from 'ava';
import fc from 'fast-check';
import { DEFAULT_BODY_LIMIT } from '../../lib/config.js';
import { functionCommand } from '../../lib/process/function-command.js';
import { startGateway, type Gateway } from '../../local/gateway/index.js';
import { echoService, testServing } from '../fixtures/functions/harness.js';
import { waitFor } from '../helpers/wait.js';
import {
  badSegment, binaryFault, check, keepAlive, malformedHead, namesField, refused, send, sendBody, sendRaw, STRUCTURED, structuredFault,
} from './arbitraries.js';

const HOST = 'coin-flip.pingpong.127.0.0.1.sslip.io';
const agent = keepAlive();
let gw: Gateway;
let stopServing: () => Promise<void>;
let cases = 0;

test.before(async () => {
  const s = testServing({ podCommand: (_svc, container) => functionCommand(container.env.find((e: { name: string }) => e.name === 'FUNCTION_TARGET').value) });
  const svc = echoService('coin-flip', { namespace: 'pingpong', annotations: { 'autoscaling.knative.dev/min-scale': '1' } });
  (svc.spec as any).template.spec.containers[0].env = [{ name: 'FUNCTION_TARGET', value: 'coin-flip' }, { name: 'LOG_LEVEL', value: 'silent' }];
  s.serving.apply(svc);
  gw = await startGateway({ port: 0, serving: s.serving });
  stopServing = () => s.serving.stop();
  await waitFor(() => s.serving.pods().some((p) => p.ready), 'a ready coin-flip pod', { timeoutMs: 60_000 });
});

test.after.always(async () => {
  agent.destroy();
  await gw?.close();
  await stopServing?.();
});

const compute = (o: { headers?: Record<string, string>; body?: string | Buffer; method?: string; path?: string; host?: string }) =>
  send(gw.port, agent, { method: o.method ?? 'POST', path: o.path ?? '/compute', headers: { host: o.host ?? HOST, ...o.headers }, body: o.body });

async function stillServes(t: { is: (a: unknown, b: unknown, m?: string) => void }) {
  const a = await compute({ headers: { 'content-type': 'application/json' }, body: '{"heads":2}' });
  t.is(a.status, 200, `coin-flip through the gateway after the property: ${a.body.slice(0, 200)}`);
}

test.serial('regression: a body over the pod\'s 1 MiB limit is the pod\'s 413, never 502 write EPIPE, with a Content-Length or chunked', async (t) => {
  for (let i = 0; i < 16; i++) {
    const body = Buffer.alloc(DEFAULT_BODY_LIMIT + 1024 * 1024 + i * 4096, 'a');
    const a = await sendBody(gw.port, { path: '/compute', host: HOST, headers: { 'content-type': 'application/json' }, body, chunked: i % 2 === 1 });
    t.is(a.status, 413, `try ${i}: ${a.status} ${a.body}`);
    t.regex(a.body, /"field":"body"/);
  }
  // The same through node:http on a keep-alive agent, which reuses connections after each answer.
  for (let i = 0; i < 4; i++) {
    const a = await compute({ headers: { 'content-type': 'application/json' }, body: Buffer.alloc(DEFAULT_BODY_LIMIT + 1, 'a') }).catch((e: Error) => ({ status: 0, body: e.message }));
    t.true(a.status === 413 || a.status === 0, `${a.status} ${a.body}`);
  }
  await stillServes(t);
});

test.serial('bodies past the limit, generated: always the pod\'s 413', async (t) => {
  const big = fc.record({ extra: fc.integer({ min: 1, max: 2 * DEFAULT_BODY_LIMIT }), chunked: fc.boolean() });
  cases += await check(big, 30, async ({ extra, chunked }) => {
    const body = Buffer.alloc(DEFAULT_BODY_LIMIT + extra, 'a');
    refused(await sendBody(gw.port, { path: '/compute', host: HOST, headers: { 'content-type': 'application/json' }, body, chunked }), /"field":"body"/, [413]);
  });
  await stillServes(t);
});

test.serial('a Host that names no Service is a 404 naming the host', async (t) => {
  const host = fc.oneof(
    fc.stringMatching(/^[a-z0-9.-]{1,30}$/),
    fc.tuple(fc.stringMatching(/^[a-z0-9-]{1,10}$/), fc.stringMatching(/^[a-z0-9-]{1,10}$/)).map(([s, n]) => `${s}.${n}.127.0.0.1.sslip.io`),
    fc.tuple(fc.stringMatching(/^[a-z0-9-]{1,10}$/), fc.stringMatching(/^[a-z0-9-]{1,10}$/)).map(([s, n]) => `${s}.${n}.svc.cluster.local`),
    fc.stringMatching(/^[!-~]{1,40}$/),
  ).filter((h) => !/^(coin-flip\.pingpong(\..*)?|localhost|127\.0\.0\.1|\[?::1\]?)(:\d*)?\.?$/i.test(h) && !h.toLowerCase().startsWith('coin-flip.pingpong'));
  cases += await check(host, 600, async (h) => {
    refused(await compute({ host: h, method: 'GET', path: '/' }), /404 host/, [404]);
  });
  await stillServes(t);
});

test.serial('broken CloudEvents and bad paths pass through to the pod and come back as its 4xx', async (t) => {
  const fault = fc.oneof(
    binaryFault.map((f) => ({ headers: f.headers, body: '{}', names: namesField(f.names), path: '/' })),
    structuredFault.map((f) => ({ headers: STRUCTURED as Record<string, string>, body: f.body, names: namesField(f.names), path: '/' })),
    badSegment.map((seg) => ({ headers: { 'content-type': 'application/json' } as Record<string, string>, body: '{"heads":2}', names: namesField('path'), path: `/${seg}` })),
  );
  cases += await check(fault, 800, async ({ headers, body, names, path }) => {
    refused(await compute({ headers, body, path }), names, [400, 405]);
  });
  await stillServes(t);
});

test.serial('a request head Node cannot parse is a 400 or 431 naming the request', async (t) => {
  cases += await check(malformedHead('/compute', HOST), 300, async (raw) => {
    refused(await sendRaw(gw.port, raw), /"field":"request"/, [400, 431]);
  });
  await stillServes(t);
});

test.serial('the cases of this file add up', (t) => {
  t.log(`gateway: ${cases} generated cases`);
  t.true(cases >= 1500);
});
