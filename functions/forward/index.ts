import os from 'node:os';
import { http } from '@google-cloud/functions-framework';
import { functionApp } from '../../lib/cloudevents/adapter.js';
import { failedTransiently as failed } from '../../lib/cloudevents/errors.js';
import { BALL_THROWN, ballDropped, ballLanded, ballThrown } from '../../lib/contract/index.js';
import { DEFAULT_BODY_LIMIT, intFrom, podName, stringFrom } from '../../lib/config.js';
import { createLogger } from '../../lib/log.js';
import { currentNamespace, loadKubeConfig } from '../../lib/kube/client.js';
import { watchTable } from '../../lib/kube/table-watch.js';
import { kubeWorkerPods } from '../../lib/kube/worker-pods.js';
import { bounce } from './bounce.js';
import { KUBE_ACCESS } from './kube-access.js';
import { livePeers } from '../../lib/kube/pods.js';
import { othersOf, peersPage, targetPresent, wantsHtml } from './peers.js';
import { startPeering } from './peering.js';

const env = process.env;
const self = podName(env, os.hostname);
/** Where a ball thrown on goes: back to the Broker, whose Trigger hands it to this Service. */
const service = stringFrom(env, 'K_SERVICE', 'forward');
const log = createLogger('forward');
const kc = loadKubeConfig();
const namespace = stringFrom(env, 'WORKERS_NAMESPACE', currentNamespace(kc, 'pingpong'));
const workers = kubeWorkerPods(kc, namespace, service, log, KUBE_ACCESS);
workers.start();
const table = watchTable(kc, namespace, stringFrom(env, 'TABLE_NAME', 'default'), KUBE_ACCESS,
  (e) => log.debug({ err: (e as Error)?.message }, 'the table watch ended; following it again'));
startPeering({
  self, log, sink: env.K_SINK,
  others: () => othersOf(livePeers(workers.cached() ?? []), self),
  intervalSeconds: () => table.current()?.spec?.peering?.intervalSeconds as number | undefined,
});

http('forward', functionApp({
  name: 'forward',
  log,
  bodyLimit: intFrom(env, 'BODY_LIMIT', DEFAULT_BODY_LIMIT, { min: 1 }),
  routes: {
    'GET /ping': () => ({ status: 200, text: 'pong\n' }),
    // The pod lister's page, from any replica: the live workers as this pod's cache sees them.
    'GET /peers': async (req) => {
      const listed = await workers.list().catch(failed(`listing the ${service} pods`));
      const peers = livePeers(listed.pods);
      return wantsHtml(req.headers.accept) ? { status: 200, type: 'text/html', text: peersPage(peers, self, new Date()) } : { status: 200, json: peers };
    },
  },
  events: {
    [BALL_THROWN]: (_event, ball, { note }) => {
      const pods = workers.cached();
      const out = bounce(ball, self, pods ? targetPresent(pods, ball.ball.target) : undefined);
      note({ ballId: ball.ball.id, hop: out.ball.hop, outcome: out.kind, target: ball.ball.target,
        ...(out.kind === 'thrown' ? { to: service } : {}), ...(out.kind === 'dropped' ? { reason: out.ball.reason } : {}) });
      if (out.kind === 'landed') return ballLanded(out.ball);
      if (out.kind === 'dropped') return ballDropped(out.ball);
      return ballThrown('forward', out.ball);
    },
  },
}));
