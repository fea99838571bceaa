import test from 'ava';
import { parseUp, FlagError } from '../../local/cli/flags.js';
import { defaultLogFormat, logLevel, podRecord, runtimeOutput, useColors } from '../../local/runtime/log-format.js';
import { Refusal } from '../../lib/refusal.js';

const POD = 'forward-00001-deployment-x7k2q';
const podJson = JSON.stringify({ level: 30, time: '2026-05-04T18:41:07.123Z', pod: POD, name: 'forward', id: 'b.1', type: 'dev.pingpong.ball.thrown',
  ballId: 'WBoUeZkkGOnKkuLf.b.0', hop: 1, outcome: 'landed', msg: 'handled' });

/** The runtime's output into an array, as `pingpong up` would print it. */
function capture(format: 'pretty' | 'json', level: 'info' | 'warn' | 'debug' = 'info') {
  const lines: string[] = [];
  const out = runtimeOutput({ format, level, write: (s) => lines.push(...s.split('\n').filter(Boolean)) });
  return { ...out, lines };
}

test('--log-format and PINGPONG_LOG_FORMAT; unset when neither says', (t) => {
  t.is(parseUp(['--log-format', 'pretty'], {}).logFormat, 'pretty');
  t.is(parseUp([], { PINGPONG_LOG_FORMAT: 'json' }).logFormat, 'json');
  t.is(parseUp(['--log-format', 'json'], { PINGPONG_LOG_FORMAT: 'pretty' }).logFormat, 'json');
  t.false('logFormat' in parseUp([], {}));
});

for (const [args, env] of [[['--log-format', 'yaml'], {}], [[], { PINGPONG_LOG_FORMAT: 'Pretty' }], [['--log-format', ''], {}]] as const) {
  test(`refuses log format ${JSON.stringify(args)} ${JSON.stringify(env)} naming --log-format`, (t) => {
    const e = t.throws(() => parseUp([...args], { ...env }), { instanceOf: FlagError });
    t.is(e?.flag, '--log-format');
    t.regex(e!.message, /^--log-format: must be pretty or json/);
  });
}

test('readable on a terminal, JSON lines otherwise', (t) => {
  t.is(defaultLogFormat({ isTTY: true }), 'pretty');
  t.is(defaultLogFormat({ isTTY: false }), 'json');
  t.is(defaultLogFormat({}), 'json');
});

test('LOG_LEVEL: info by default, a bad one refused naming it', (t) => {
  t.is(logLevel({}), 'info');
  t.is(logLevel({ LOG_LEVEL: 'debug' }), 'debug');
  const e = t.throws(() => logLevel({ LOG_LEVEL: 'loud' }), { instanceOf: Refusal });
  t.regex(e!.message, /^LOG_LEVEL: must be one of .*debug.*, got "loud"/);
});

test('colours only on a terminal, NO_COLOR and FORCE_COLOR obeyed', (t) => {
  t.true(useColors({ isTTY: true }, {}));
  t.false(useColors({ isTTY: false }, {}));
  t.false(useColors({ isTTY: true }, { NO_COLOR: '' }));
  t.true(useColors({ isTTY: false }, { FORCE_COLOR: '1' }));
  t.false(useColors({ isTTY: true }, { TERM: 'dumb' }));
});

test('json: a pod\'s JSON line passes through as it is; the runtime\'s lines are JSON too', (t) => {
  const { log, podSink, lines } = capture('json');
  podSink(`[${POD}] ${podJson}`, { pod: POD, stream: 'stdout', text: podJson });
  log.info({ part: 'serving', pod: POD, ip: '127.0.0.1', port: 4000 }, 'pod born');
  t.is(lines[0], podJson);
  const own = JSON.parse(lines[1]!);
  t.like(own, { name: 'pingpong', part: 'serving', pod: POD, port: 4000, msg: 'pod born', level: 30 });
});

test('json: a line that is not JSON becomes one, tagged with its pod; stderr is a warning', (t) => {
  const { podSink, lines } = capture('json');
  podSink(`[${POD}] Serving function...`, { pod: POD, stream: 'stdout', text: 'Serving function...' });
  podSink(`[${POD}] (node:1) Warning: x`, { pod: POD, stream: 'stderr', text: '(node:1) Warning: x' });
  podSink(`[${POD}] {"no":"pod"}`, { pod: POD, stream: 'stdout', text: '{"no":"pod"}' });
  t.like(JSON.parse(lines[0]!), { pod: POD, level: 30, msg: 'Serving function...' });
  t.like(JSON.parse(lines[1]!), { pod: POD, level: 40, msg: '(node:1) Warning: x' });
  t.like(JSON.parse(lines[2]!), { pod: POD, no: 'pod' });
});

test('pretty: pods\' JSON lines and the runtime\'s own go through the same printer; text lines still show, tagged', (t) => {
  const { log, podSink, lines } = capture('pretty');
  podSink(`[${POD}] ${podJson}`, { pod: POD, stream: 'stdout', text: podJson });
  podSink(`[${POD}] Serving function...`, { pod: POD, stream: 'stdout', text: 'Serving function...' });
  log.info({ part: 'serving', pod: POD, ip: '127.0.0.1', port: 4000, pid: 7 }, 'pod born');
  t.regex(lines[0]!, new RegExp(`^\\d\\d:\\d\\d:\\d\\d  ${POD}  ball WBoUeZ…b\\.0  hop 1  landed$`));
  t.regex(lines[1]!, new RegExp(`^\\d\\d:\\d\\d:\\d\\d  ${POD}  Serving function\\.\\.\\.$`));
  t.regex(lines[2]!, new RegExp(`^\\d\\d:\\d\\d:\\d\\d  ${POD}  born on 127\\.0\\.0\\.1:4000  pid 7$`));
  for (const l of lines) t.notRegex(l, /[{}]/);
});

test('LOG_LEVEL filters the pods\' lines too', (t) => {
  const { podSink, lines } = capture('json', 'warn');
  podSink('', { pod: POD, stream: 'stdout', text: podJson });
  podSink('', { pod: POD, stream: 'stderr', text: 'a crash' });
  t.is(lines.length, 1);
  t.like(JSON.parse(lines[0]!), { msg: 'a crash', level: 40 });
});

test('a plain sink call (no pod line) prints as it is', (t) => {
  const { podSink, lines } = capture('pretty');
  podSink('[p] hello');
  t.deepEqual(lines, ['[p] hello']);
});

test('podRecord keeps a JSON line that names its pod as it is', (t) => {
  t.true(podRecord({ pod: POD, stream: 'stdout', text: podJson }).asIs);
  t.false(podRecord({ pod: POD, stream: 'stdout', text: '[1, 2]' }).asIs);
  t.is(podRecord({ pod: POD, stream: 'stdout', text: '[1, 2]' }).record.msg, '[1, 2]');
});
