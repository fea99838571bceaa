import test from 'ava';
import { parseUp, parseStatus, FlagError } from '../../local/cli/flags.js';

test('defaults', (t) => {
  t.deepEqual(parseUp([], {}), { files: [], gatewayPort: 8080, brokerPort: 8081, apiPort: 6443, dataDir: '.local', stableWindowMs: 60_000, reset: false });
});

test('--reset forgets the kept API objects; it takes no value', (t) => {
  t.true(parseUp(['--reset'], {}).reset);
  t.throws(() => parseUp(['--reset=yes'], {}), { instanceOf: FlagError });
});

test('flags beat environment variables, which beat defaults', (t) => {
  const env = { PINGPONG_GATEWAY_PORT: '9000', PINGPONG_BROKER_PORT: '9001', PINGPONG_STABLE_WINDOW: '5s', PINGPONG_FILES: 'a.yaml, b.yaml' };
  const o = parseUp(['--gateway-port', '9100', '-f', 'x.yaml', '-f', 'y.yaml'], env);
  t.is(o.gatewayPort, 9100);
  t.is(o.brokerPort, 9001);
  t.is(o.stableWindowMs, 5000);
  t.deepEqual(o.files, ['x.yaml', 'y.yaml']);
  t.deepEqual(parseUp([], env).files, ['a.yaml', 'b.yaml']);
});

for (const [args, env, flag] of [
  [['--gateway-port', 'eighty'], {}, '--gateway-port'],
  [['--broker-port', '70000'], {}, '--broker-port'],
  [[], { PINGPONG_API_PORT: '0' }, '--api-port'],
  [['--stable-window', '10'], {}, '--stable-window'],
  [['--stable-window', '2h'], {}, '--stable-window'],
  [['--gateway-port', '9000', '--broker-port', '9000'], {}, '--broker-port'],
  [['--data-dir', ''], {}, '--data-dir'],
  [['--colour'], {}, 'up'],
] as const) {
  test(`refuses ${JSON.stringify(args)} ${JSON.stringify(env)} naming ${flag}`, (t) => {
    const e = t.throws(() => parseUp([...args], { ...env }), { instanceOf: FlagError });
    t.is(e?.flag, flag);
    t.true(e!.message.startsWith(flag));
  });
}

test('status flags', (t) => {
  t.deepEqual(parseStatus(['--json', '--data-dir', '/tmp/x'], {}), { dataDir: '/tmp/x', json: true });
  t.deepEqual(parseStatus([], { PINGPONG_DATA_DIR: '/d' }), { dataDir: '/d', json: false });
});

