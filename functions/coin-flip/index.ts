import { http } from '@google-cloud/functions-framework';
import { functionApp } from '../../lib/cloudevents/adapter.js';
import { COIN_FLIP_REQUESTED, coinFlipped } from '../../lib/contract/index.js';
import { DEFAULT_BODY_LIMIT } from '../../lib/config.js';
import { createLogger } from '../../lib/log.js';
import { computeFlips } from './compute.js';
import { parseComputeRequest } from './request.js';
import { seededRandom } from './random.js';

const log = createLogger('coin-flip');

http('coin-flip', functionApp({
  name: 'coin-flip',
  log,
  bodyLimit: DEFAULT_BODY_LIMIT,
  // The framework's JSON parser rejects a broken body before the route runs.
  unparsableField: { 'POST /compute': 'heads' },
  routes: {
    'POST /compute': (req, { note }) => {
      const flipped = computeFlips(parseComputeRequest(req), Math.random);
      note({ heads: flipped.heads_required, flips: flipped.total_flips });
      return { status: 200, json: flipped };
    },
  },
  events: {
    // Seeded by the event's identity, so a redelivered request gets the very same reply (id and
    // data), and a duplicate in history never disagrees with the original.
    [COIN_FLIP_REQUESTED]: (event, data, { note }) => {
      const flipped = computeFlips(data.heads, seededRandom(`${event.source}\u0000${event.id}`));
      note({ heads: flipped.heads_required, flips: flipped.total_flips });
      return coinFlipped(event, flipped);
    },
  },
}));
