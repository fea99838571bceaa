/**
 * The history's read endpoints, one per panel: balls, one ball's flight, and the panels paged by
 * feed position (scale changes, pod births and deaths, snapshots, peer pongs, coin flips, dead
 * letters). Every one is a SELECT as the reader user; a bad parameter is a 400 naming it.
 */
import type pg from 'pg';
import type { Route } from '../../lib/cloudevents/adapter.js';
import { BadRequest, failedTransiently as failed } from '../../lib/cloudevents/errors.js';
import { panelReader, type PanelReader } from '../../lib/db/history-panels.js';
import { historyReader } from '../../lib/db/history-read.js';
import { ballQuery, ballsQuery, panelQuery, PANELS, type Parsed } from './params.js';

const checked = <T>(p: Parsed<T>): T => {
  if (!p.ok) throw new BadRequest([{ field: p.field, message: p.message }]);
  return p.value;
};

type Panel = keyof typeof PANELS;
/** Each panel's read; its parameters are the ones PANELS checks (same names as the reader's filters). */
const READ: Record<Panel, (r: PanelReader) => (q: never) => Promise<unknown[]>> = {
  'scale-changes': (r) => r.scaleChanges,
  'pod-events': (r) => r.podEvents,
  'pod-snapshots': (r) => r.podSnapshots,
  pongs: (r) => r.pongs,
  'coin-flips': (r) => r.coinFlips,
  'dead-letters': (r) => r.deadLetters,
};

export function historyRoutes(pool: pg.Pool): Record<string, Route> {
  const reader = historyReader(pool);
  const panels = panelReader(pool);
  const routes: Record<string, Route> = {
    // One ball's flight, hop by hop: the page's timeline and replay.
    'GET /api/ball': async (req) => {
      const id = checked(ballQuery(req.query));
      const found = await reader.ball(id).catch(failed('reading the ball'));
      return found ? { status: 200, json: found } : { status: 404, json: { error: `id: the history holds no ball "${id}"`, errors: [{ field: 'id', message: 'no such ball' }] } };
    },
    'GET /api/balls': async (req) => {
      const { limit, ...filters } = checked(ballsQuery(req.query));
      return { status: 200, json: await reader.balls({ last: limit, newestFirst: true, ...filters }).catch(failed('reading the balls')) };
    },
  };
  for (const panel of Object.keys(PANELS) as Panel[]) {
    routes[`GET /api/${panel}`] = async (req) => {
      const q = checked(panelQuery(panel, req.query));
      const read = READ[panel](panels) as (q: unknown) => Promise<unknown[]>;
      return { status: 200, json: await read(q).catch(failed(`reading ${panel}`)) };
    };
  }
  return routes;
}
