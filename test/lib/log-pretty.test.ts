import test from 'ava';
import { pino } from 'pino';
import { clock, eventText, prettyPrinter, shortId, shortLine, shortType, subjectOf, type LogRecord } from '../../lib/log-pretty.js';

const TIME = '2026-05-04T18:41:07.123Z';
const FWD = 'forward-00001-deployment-x7k2q';
const BALL = 'WBoUeZkkGOnKkuLf.b.0';

/** A function's handled line as the adapter logs it, plus what the handler noted. */
const handled = (noted: LogRecord, rest: LogRecord = {}): LogRecord => ({
  level: 30, time: TIME, pod: FWD, name: 'forward', id: `${BALL}.1`, type: 'dev.pingpong.ball.thrown', source: '/pingpong/ping',
  ...noted, status: 200, ms: 3, msg: 'handled', ...rest,
});

for (const [name, record, want] of [
  ['a ball thrown on says its hop and where it goes',
    handled({ ballId: BALL, hop: 2, outcome: 'thrown', target: 'w1', to: 'forward' }, { reply: { id: `${BALL}.2`, type: 'dev.pingpong.ball.thrown' } }),
    'ball WBoUeZ…b.0  hop 2  thrown → forward'],
  ['a ball that lands', handled({ ballId: BALL, hop: 3, outcome: 'landed', target: FWD }), 'ball WBoUeZ…b.0  hop 3  landed'],
  ['a dropped ball says why', handled({ ballId: BALL, hop: 20, outcome: 'dropped', reason: 'max-hops' }), 'ball WBoUeZ…b.0  hop 20  dropped: max-hops'],
  ['ping serving one ball names it and its target',
    handled({ served: 1, balls: [BALL], targets: [FWD], to: 'reply' }), `served ball WBoUeZ…b.0 → ${FWD}`],
  ['ping serving several counts the targets',
    handled({ served: 3, balls: ['a', 'b', 'c'], targets: ['w1', 'w2', 'w1'], to: 'http://sink' }), 'served 3 balls → w1 ×2, w2'],
  ['record-hop says what it stored',
    handled({ record: 'stored', ballId: BALL, hop: 1, tables: ['event', 'ball', 'hop'] }), 'recorded ball.thrown  ball WBoUeZ…b.0  hop 1 (event, ball, hop)'],
  ['record-hop on a redelivery', handled({ record: 'duplicate', ballId: BALL, hop: 1 }), 'already recorded ball.thrown  ball WBoUeZ…b.0  hop 1'],
  ['record-hop on an event it ignores', handled({ record: 'ignored', ballId: BALL, hop: 1, reason: 'after its ending' }),
    'ignored ball.thrown  ball WBoUeZ…b.0  hop 1: after its ending'],
  ['record-hop on a non-ball event', handled({ record: 'stored', tables: ['event', 'scale_change'] }, { type: 'dev.pingpong.workers.scaled' }),
    'recorded workers.scaled (event, scale_change)'],
  ['coin-flip', handled({ heads: 5, flips: 37 }), '5 heads in a row took 37 flips'],
  ['a handled event nobody noted anything about', handled({}, { type: 'dev.knative.sources.ping', id: '1234', status: 202 }), 'handled ping 1234  202'],
  ['a transient failure: the event, the status, why',
    { level: 40, time: TIME, pod: FWD, id: `${BALL}.0.landed`, type: 'dev.pingpong.ball.landed', status: 503, err: 'hop 0 is not recorded yet: retry later', msg: 'transient failure, the sender should retry' },
    'ball.landed WBoUeZ…b.0.0.landed  503 hop 0 is not recorded yet: retry later'],
  ['a rejected event names the field',
    { level: 40, time: TIME, pod: FWD, id: 'x', type: 'dev.pingpong.ball.thrown', status: 400, errors: [{ field: 'data.hop', message: 'must be ≥ 0' }], msg: 'rejected' },
    'ball.thrown x  400 data.hop: must be ≥ 0'],
  ['a pod birth with its address and pid',
    { level: 30, time: TIME, name: 'pingpong', part: 'serving', pod: FWD, revision: 'forward-00001', ip: '127.0.0.1', port: 41234, pid: 99, msg: 'pod born' },
    'born on 127.0.0.1:41234  pid 99'],
  ['a pod ready', { level: 30, time: TIME, part: 'serving', pod: FWD, ip: '127.0.0.1', port: 41234, msg: 'pod ready' }, 'ready on 127.0.0.1:41234'],
  ['a pod that was stopped', { level: 30, time: TIME, part: 'serving', pod: FWD, ip: '127.0.0.1', port: 41234, exit: 'exit code 0', expected: true, msg: 'pod died' },
    'died on 127.0.0.1:41234 (exit code 0)'],
  ['a pod that crashed', { level: 40, time: TIME, part: 'serving', pod: FWD, ip: '127.0.0.1', port: 41234, exit: 'exit code 1', expected: false, msg: 'pod died' },
    'died on 127.0.0.1:41234 (exit code 1, unexpectedly)'],
  ['a scale-up', { level: 30, time: TIME, part: 'serving', service: 'pingpong/forward', revision: 'forward-00002', from: 1, to: 3, msg: 'scaled up' }, 'scaled up 1 → 3'],
  ['a scale-down', { level: 30, time: TIME, part: 'serving', revision: 'forward-00002', from: 3, to: 0, msg: 'scaled down' }, 'scaled down 3 → 0'],
  ['a rollout: a revision created', { level: 30, time: TIME, part: 'serving', service: 'pingpong/forward', revision: 'forward-00002', msg: 'revision created' }, 'revision created'],
  ['a rollout: traffic moves', { level: 30, time: TIME, part: 'serving', service: 'pingpong/forward', from: 'forward-00001', to: 'forward-00002', msg: 'traffic moved to revision' },
    'traffic → forward-00002 (was forward-00001)'],
  ['a dead letter',
    { level: 30, time: TIME, part: 'broker', trigger: 'pingpong/forward', id: `${BALL}.3`, type: 'dev.pingpong.ball.thrown', reason: 'answered 500', code: 500,
      sink: 'http://record-hop.pingpong.svc.cluster.local/', status: 202, attempt: 1, msg: 'dead-lettered' },
    'dead letter ball.thrown WBoUeZ…b.0.3  trigger pingpong/forward: answered 500  → record-hop.pingpong'],
  ['the broker closing', { level: 30, time: TIME, part: 'broker', dropped: 1, msg: 'broker closing: queued and in-flight deliveries dropped' },
    'closing: 1 delivery dropped (queued or in flight)'],
  ['any other line: its message and fields as key=value, a stack cut to its first line',
    { level: 50, time: TIME, part: 'pingsource', pingsource: 'pingpong/serve-balls', err: 'boom\n    at x (y.ts:1:1)', msg: 'ping failed' },
    'ping failed  pingsource=pingpong/serve-balls err=boom …'],
] as const) {
  test(`event text: ${name}`, (t) => {
    const text = eventText(record);
    t.is(text, want);
    t.notRegex(text, /[{}"]/, 'no JSON in the short line');
  });
}

test('the line: time, subject, level when not info, what happened', (t) => {
  const at = clock(TIME);
  t.regex(at, /^\d\d:\d\d:\d\d$/);
  t.is(shortLine(handled({ ballId: BALL, hop: 2, outcome: 'thrown', to: 'forward' })), `${at}  ${FWD}  ball WBoUeZ…b.0  hop 2  thrown → forward`);
  t.is(shortLine({ level: 40, time: TIME, part: 'broker', msg: 'trigger has no spec.broker; ignored', trigger: 't' }),
    `${at}  broker  WARN  trigger has no spec.broker; ignored  trigger=t`);
  t.is(shortLine({ level: 30, time: 0, msg: 'x' }).slice(8), '  -  x');
});

for (const [name, record, want] of [
  ['a pod', { pod: 'p', revision: 'r', part: 'serving' }, 'p'],
  ['a revision', { revision: 'forward-00002', service: 'pingpong/forward', part: 'serving' }, 'forward-00002'],
  ['a Service, without its namespace', { service: 'pingpong/forward', part: 'serving' }, 'forward'],
  ['a part of the runtime', { part: 'broker', name: 'pingpong' }, 'broker'],
  ['the runtime itself', { name: 'pingpong' }, 'pingpong'],
] as const) test(`subject: ${name}`, (t) => t.is(subjectOf(record), want));

for (const [id, want] of [
  ['WBoUeZkkGOnKkuLf.b.0', 'WBoUeZ…b.0'],
  ['WBoUeZkkGOnKkuLf.b.12.3.landed', 'WBoUeZ…b.12.3.landed'],
  ['1234', '1234'],
  ['6f1c2e9a-1b2c-4d5e-8f90-123456789abc', '6f1c2e9a…'],
] as const) test(`short id ${id}`, (t) => t.is(shortId(id), want));

test('short types drop the common prefixes', (t) => {
  t.is(shortType('dev.pingpong.ball.landed'), 'ball.landed');
  t.is(shortType('dev.knative.sources.ping'), 'ping');
  t.is(shortType('dev.knative.apiserver.resource.add'), 'apiserver.resource.add');
  t.is(shortType('com.example.other'), 'com.example.other');
});

test('pino-pretty renders a real pino line as the short line, one line, no JSON', (t) => {
  const printed: string[] = [];
  const print = prettyPrinter({ colorize: false });
  const log = pino({ name: 'forward', base: { pod: FWD }, timestamp: pino.stdTimeFunctions.isoTime }, { write: (s: string) => void printed.push(print(s)) });
  log.info({ id: `${BALL}.1`, type: 'dev.pingpong.ball.thrown', ballId: BALL, hop: 1, outcome: 'thrown', to: 'forward' }, 'handled');
  t.is(printed.length, 1);
  t.regex(printed[0]!, new RegExp(`^\\d\\d:\\d\\d:\\d\\d  ${FWD}  ball WBoUeZ…b\\.0  hop 1  thrown → forward\\n$`));
});

test('colours, when on, do not change the words', (t) => {
  const line = prettyPrinter({ colorize: true })(JSON.stringify(handled({ heads: 2, flips: 3 }, { level: 40 })));
  // eslint-disable-next-line no-control-regex
  t.is(line.replace(/\u001b\[\d+m/g, ''), `${clock(TIME)}  ${FWD}  WARN  2 heads in a row took 3 flips\n`);
});
