import test from 'ava';
import {
  APISERVER_ADD, APISERVER_DELETE, APISERVER_UPDATE, BALL_DROPPED, BALL_LANDED, BALL_THROWN, COIN_FLIPPED,
  COIN_FLIP_REQUESTED, PEER_PONGED, PODS_LISTED, WORKERS_SCALED, type DataOf,
} from '../../lib/contract/index.js';
import { decodeErrorData, isDeadLetter, planDeadLetter, planEvent, type HistoryType, type Write } from '../../functions/record-hop/rows.js';

const T = '2026-01-01T00:00:01Z';
const meta = (id = 'e1', source = '/pingpong/forward') => ({ source, id, time: T });
const ball = { id: 'b1', target: 'w3', maxHops: 5, servedAt: '2026-01-01T00:00:00Z' };
const from = { eventSource: '/pingpong/forward', eventId: 'e1', at: T };
const pod = (extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: 'forward-00002-abc', namespace: 'pingpong', labels: { 'serving.knative.dev/revision': 'forward-00002' } },
  spec: { containers: [{ name: 'user-container', ports: [{ containerPort: 8080, name: 'http1' }] }, { name: 'queue-proxy', ports: [{ containerPort: 8012 }] }] },
  status: { podIP: '10.0.0.7', phase: 'Running' },
  ...extra,
});
const servedRow = { id: 'b1', target: 'w3', maxHops: 5, servedAt: ball.servedAt, landedBy: null, reason: null, at: T };

type Case = [name: string, type: HistoryType, data: unknown, writes: Write[], table: string, ballId?: string];

const cases: Case[] = [
  ['hop 0 from the ball factory: a served ball and a hop with no thrower', BALL_THROWN, { ball, path: [], hop: 0 }, [
    { table: 'ball', row: { ...servedRow, status: 'served', hops: 0, path: [] } },
    { table: 'hop', row: { ...from, ballId: 'b1', hop: 0, fromPod: null, target: 'w3', path: [] } },
  ], 'hop', 'b1'],
  ['hop 2 was thrown by the last worker on the path', BALL_THROWN, { ball, path: ['w1', 'w2'], hop: 2 }, [
    { table: 'ball', row: { ...servedRow, status: 'served', hops: 2, path: ['w1', 'w2'] } },
    { table: 'hop', row: { ...from, ballId: 'b1', hop: 2, fromPod: 'w2', target: 'w3', path: ['w1', 'w2'] } },
  ], 'hop', 'b1'],
  ['a landed ball ends, landed by the last pod on its path', BALL_LANDED, { ball, path: ['w1', 'w3'], hop: 1 }, [
    { table: 'ball', row: { ...servedRow, status: 'landed', hops: 1, path: ['w1', 'w3'], landedBy: 'w3' } },
  ], 'ball', 'b1'],
  ['a dropped ball ends with its reason', BALL_DROPPED, { ball, path: ['w1'], hop: 5, reason: 'max-hops' }, [
    { table: 'ball', row: { ...servedRow, status: 'dropped', hops: 5, path: ['w1'], reason: 'max-hops' } },
  ], 'ball', 'b1'],
  ['a scale change', WORKERS_SCALED, { service: 'forward', from: 1, to: 3, revision: 'forward-00002', reason: 'random' }, [
    { table: 'scale_change', row: { ...from, service: 'forward', fromScale: 1, toScale: 3, revision: 'forward-00002', reason: 'random' } },
  ], 'scale_change'],
  ['a pod snapshot keeps the pods as listed', PODS_LISTED, { service: 'forward', cause: 'tick', pods: [{ name: 'p', ip: '10.0.0.1', port: 8080, phase: 'Running', revision: 'r' }] }, [
    { table: 'pod_snapshot', row: { ...from, service: 'forward', cause: 'tick', pods: [{ name: 'p', ip: '10.0.0.1', port: 8080, phase: 'Running', revision: 'r' }] } },
  ], 'pod_snapshot'],
  ['a pong', PEER_PONGED, { from: 'w1', to: 'w2', address: '10.0.0.2:8080', ms: 3.5, ok: true }, [
    { table: 'pong', row: { ...from, fromPod: 'w1', toPod: 'w2', address: '10.0.0.2:8080', ms: 3.5, ok: true } },
  ], 'pong'],
  ['a coin flip result', COIN_FLIPPED, { heads_required: 3, total_flips: 14 }, [
    { table: 'coin_flip', row: { ...from, headsRequired: 3, totalFlips: 14 } },
  ], 'coin_flip'],
  ['a pod added is born, with its IP, serving port (not queue-proxy) and revision', APISERVER_ADD, pod(), [
    { table: 'pod_event', row: { ...from, kind: 'born', name: 'forward-00002-abc', namespace: 'pingpong', ip: '10.0.0.7', port: 8080, phase: 'Running', revision: 'forward-00002' } },
  ], 'pod_event'],
  ['a pod updated before it has an IP', APISERVER_UPDATE, pod({ status: { phase: 'Pending' } }), [
    { table: 'pod_event', row: { ...from, kind: 'updated', name: 'forward-00002-abc', namespace: 'pingpong', ip: null, port: 8080, phase: 'Pending', revision: 'forward-00002' } },
  ], 'pod_event'],
  ['a pod deleted dies', APISERVER_DELETE, pod({ spec: {} }), [
    { table: 'pod_event', row: { ...from, kind: 'died', name: 'forward-00002-abc', namespace: 'pingpong', ip: '10.0.0.7', port: null, phase: 'Running', revision: 'forward-00002' } },
  ], 'pod_event'],
  ['another kind of object is kept as an event only', APISERVER_UPDATE, { apiVersion: 'pingpong.dev/v1alpha1', kind: 'PingPongTable', metadata: { name: 't' } }, [], 'event'],
];

for (const [name, type, data, writes, table, ballId] of cases) {
  test(`${type}: ${name}`, (t) => {
    const plan = planEvent(type, meta(), data as DataOf<typeof type>);
    t.deepEqual(plan.key, { table: 'event', row: { source: '/pingpong/forward', id: 'e1', type, time: T, data } });
    t.deepEqual(plan.writes, writes);
    t.deepEqual(plan.notice, { table, type, source: '/pingpong/forward', id: 'e1', ...(ballId ? { ballId } : {}) });
  });
}

test('an event without time leaves `at` to the store', (t) => {
  const plan = planEvent(COIN_FLIPPED, { source: '/s', id: 'x' }, { heads_required: 1, total_flips: 1 });
  t.is(plan.key.row.time, null);
  t.is((plan.writes[0]!.row as { at: string | null }).at, null);
});

const deadLetter = (ext: Record<string, unknown>) => ({
  type: COIN_FLIP_REQUESTED, source: '/test', id: 'd1', time: T, data: { heads: 'many' }, ballid: undefined, ...ext,
});

test('any one knativeerror* extension marks a dead letter; none does not', (t) => {
  t.true(isDeadLetter(deadLetter({ knativeerrordest: 'http://coin-flip' })));
  t.true(isDeadLetter(deadLetter({ knativeerrorcode: '500' })));
  t.true(isDeadLetter(deadLetter({ knativeerrordata: 'eA==' })));
  t.false(isDeadLetter(deadLetter({})));
  t.false(isDeadLetter(deadLetter({ knativeerrordest: '' })));
});

test('a dead letter keeps the original event, the destination, the code and the decoded error', (t) => {
  const body = '{"error":"data.heads: expected number"}';
  const plan = planDeadLetter(deadLetter({
    knativeerrordest: 'http://coin-flip.pingpong.svc.cluster.local', knativeerrorcode: '400',
    knativeerrordata: Buffer.from(body).toString('base64'), ballid: 'b9',
  }));
  t.deepEqual(plan.key, {
    table: 'dead_letter',
    row: {
      source: '/test', id: 'd1', type: COIN_FLIP_REQUESTED, dest: 'http://coin-flip.pingpong.svc.cluster.local',
      code: 400, errorData: body, time: T, data: { heads: 'many' },
    },
  });
  t.deepEqual(plan.writes, []);
  t.deepEqual(plan.notice, { table: 'dead_letter', type: COIN_FLIP_REQUESTED, source: '/test', id: 'd1', ballId: 'b9' });
});

test('a dead letter with only a code has an empty destination and no error data', (t) => {
  const row = planDeadLetter(deadLetter({ knativeerrorcode: 503 })).key.row as { dest: string; code: number; errorData: null };
  t.is(row.dest, '');
  t.is(row.code, 503);
  t.is(row.errorData, null);
});

for (const [input, want] of [
  [Buffer.from('upstream said no').toString('base64'), 'upstream said no'],
  ['not base64!', 'not base64!'],
  ['', null],
  [undefined, null],
] as const) {
  test(`knativeerrordata ${JSON.stringify(input)} decodes to ${JSON.stringify(want)}`, (t) => t.is(decodeErrorData(input), want));
}
