import { http } from '@google-cloud/functions-framework';
import { functionApp, type Route } from '../../lib/cloudevents/adapter.js';
import { BadRequest, Transient } from '../../lib/cloudevents/errors.js';
import { sendJson } from '../../lib/http/server-guard.js';
import { DEFAULT_BODY_LIMIT, intFrom, stringFrom } from '../../lib/config.js';
import { createPool } from '../../lib/db/pool.js';
import { historyReader } from '../../lib/db/history-read.js';
import { createLogger } from '../../lib/log.js';
import { currentNamespace, loadKubeConfig } from '../../lib/kube/client.js';
import { livePeers } from '../../lib/kube/pods.js';
import { kubeWorkerPods } from '../../lib/kube/worker-pods.js';
import { KUBE_ACCESS } from './kube-access.js';
import { ballsQuery, resumeFrom } from './params.js';
import { staticFiles } from './static.js';
import { historyStream } from './stream.js';

const env = process.env;
const log = createLogger('history-ui');
const databaseUrl = env.DATABASE_URL;
if (!databaseUrl) throw new Error('DATABASE_URL is not set: history-ui reads the history (the read-only user)');
const pool = createPool(databaseUrl, { max: intFrom(env, 'DB_POOL_MAX', 5, { min: 1, max: 50 }) });
const reader = historyReader(pool);
const stream = historyStream(pool, databaseUrl, log);
const kc = loadKubeConfig();
const namespace = stringFrom(env, 'WORKERS_NAMESPACE', currentNamespace(kc, 'pingpong'));
const workers = kubeWorkerPods(kc, namespace, stringFrom(env, 'WORKERS_SERVICE', 'forward'), log, KUBE_ACCESS);
workers.start();

const refuse = (field: string, message: string) => { throw new BadRequest([{ field, message }]); };
const failed = (what: string) => (e: unknown): never => { throw new Transient(`${what} failed: ${(e as Error).message}`, { cause: e }); };

const files: Record<string, Route> = Object.fromEntries(Object.entries(staticFiles(['index.html', 'app.js', 'style.css']))
  .map(([key, f]) => [key, () => ({ status: 200, type: f.type, text: f.text })]));

http('history-ui', functionApp({
  name: 'history-ui',
  log,
  bodyLimit: intFrom(env, 'BODY_LIMIT', DEFAULT_BODY_LIMIT, { min: 1 }),
  // It takes no CloudEvents: the page is HTTP, and the history comes from PostgreSQL.
  events: {},
  routes: {
    ...files,
    'GET /api/players': async () => ({ status: 200, json: livePeers((await workers.list().catch(failed('listing the workers'))).pods) }),
    'GET /api/balls': async (req) => {
      const q = ballsQuery(req.query);
      if (!q.ok) return refuse(q.field, q.message);
      return { status: 200, json: await reader.balls({ last: q.value.limit, ...(q.value.status ? { status: q.value.status } : {}) }).catch(failed('reading the balls')) };
    },
  },
  streams: {
    'GET /api/stream': (req, res) => {
      const from = resumeFrom(req.header('last-event-id'), req.query as Record<string, unknown>);
      if (!from.ok) return sendJson(res, 400, { error: `${from.field}: ${from.message}`, errors: [{ field: from.field, message: from.message }] });
      void stream.open(res, from.value).catch((e: unknown) => {
        log.warn({ err: (e as Error).message }, 'a stream could not start');
        if (!res.headersSent) sendJson(res, 503, { error: `the history is not reachable: ${(e as Error).message}` });
        else res.end();
      });
    },
  },
}));
