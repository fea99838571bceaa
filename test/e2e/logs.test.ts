import test from 'ava';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { npmStart, type Instance } from '../helpers/pingpong-up.js';
import { request } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';

// `pingpong up --log-format pretty`, as a terminal shows it: one short line per event.
let pp: Instance;
test.before(async () => {
  pp = await npmStart(['--log-format', 'pretty'], { NO_COLOR: '1' });
});
test.after.always(async () => {
  if (pp) {
    await pp.interrupt();
    await rm(pp.dataDir, { recursive: true, force: true });
  }
});

const lines = () => pp.output().split('\n');
const seen = (re: RegExp, what: string) => waitFor(() => lines().some((l) => re.test(l)), what, { timeoutMs: 30_000, intervalMs: 100 });
const POD = '[a-z-]+-\\d{5}-deployment-[a-z0-9]{5}';

test.serial('the banner lists the Services with their URLs, the Broker, the UI and a curl to try', (t) => {
  const out = pp.output();
  t.regex(out, /^pingpong\/coin-flip +http:\/\/coin-flip\.pingpong\.127\.0\.0\.1\.sslip\.io +external$/m, 'a table row: name, URL, visibility');
  for (const want of ['http://forward.pingpong.svc.cluster.local',
    `Broker:      http://localhost:${pp.broker}/pingpong/default`, `UI:          http://localhost:${pp.gateway}/`,
    `-H "ce-id: $(node -p 'crypto.randomUUID()')"`, 'Ctrl-C stops everything.']) {
    t.true(out.includes(want), `missing "${want}"`);
  }
});

test.serial('the runtime tells its revisions, scale-ups and pod births, each pod with its ip:port', async (t) => {
  await seen(/^\d\d:\d\d:\d\d {2}forward-00001 {2}scaled up 0 → 2$/, 'forward scaled up');
  await seen(new RegExp(`^\\d\\d:\\d\\d:\\d\\d  ${POD.replace('[a-z-]+', 'record-hop')}  born on 127\\.0\\.0\\.1:\\d+  pid \\d+$`), 'a record-hop pod born');
  t.pass();
});

test.serial('a ball request reads as a story: served, thrown, landed, recorded, each line naming its pod', async (t) => {
  const res = await request(`http://127.0.0.1:${pp.broker}/pingpong/default`, {
    method: 'POST',
    headers: {
      'ce-specversion': '1.0', 'ce-type': 'dev.pingpong.ball.requested', 'ce-source': '/e2e/logs',
      'ce-id': randomUUID(), 'content-type': 'application/json',
    },
    body: '{"count":3,"maxHops":3}',
  });
  t.is(res.status, 202, res.body);
  await seen(new RegExp(`^\\d\\d:\\d\\d:\\d\\d  ${POD.replace('[a-z-]+', 'ping')}  served 3 balls → `), 'ping to say it served the 3 balls');
  await seen(new RegExp(`^\\d\\d:\\d\\d:\\d\\d  ${POD.replace('[a-z-]+', 'forward')}  ball \\S+  hop \\d+  (landed|dropped|thrown → forward)`), 'a worker to tell a hop');
  await seen(new RegExp(`^\\d\\d:\\d\\d:\\d\\d  ${POD.replace('[a-z-]+', 'record-hop')}  recorded ball\\.(landed|dropped)  ball \\S+  hop \\d+`), 'record-hop to tell an ending it recorded');
  const json = lines().filter((l) => l.trimStart().startsWith('{'));
  t.deepEqual(json, [], 'no JSON line in pretty mode');
  t.deepEqual(lines().filter((l) => / WARN | ERROR /.test(l)), [], 'an ordinary run warns of nothing');
});

test.serial('Ctrl-C stops the pods before PostgreSQL: no connection errors, and the last line is stopped.', async (t) => {
  await pp.interrupt();
  const out = pp.output();
  t.notRegex(out, /ECONNREFUSED|terminating connection|Connection terminated|ERROR/);
  t.is(out.trimEnd().split('\n').at(-1), 'stopped.');
});
