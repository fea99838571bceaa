import test from 'ava';
import { startFunction, type RunningFunction } from '../helpers/function-process.js';
import { request } from '../helpers/http.js';
import { eventCases } from '../helpers/cloudevent-cases.js';
import { COIN_FLIPPED } from '../../lib/contract/index.js';

// The same table as the Broker's ingress, at a real functions-framework process: every function
// receives through lib/cloudevents, so coin-flip stands for them all.
let fn: RunningFunction;
test.before(async () => {
  fn = await startFunction('coin-flip');
});
test.after.always(async () => {
  await fn?.stop();
});

for (const c of eventCases()) {
  const expected = c.refuses ? `400 naming ${c.refuses}` : '200 with a reply';
  test(`coin-flip, ${c.name} → ${expected}`, async (t) => {
    const res = await request(fn.url, { method: 'POST', headers: c.headers, body: c.body });
    if (!c.refuses) {
      t.is(res.status, 200, res.body);
      t.is(res.headers['ce-type'], COIN_FLIPPED);
      return;
    }
    t.is(res.status, 400, res.body);
    const json = JSON.parse(res.body) as { error: string; errors: { field: string }[] };
    t.true(json.errors.some((e) => e.field === c.refuses), `names ${c.refuses}: ${json.error}`);
  });
}

test('the function is still serving after every refusal', async (t) => {
  const res = await request(`${fn.url}/healthz`);
  t.is(res.status, 200);
});
