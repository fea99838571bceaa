import os from 'node:os';
import { http } from '@google-cloud/functions-framework';
import { functionApp } from '../../lib/cloudevents/adapter.js';
import { BALL_THROWN, ballDropped, ballLanded, ballThrown } from '../../lib/contract/index.js';
import { DEFAULT_BODY_LIMIT, intFrom, podName, stringFrom } from '../../lib/config.js';
import { createLogger } from '../../lib/log.js';
import { bounce } from './bounce.js';

const self = podName(process.env, os.hostname);
/** Where a ball thrown on goes: back to the Broker, whose Trigger hands it to this Service. */
const service = stringFrom(process.env, 'K_SERVICE', 'forward');
const log = createLogger('forward');

http('forward', functionApp({
  name: 'forward',
  log,
  bodyLimit: intFrom(process.env, 'BODY_LIMIT', DEFAULT_BODY_LIMIT, { min: 1 }),
  routes: { 'GET /ping': () => ({ status: 200, text: 'pong\n' }) },
  events: {
    [BALL_THROWN]: (_event, ball, { note }) => {
      const out = bounce(ball, self);
      note({ ballId: ball.ball.id, hop: out.ball.hop, outcome: out.kind, target: ball.ball.target,
        ...(out.kind === 'thrown' ? { to: service } : {}), ...(out.kind === 'dropped' ? { reason: out.ball.reason } : {}) });
      if (out.kind === 'landed') return ballLanded(out.ball);
      if (out.kind === 'dropped') return ballDropped(out.ball);
      return ballThrown('forward', out.ball);
    },
  },
}));
