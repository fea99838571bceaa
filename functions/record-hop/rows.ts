import { z } from 'zod';
import {
  APISERVER_ADD, APISERVER_DELETE, APISERVER_UPDATE, BALL_DROPPED, BALL_LANDED, BALL_THROWN, COIN_FLIPPED,
  PEER_PONGED, PODS_LISTED, WORKERS_SCALED, type BallInFlight, type DataOf, ERROR_CODE, ERROR_DATA, ERROR_DEST,
} from '../../lib/contract/index.js';
import type { HistoryNotice } from '../../lib/db/notify.js';
import type { Step } from './flight.js';
import { REVISION_LABEL, servingPort } from '../../lib/kube/pods.js';

/**
 * What record-hop stores for each event, as plain rows: no SQL, no pg, no clock. `at` is the
 * event's `time` (null when absent: the store then uses the time of the write).
 */

/** The event types record-hop keeps (its Triggers subscribe to exactly these). */
export const HISTORY_TYPES = [
  BALL_THROWN, BALL_LANDED, BALL_DROPPED, WORKERS_SCALED, PODS_LISTED, PEER_PONGED, COIN_FLIPPED,
  APISERVER_ADD, APISERVER_UPDATE, APISERVER_DELETE,
] as const;
export type HistoryType = (typeof HISTORY_TYPES)[number];

/** The context attributes record-hop reads. */
export interface EventMeta {
  source: string;
  id: string;
  time?: string;
}

export interface EventRow { source: string; id: string; type: string; time: string | null; data: unknown }
export interface BallRow {
  id: string; target: string; maxHops: number; servedAt: string;
  status: 'served' | 'landed' | 'dropped'; hops: number; path: string[];
  landedBy: string | null; reason: string | null; at: string | null;
}
/** Every row caused by one event names it: (eventSource, eventId). */
interface FromEvent { eventSource: string; eventId: string; at: string | null }
export interface HopRow extends FromEvent { ballId: string; hop: number; fromPod: string | null; target: string; path: string[] }
export interface ScaleChangeRow extends FromEvent { service: string; fromScale: number; toScale: number; revision: string; reason: string }
export interface PodEventRow extends FromEvent {
  kind: 'born' | 'updated' | 'died'; name: string; namespace: string | null; ip: string | null;
  port: number | null; phase: string | null; revision: string | null;
}
export interface PodSnapshotRow extends FromEvent { service: string; cause: string; pods: unknown[] }
export interface PongRow extends FromEvent { fromPod: string; toPod: string; address: string; ms: number; ok: boolean }
export interface CoinFlipRow extends FromEvent { headsRequired: number; totalFlips: number }
export interface DeadLetterRow {
  source: string; id: string; type: string; dest: string; code: number | null;
  errorData: string | null; time: string | null; data: unknown;
}

/** One write besides the key, in order (a ball before its hops). */
export type Write =
  | { table: 'ball'; row: BallRow }
  | { table: 'hop'; row: HopRow }
  | { table: 'scale_change'; row: ScaleChangeRow }
  | { table: 'pod_event'; row: PodEventRow }
  | { table: 'pod_snapshot'; row: PodSnapshotRow }
  | { table: 'pong'; row: PongRow }
  | { table: 'coin_flip'; row: CoinFlipRow };

/**
 * Everything one event stores. The key row goes first: if it was already stored, the event is a
 * redelivery and nothing else is written (exactly-once history over at-least-once delivery).
 * A ball event is also a step of the ball's flight: it is written only if the flight rule
 * (flight.ts) says it starts, extends or closes the recorded flight, and then its ball write
 * moves the ball's recorded tip on.
 */
export interface Plan {
  key: { table: 'event'; row: EventRow } | { table: 'dead_letter'; row: DeadLetterRow };
  writes: Write[];
  notice: HistoryNotice;
  flight?: Step;
}

type Mapped = { writes: Write[]; table: string; ballId?: string; flight?: Step };
type Mapper<K extends HistoryType> = (m: EventMeta, data: DataOf<K>) => Mapped;

const from = (m: EventMeta): FromEvent => ({ eventSource: m.source, eventId: m.id, at: m.time ?? null });

function ballRow(b: BallInFlight, at: string | null, end?: { status: 'landed' | 'dropped'; reason?: string }): BallRow {
  return {
    id: b.ball.id, target: b.ball.target, maxHops: b.ball.maxHops, servedAt: b.ball.servedAt,
    status: end?.status ?? 'served', hops: b.hop, path: b.path,
    // The worker that lands a ball adds itself to the path last; the target, if the path is empty.
    landedBy: end?.status === 'landed' ? b.path.at(-1) ?? b.ball.target : null,
    reason: end?.status === 'dropped' ? end.reason ?? null : null,
    at,
  };
}

/** A dropped ball's flight without its reason. */
const flightOf = ({ ball, path, hop }: BallInFlight): BallInFlight => ({ ball, path, hop });

const thrown: Mapper<typeof BALL_THROWN> = (m, b) => ({
  table: 'hop',
  ballId: b.ball.id,
  flight: { kind: 'thrown', flight: b },
  writes: [
    { table: 'ball', row: ballRow(b, m.time ?? null) },
    // Hop 0 comes from the ball factory; every later hop from the worker last on the path.
    { table: 'hop', row: { ...from(m), ballId: b.ball.id, hop: b.hop, fromPod: b.path.at(-1) ?? null, target: b.ball.target, path: b.path } },
  ],
});

const landed: Mapper<typeof BALL_LANDED> = (m, b) => ({
  table: 'ball', ballId: b.ball.id, flight: { kind: 'landed', flight: b },
  writes: [{ table: 'ball', row: ballRow(b, m.time ?? null, { status: 'landed' }) }],
});

const dropped: Mapper<typeof BALL_DROPPED> = (m, b) => ({
  table: 'ball', ballId: b.ball.id, flight: { kind: 'dropped', flight: flightOf(b), reason: b.reason },
  writes: [{ table: 'ball', row: ballRow(b, m.time ?? null, { status: 'dropped', reason: b.reason }) }],
});

const scaled: Mapper<typeof WORKERS_SCALED> = (m, d) => ({
  table: 'scale_change',
  writes: [{ table: 'scale_change', row: { ...from(m), service: d.service, fromScale: d.from, toScale: d.to, revision: d.revision, reason: d.reason } }],
});

const listed: Mapper<typeof PODS_LISTED> = (m, d) => ({
  table: 'pod_snapshot',
  writes: [{ table: 'pod_snapshot', row: { ...from(m), service: d.service, cause: d.cause, pods: d.pods } }],
});

const ponged: Mapper<typeof PEER_PONGED> = (m, d) => ({
  table: 'pong',
  writes: [{ table: 'pong', row: { ...from(m), fromPod: d.from, toPod: d.to, address: d.address, ms: d.ms, ok: d.ok } }],
});

const flipped: Mapper<typeof COIN_FLIPPED> = (m, d) => ({
  table: 'coin_flip',
  writes: [{ table: 'coin_flip', row: { ...from(m), headsRequired: d.heads_required, totalFlips: d.total_flips } }],
});

/** The parts of a v1 Pod the history keeps; anything else in the object is ignored. */
const Pod = z.object({
  kind: z.literal('Pod'),
  metadata: z.object({
    name: z.string(),
    namespace: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
  }),
  spec: z.object({
    containers: z.array(z.object({
      name: z.string().optional(),
      ports: z.array(z.object({ containerPort: z.number() })).optional(),
    })).optional(),
  }).optional(),
  status: z.object({ podIP: z.string().optional(), phase: z.string().optional() }).optional(),
});

const POD_KIND = { [APISERVER_ADD]: 'born', [APISERVER_UPDATE]: 'updated', [APISERVER_DELETE]: 'died' } as const;

/** ApiServerSource events: a Pod becomes a pod_event; other kinds are kept as events only. */
const podChange = (type: keyof typeof POD_KIND): Mapper<typeof type> => (m, obj) => {
  const pod = Pod.safeParse(obj);
  if (!pod.success) return { table: 'event', writes: [] };
  const { metadata, spec, status } = pod.data;
  const port = servingPort({ spec }) ?? null;
  return {
    table: 'pod_event',
    writes: [{
      table: 'pod_event',
      row: {
        ...from(m), kind: POD_KIND[type], name: metadata.name, namespace: metadata.namespace ?? null,
        ip: status?.podIP || null, port, phase: status?.phase ?? null,
        revision: metadata.labels?.[REVISION_LABEL] ?? null,
      },
    }],
  };
};

const mappers: { [K in HistoryType]: Mapper<K> } = {
  [BALL_THROWN]: thrown,
  [BALL_LANDED]: landed,
  [BALL_DROPPED]: dropped,
  [WORKERS_SCALED]: scaled,
  [PODS_LISTED]: listed,
  [PEER_PONGED]: ponged,
  [COIN_FLIPPED]: flipped,
  [APISERVER_ADD]: podChange(APISERVER_ADD),
  [APISERVER_UPDATE]: podChange(APISERVER_UPDATE),
  [APISERVER_DELETE]: podChange(APISERVER_DELETE),
};

/** The writes for one history event whose data has been validated against its schema. */
export function planEvent<K extends HistoryType>(type: K, m: EventMeta, data: DataOf<K>): Plan {
  const mapped = (mappers[type] as Mapper<K>)(m, data);
  const notice: HistoryNotice = { table: mapped.table, type, source: m.source, id: m.id };
  if (mapped.ballId !== undefined) notice.ballId = mapped.ballId;
  const plan: Plan = {
    key: { table: 'event', row: { source: m.source, id: m.id, type, time: m.time ?? null, data } },
    writes: mapped.writes,
    notice,
  };
  if (mapped.flight) plan.flight = mapped.flight;
  return plan;
}

/** Knative's dead-letter extensions (REFERENCE 2.3): any one of them marks a dead letter. */
export const DEAD_LETTER_EXTENSIONS = [ERROR_DEST, ERROR_CODE, ERROR_DATA] as const;

/** A CloudEvent as the SDK gives it: attributes and extensions as properties. */
export type EventAttributes = EventMeta & { type: string; data?: unknown; [extension: string]: unknown };

export const isDeadLetter = (e: EventAttributes): boolean =>
  DEAD_LETTER_EXTENSIONS.some((x) => e[x] !== undefined && e[x] !== null && e[x] !== '');

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** knativeerrordata is the failed response body, base64-encoded; kept as is if it is not base64. */
export function decodeErrorData(v: unknown): string | null {
  if (v === undefined || v === null || v === '') return null;
  const s = String(v).trim();
  if (s.length % 4 !== 0 || !BASE64.test(s)) return s;
  return Buffer.from(s, 'base64').toString('utf8');
}

function errorCode(v: unknown): number | null {
  const n = typeof v === 'number' ? v : Number.parseInt(String(v ?? ''), 10);
  return Number.isInteger(n) ? n : null;
}

/**
 * A dead letter is the original event, of any type and with data never validated (it may be
 * why delivery failed), plus the knativeerror* extensions. It is keyed on (source, id, dest):
 * the same event may also be in `event`, or fail at several destinations.
 */
export function planDeadLetter(e: EventAttributes): Plan {
  const ballid = typeof e.ballid === 'string' && e.ballid !== '' ? e.ballid : undefined;
  const row: DeadLetterRow = {
    source: e.source, id: e.id, type: e.type,
    dest: e[ERROR_DEST] === undefined || e[ERROR_DEST] === null ? '' : String(e[ERROR_DEST]),
    code: errorCode(e[ERROR_CODE]),
    errorData: decodeErrorData(e[ERROR_DATA]),
    time: e.time ?? null,
    // Binary data (not JSON) is kept as its base64 text.
    data: e.data instanceof Uint8Array ? Buffer.from(e.data).toString('base64') : e.data ?? null,
  };
  const notice: HistoryNotice = { table: 'dead_letter', type: e.type, source: e.source, id: e.id };
  if (ballid !== undefined) notice.ballId = ballid;
  return { key: { table: 'dead_letter', row }, writes: [], notice };
}
