import { randomUUID } from 'node:crypto';
import { http } from '@google-cloud/functions-framework';
import { ApiException, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { CloudEvent } from 'cloudevents';
import { functionApp, type Route } from '../../lib/cloudevents/adapter.js';
import { BadRequest, failedTransiently as failed, Transient } from '../../lib/cloudevents/errors.js';
import { sendEvent } from '../../lib/cloudevents/send.js';
import { BALL_REQUESTED, COIN_FLIP_REQUESTED, sourceOf } from '../../lib/contract/index.js';
import { DEFAULT_BODY_LIMIT, intFrom, stringFrom } from '../../lib/config.js';
import { createPool } from '../../lib/db/pool.js';
import { sendJson } from '../../lib/http/server-guard.js';
import { assertDeclared, currentNamespace, loadKubeConfig } from '../../lib/kube/client.js';
import { livePeers } from '../../lib/kube/pods.js';
import { TABLE_GROUP, TABLE_PLURAL, TABLE_VERSION } from '../../lib/kube/table-watch.js';
import { createLogger } from '../../lib/log.js';
import { eventCommand, flipBody, serveBody, tableBody, tableCommand, tablePatch } from './actions.js';
import { historyRoutes } from './history-routes.js';
import { KUBE_ACCESS } from './kube-access.js';
import { resumeFrom } from './params.js';
import { staticFiles } from './static.js';
import { historyStream } from './stream.js';
import { systemCache } from './system-cache.js';

const env = process.env;
const log = createLogger('history-ui');
const databaseUrl = env.DATABASE_URL;
if (!databaseUrl) throw new Error('DATABASE_URL is not set: history-ui reads the history (the read-only user)');
const pool = createPool(databaseUrl, { max: intFrom(env, 'DB_POOL_MAX', 5, { min: 1, max: 50 }) });
const stream = historyStream(pool, databaseUrl, log);
const kc = loadKubeConfig();
const namespace = stringFrom(env, 'WORKERS_NAMESPACE', currentNamespace(kc, 'pingpong'));
const WORKERS = stringFrom(env, 'WORKERS_SERVICE', 'forward');
// The Broker the page's commands name: its own sink (the local Broker's port, or the in-cluster
// ingress a user port-forwards to), unless told otherwise.
const brokerForHumans = stringFrom(env, 'BROKER_URL_FOR_HUMANS', env.K_SINK ?? 'http://localhost:8081/pingpong/default');
const TABLE = stringFrom(env, 'TABLE_NAME', 'default');
const cluster = systemCache(kc, namespace, TABLE, log, KUBE_ACCESS);
cluster.start();
/** The picture, with the Broker's address as a user reaches it from where the page runs. */
const systemNow = async () => ({ ...await cluster.view(new Date()), brokerUrl: brokerForHumans });
// Every open page redraws the system when it changes; a rollout's burst of changes is one redraw.
let redraw: NodeJS.Timeout | undefined;
cluster.onChange(() => {
  redraw ??= setTimeout(() => {
    redraw = undefined;
    if (stream.size()) void systemNow().then((s) => stream.broadcast('system', s), (e: unknown) => log.debug({ err: (e as Error).message }, 'the system could not be read'));
  }, 250);
});

const tables = kc.makeApiClient(CustomObjectsApi);
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
/** Where a served ball goes (K_SINK, from a SinkBinding) and how a user would reach it from here. */
const sink = env.K_SINK;

/** Sends one request to the Broker as history-ui, and says how a user would send the same. */
async function request(type: string, data: unknown, note: (f: Record<string, unknown>) => void) {
  if (!sink) throw new Transient('K_SINK is not set: a SinkBinding must give history-ui the Broker to send requests through');
  const event = new CloudEvent({ type, source: sourceOf('history-ui'), id: randomUUID(), datacontenttype: 'application/json', data });
  await sendEvent(sink, event);
  note({ action: type, id: event.id });
  return { source: event.source, id: event.id, command: eventCommand(brokerForHumans, type, event.source, event.id, data) };
}

const refuse = (field: string, message: string): never => { throw new BadRequest([{ field, message }]); };
const json = (body: string): unknown => {
  try { return JSON.parse(body); } catch { return refuse('body', 'request body is not valid JSON'); }
};

const files: Record<string, Route> = Object.fromEntries(Object.entries(staticFiles())
  .map(([key, f]) => [key, () => ({ status: 200, type: f.type, text: f.text })]));

http('history-ui', functionApp({
  name: 'history-ui',
  log,
  bodyLimit: intFrom(env, 'BODY_LIMIT', DEFAULT_BODY_LIMIT, { min: 1 }),
  // It takes no CloudEvents: the page is HTTP, and the history comes from PostgreSQL.
  events: {},
  routes: {
    ...files,
    'GET /api/players': async () => ({ status: 200, json: livePeers(await cluster.podsOf(WORKERS).catch(failed('listing the workers'))) }),
    // Serve a ball now, or flip coins: the same request a user would send with the curl it answers with.
    'POST /api/actions/serve': async (req, { note }) => {
      const checked = serveBody(json(req.body));
      if (!checked.ok) throw new BadRequest(checked.errors);
      return { status: 202, json: await request(BALL_REQUESTED, checked.value, note) };
    },
    'POST /api/actions/flip': async (req, { note }) => {
      const checked = flipBody(json(req.body));
      if (!checked.ok) throw new BadRequest(checked.errors);
      return { status: 202, json: await request(COIN_FLIP_REQUESTED, checked.value, note) };
    },
    // Change the table's workers: the merge patch a user would send with the kubectl it answers with.
    'POST /api/actions/table': async (req, { note }) => {
      const checked = tableBody(json(req.body));
      if (!checked.ok) throw new BadRequest(checked.errors);
      assertDeclared(KUBE_ACCESS, TABLE_GROUP, TABLE_PLURAL, 'patch');
      try {
        await tables.patchNamespacedCustomObject({ group: TABLE_GROUP, version: TABLE_VERSION, namespace, plural: TABLE_PLURAL, name: TABLE, body: tablePatch(checked.value) }, mergePatch);
      } catch (e) {
        // The API's refusal (schema, CEL, the policy) is the user's to read, as kubectl would print it.
        if (e instanceof ApiException && (e.code === 422 || e.code === 400)) {
          const message = (() => { try { return (JSON.parse(String(e.body)) as { message?: string }).message; } catch { return undefined; } })();
          throw new BadRequest([{ field: 'body', message: message ?? `the table refused the change (${e.code})` }]);
        }
        return failed(`patching pingpongtable ${TABLE}`)(e);
      }
      note({ action: 'table', ...checked.value });
      return { status: 200, json: { command: tableCommand(namespace, TABLE, checked.value) } };
    },
    // The system picture: what the Broker routes where, and what runs (or sits at zero).
    'GET /api/system': async () => ({ status: 200, json: await systemNow().catch(failed('reading the system')) }),
    ...historyRoutes(pool),
  },
  unparsableField: { 'POST /api/actions/serve': 'body', 'POST /api/actions/flip': 'body', 'POST /api/actions/table': 'body' },
  streams: {
    'GET /api/stream': (req, res) => {
      const from = resumeFrom(req.header('last-event-id'), req.query as Record<string, unknown>);
      if (!from.ok) return sendJson(res, 400, { error: `${from.field}: ${from.message}`, errors: [{ field: from.field, message: from.message }] });
      // The stream opens with the system as it is; the page then hears each change of it.
      void systemNow().catch(() => undefined).then((system) => stream.open(res, from.value, system && { event: 'system', data: system })).catch((e: unknown) => {
        log.warn({ err: (e as Error).message }, 'a stream could not start');
        if (!res.headersSent) sendJson(res, 503, { error: `the history is not reachable: ${(e as Error).message}` });
        else res.end();
      });
    },
  },
}));
