import os from 'node:os';
import { http } from '@google-cloud/functions-framework';
import { functionApp } from '../../lib/cloudevents/adapter.js';
import { BALL_THROWN, ballDropped, ballLanded, ballThrown } from '../../lib/contract/index.js';
import { DEFAULT_BODY_LIMIT, intFrom, podName } from '../../lib/config.js';
import { createLogger } from '../../lib/log.js';
import { bounce } from './bounce.js';

const self = podName(process.env, os.hostname);
const log = createLogger('forward');

http('forward', functionApp({
  name: 'forward',
  log,
  bodyLimit: intFrom(process.env, 'BODY_LIMIT', DEFAULT_BODY_LIMIT, { min: 1 }),
  routes: { 'GET /ping': () => ({ status: 200, text: 'pong\n' }) },
  events: {
    [BALL_THROWN]: (_event, ball) => {
      const out = bounce(ball, self);
      if (out.kind === 'landed') return ballLanded(out.ball);
      if (out.kind === 'dropped') return ballDropped(out.ball);
      return ballThrown('forward', out.ball);
    },
  },
}));
