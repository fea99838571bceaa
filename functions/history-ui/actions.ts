/**
 * The page's actions, pure: what each accepts (a 400 naming the field for anything the page
 * would not send), and the exact curl or kubectl command that does the same, which the page shows
 * so a user learns the CloudEvent and the resource by example.
 */
import { BALL_REQUESTED, COIN_FLIP_REQUESTED, parseData, type DataOf } from '../../lib/contract/index.js';

export type Checked<T> = { ok: true; value: T } | { ok: false; errors: Array<{ field: string; message: string }> };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The data of a request the page sends to the Broker, as the contract says it. */
function requestBody<T extends typeof BALL_REQUESTED | typeof COIN_FLIP_REQUESTED>(type: T, body: unknown, example: string): Checked<DataOf<T>> {
  if (!isObject(body)) return { ok: false, errors: [{ field: 'body', message: `must be a JSON object, e.g. ${example}` }] };
  const parsed = parseData(type, body, 'body');
  return parsed.ok ? { ok: true, value: parsed.value } : { ok: false, errors: parsed.errors };
}
/** `POST /api/actions/serve`: the ball.requested data. */
export const serveBody = (body: unknown) => requestBody(BALL_REQUESTED, body, '{"count":1}');
/** `POST /api/actions/flip`: the coin.flip.requested data. */
export const flipBody = (body: unknown) => requestBody(COIN_FLIP_REQUESTED, body, '{"heads":10}');

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The curl that sends the same event to the Broker. */
export const eventCommand = (brokerUrl: string, type: string, source: string, id: string, data: unknown): string =>
  [`curl -i ${brokerUrl} -H 'ce-specversion: 1.0' -H 'ce-type: ${type}'`,
    `  -H ${q(`ce-source: ${source}`)} -H ${q(`ce-id: ${id}`)}`,
    `  -H 'content-type: application/json' -d ${q(JSON.stringify(data))}`].join(' \\\n');

export interface WorkersChange { mode: 'Random' | 'Fixed'; min?: number; max?: number; replicas?: number }

/** `POST /api/actions/table`: a change of the table's workers, as the page's form sends it. */
export function tableBody(body: unknown): Checked<WorkersChange> {
  if (!isObject(body)) return { ok: false, errors: [{ field: 'body', message: 'must be a JSON object, e.g. {"mode":"Fixed","replicas":4}' }] };
  const errors: Array<{ field: string; message: string }> = [];
  for (const k of Object.keys(body)) if (!['mode', 'min', 'max', 'replicas'].includes(k)) errors.push({ field: `body.${k}`, message: 'unknown field (known: mode, min, max, replicas)' });
  if (body.mode !== 'Random' && body.mode !== 'Fixed') errors.push({ field: 'body.mode', message: 'must be Random or Fixed' });
  for (const k of ['min', 'max', 'replicas'] as const) {
    const v = body[k];
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 20)) errors.push({ field: `body.${k}`, message: 'must be a whole number from 1 to 20' });
  }
  if (body.mode === 'Fixed' && body.replicas === undefined) errors.push({ field: 'body.replicas', message: 'is needed in Fixed mode' });
  if (errors.length) return { ok: false, errors };
  return { ok: true, value: body as unknown as WorkersChange };
}

/** The merge patch of the table, and the kubectl patch that does the same. */
export const tablePatch = (change: WorkersChange) => ({ spec: { workers: change } });
export const tableCommand = (namespace: string, name: string, change: WorkersChange): string =>
  `kubectl patch ppt ${name} -n ${namespace} --type=merge -p ${q(JSON.stringify(tablePatch(change)))}`;
