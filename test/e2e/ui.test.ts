/**
 * The history UI in a real Chromium (Debian's /usr/bin/chromium through playwright-core), through
 * `npm start` and its gateway: the players are the live workers, a ball requested at the Broker
 * travels the table and shows up hop by hop along the path the database recorded, a deleted worker leaves the table and
 * its replacement joins, and the page logs no error. A screenshot is kept as a test artifact.
 */
import test, { type ExecutionContext } from 'ava';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from '../../lib/process/function-command.js';
import { requestBallPrefix } from '../../lib/db/history-read.js';
import { historyReaderOf, type Instance, kubectlOn, npmStart, stopInstance } from '../helpers/pingpong-up.js';
import { waitFor } from '../helpers/wait.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
let pp: Instance;
let db: pg.Client;
let browser: Browser;
let page: Page;
const errors: string[] = [];

test.before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium); .ci/run does`);
  pp = await npmStart(['-f', path.join(ROOT, 'test/fixtures/manifests/serve-balls-quiet.yaml')]);
  db = await historyReaderOf(pp);
  // Root in CI: Chromium's sandbox needs user namespaces a container may not give.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
});
test.after.always(async () => {
  await browser?.close();
  await stopInstance(pp, db);
});

const kubectl = (...args: string[]) => kubectlOn(pp)(...args); // pp is set in before()
const shownPlayers = () => page.locator('#players li:not(.died)').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.pod!).sort());
const workerNames = async () => (await kubectl('get', 'pods', '-l', 'serving.knative.dev/service=forward', '-o', 'jsonpath={.items[*].metadata.name}')).split(' ').filter(Boolean).sort();

/** Every feed row from `from` on reached the page, each once and in feed order. */
async function caughtUp(t: ExecutionContext, from: number) {
  const seenNow = () => page.evaluate(() => (window as unknown as { pingpongSeen: number[] }).pingpongSeen);
  await waitFor(async () => {
    const expected = (await db.query('SELECT seq FROM feed WHERE seq >= $1 ORDER BY seq', [from])).rows.map((r) => Number(r.seq));
    const seen = await seenNow();
    return expected.every((s) => seen.includes(s));
  }, 'the page to catch up', { timeoutMs: 30_000, intervalMs: 500 });
  const seen = await seenNow();
  t.is(new Set(seen).size, seen.length, 'no event twice');
  t.deepEqual(seen, [...seen].sort((a, b) => a - b), 'in feed order');
}

test.serial('the page at the gateway shows the live workers as players, and goes live', async (t) => {
  await page.goto(`http://localhost:${pp.gateway}/`);
  await page.locator('#connection', { hasText: 'live' }).waitFor({ timeout: 60_000 });
  await waitFor(async () => (await shownPlayers()).length >= 2, 'the players', { timeoutMs: 30_000 });
  t.deepEqual(await shownPlayers(), await workerNames());
  t.is(await page.title(), 'Knative Ping-Pong');
  // The system picture: the wiring, with what sits at zero marked so.
  await page.locator('#services li', { hasText: 'forward' }).waitFor({ timeout: 15_000 });
  const trigger = (await page.locator('#triggers [data-name=forward]').textContent())!;
  t.regex(trigger, /type = dev\.pingpong\.ball\.thrown/);
  t.regex(trigger, /→ Service\/forward/);
  t.regex((await page.locator('#pingsources [data-name=serve-balls]').textContent())!, /0 0 1 1 \*.*next tick/);
  t.regex((await page.locator('#broker').textContent())!, new RegExp(`http://(localhost|127\\.0\\.0\\.1):${pp.broker}/pingpong/default`));
  t.regex((await page.locator('#table-settings').textContent())!, /PingPongTable default: Random, 2 to 5 workers/);
  // A wire from each PingSource to the Broker, from the Broker to each Trigger, from each Trigger to its Service.
  const [sources, triggers, delivered] = await page.evaluate(() => {
    const services = new Set([...document.querySelectorAll('#services [data-name]')].map((e) => (e as HTMLElement).dataset.name));
    const ts = [...document.querySelectorAll('#triggers [data-name]')] as HTMLElement[];
    return [document.querySelectorAll('#pingsources [data-name]').length, ts.length, ts.filter((e) => services.has(e.dataset.subscriber)).length];
  });
  t.true(triggers >= 7);
  t.is(await page.locator('#wires path').count(), sources + triggers + delivered);
});

test.serial('a ball requested at the Broker shows up hop by hop, along the path the database recorded', async (t) => {
  const id = randomUUID();
  const res = await fetch(`http://localhost:${pp.broker}/pingpong/default`, {
    method: 'POST',
    headers: { 'ce-specversion': '1.0', 'ce-type': 'dev.pingpong.ball.requested', 'ce-source': '/e2e/ui', 'ce-id': id, 'content-type': 'application/json' },
    body: JSON.stringify({ count: 1, maxHops: 6 }),
  });
  t.is(res.status, 202);
  // Ball ids derive from the request's (source, id): its one ball is number 0.
  const ballId = `${requestBallPrefix('/e2e/ui', id)}0`;
  const ended = async () => (await db.query("SELECT id, status, hops, path FROM ball WHERE id = $1 AND status <> 'served'", [ballId])).rows[0];
  // The system picture lights each Trigger as an event it takes goes by: forward's, for each throw.
  await page.evaluate(() => {
    const lit: string[] = [];
    (window as unknown as { litTriggers: string[] }).litTriggers = lit;
    new MutationObserver((ms) => { for (const m of ms) { const el = m.target as HTMLElement; if (el.classList.contains('lit') && el.dataset.name) lit.push(el.dataset.name); } })
      .observe(document.getElementById('triggers')!, { subtree: true, attributes: true, attributeFilter: ['class'] });
  });
  // On the table, the ball's dot travels to each pod that caught it, and ends landed or dropped.
  const trail: string[] = [];
  const dot = page.locator(`#balls [data-ball="${ballId}"]`);
  const watchDot = (async () => {
    for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
      const state = await dot.evaluate((el) => ({ path: el.getAttribute('data-path') ?? '', cls: el.getAttribute('class') ?? '' })).catch(() => undefined);
      if (state) {
        trail.push(state.path);
        if (/landed|dropped/.test(state.cls)) return state;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return undefined;
  })();
  await waitFor(async () => (await ended()) !== undefined, 'the ball to end in the database', { timeoutMs: 30_000 });
  const ball = await ended();
  const final = await watchDot;
  t.truthy(final, 'the dot ended on the table');
  t.is(final!.path, ball.path.join(' '), 'the dot took the path the database recorded');
  t.regex(final!.cls, new RegExp(ball.status));
  for (const seen of trail) t.true(final!.path.startsWith(seen), `on its way it was at "${seen}", a step of its path`);
  const lines = () => page.locator('#events li').allTextContents();
  await waitFor(async () => (await lines()).some((l) => l.includes(`ball ${ball.id}`) && /ball\.(landed|dropped)/.test(l)), 'the page to show its ending', { timeoutMs: 15_000 });
  // The page lists newest first: read it back oldest first.
  const shown = (await lines()).filter((l) => l.includes(`ball ${ball.id}`)).reverse();
  const hops = shown.filter((l) => l.includes('ball.thrown')).map((l) => Number(/hop (\d+)/.exec(l)![1]));
  t.deepEqual(hops, Array.from({ length: hops.length }, (_, i) => i), 'every hop, in order');
  t.is(hops.length, ball.hops + 1, `a throw for each hop the database recorded (${ball.hops}, ${ball.status})`);
  t.is(ball.path.length, ball.hops + 1, 'and the recorded path has a pod per hop');
  t.regex(shown.at(-1)!, new RegExp(`ball\\.${ball.status}`));
  const lit = await page.evaluate(() => (window as unknown as { litTriggers: string[] }).litTriggers);
  t.true(lit.includes('forward') && lit.includes('record-hop-history'), `lit: ${[...new Set(lit)].join(', ')}`);
});

test.serial('a past ball replays: its timeline is the hops the database holds, and its dot flies the recorded path again', async (t) => {
  const ball = (await db.query("SELECT id, status, hops, path FROM ball WHERE status <> 'served' ORDER BY served_at DESC LIMIT 1")).rows[0];
  const button = page.getByRole('button', { name: `replay ball ${ball.id}` });
  await button.waitFor({ timeout: 15_000 });
  await button.click();
  const dot = page.locator(`#balls [data-ball="replay:${ball.id}"]`);
  await dot.waitFor({ state: 'attached', timeout: 10_000 });
  await waitFor(async () => /landed|dropped/.test((await dot.getAttribute('class').catch(() => '')) ?? ''), 'the replay to end', { timeoutMs: 15_000, intervalMs: 50 });
  t.is(await dot.getAttribute('data-path'), ball.path.join(' '));
  t.regex((await dot.getAttribute('class'))!, new RegExp(ball.status));
  const timeline = await page.locator('#timeline li').allTextContents();
  t.is(timeline.filter((l) => l.startsWith('hop ')).length, ball.hops + 1, timeline.join(' | '));
  t.regex(timeline.at(-1)!, new RegExp(`^${ball.status}`));
});

test.serial('a deleted worker leaves the table and its replacement joins', async (t) => {
  const before = await shownPlayers();
  const gone = before[0]!;
  await kubectl('delete', 'pod', gone);
  // Its player is seen leaving (struck through a moment) before it goes.
  await page.locator(`#players li.died[data-pod="${gone}"]`).waitFor({ state: 'attached', timeout: 60_000 });
  await waitFor(async () => {
    const shown = await shownPlayers();
    const live = await workerNames();
    return !shown.includes(gone) && shown.length === before.length && JSON.stringify(shown) === JSON.stringify(live);
  }, 'the page to drop the deleted worker and show its replacement', { timeoutMs: 60_000, intervalMs: 500 });
  const after = await shownPlayers();
  t.false(after.includes(gone));
  t.is(after.filter((p) => !before.includes(p)).length, 1, 'one newcomer');
  // The history panel of births and deaths shows its death, with the port it had, as the database has it.
  await page.locator('#history-controls select[name=panel]').selectOption('pod-events');
  await page.locator('#history-filters select[name=kind]').selectOption('died');
  await page.locator('#history-filters input[name=pod]').fill(gone);
  await page.locator('#history-filters input[name=pod]').press('Enter');
  const died = async () => (await db.query("SELECT port FROM pod_event WHERE name = $1 AND kind = 'died'", [gone])).rows[0];
  await waitFor(async () => (await died()) !== undefined, 'its death in the history', { timeoutMs: 30_000 });
  const port = (await died()).port;
  await waitFor(async () => (await page.locator('#history tr').allTextContents()).some((r) => r.includes(gone) && r.includes(`:${port}`)),
    'the panel to show the death', { timeoutMs: 15_000 });
  const rows = await page.locator('#history tr').allTextContents();
  t.true(rows.every((r) => r.includes(gone) && r.includes('died')), rows.join(' | '));
  await page.locator('#history-controls select[name=panel]').selectOption('balls');
});

test.serial('a ball served from the page shows the curl that does the same, and travels the table to its end', async (t) => {
  await page.locator('#serve input[name=count]').fill('25');
  await page.locator('#serve button').click();
  await page.locator('#command', { hasText: 'curl -i' }).waitFor({ timeout: 15_000 });
  const command = await page.locator('#command').textContent();
  t.regex(command!, /ce-type: dev\.pingpong\.ball\.requested/);
  const id = /ce-id: ([0-9a-f-]{36})/.exec(command!)![1]!;
  const ballId = `${requestBallPrefix('/pingpong/history-ui', id)}0`;
  await waitFor(async () => (await db.query("SELECT 1 FROM ball WHERE id = $1 AND status <> 'served'", [ballId])).rows.length === 1, 'the served ball to end', { timeoutMs: 30_000 });
  await waitFor(async () => (await page.locator('#events li').allTextContents()).some((l) => l.includes(`ball ${ballId}`) && /ball\.(landed|dropped)/.test(l)),
    'the page to show how it ended', { timeoutMs: 15_000 });
  t.pass();
});

test.serial('the balls panel pages: older and newer pages, no ball on two, as many as the history holds', async (t) => {
  // Once every ball has ended the history stands still, and the first page follows it.
  await waitFor(async () => Number((await db.query("SELECT count(*) FILTER (WHERE status = 'served') AS flying, count(*) AS all FROM ball")).rows
    .map((r) => (Number(r.flying) === 0 ? Number(r.all) : 0))[0]) > 20, 'more than a page of balls, all ended', { timeoutMs: 60_000 });
  const newest = (await db.query('SELECT id FROM ball ORDER BY served_at DESC, length(id) DESC, id COLLATE "C" DESC LIMIT 40')).rows.map((r) => r.id as string);
  const ids = () => page.locator('#history tr td:first-child').allTextContents();
  await page.locator('#history-controls select[name=limit]').selectOption('20');
  await waitFor(async () => JSON.stringify(await ids()) === JSON.stringify(newest.slice(0, 20)), 'the first page: the newest 20 balls', { timeoutMs: 15_000 });
  await page.locator('#older').click();
  await page.locator('#history-status', { hasText: 'page 2' }).waitFor({ timeout: 15_000 });
  t.deepEqual(await ids(), newest.slice(20, 40), 'page 2 goes on where page 1 ended, in serving order');
  await page.locator('#newer').click();
  await page.locator('#history-status', { hasText: 'page 1' }).waitFor({ timeout: 15_000 });
});

test.serial('coins flipped from the page: the curl it sent, and the flips in the coin-flip panel as recorded', async (t) => {
  await page.locator('#flip input[name=heads]').fill('7');
  await page.locator('#flip button').click();
  await page.locator('#command', { hasText: 'dev.pingpong.coin.flip.requested' }).waitFor({ timeout: 15_000 });
  const id = /ce-id: ([0-9a-f-]{36})/.exec((await page.locator('#command').textContent())!)![1]!;
  // Nothing else flips coins in this instance: the seven-heads row is the page's.
  const flipped = async () => (await db.query('SELECT total_flips FROM coin_flip WHERE heads_required = 7')).rows;
  await waitFor(async () => (await flipped()).length >= 1, 'the flip recorded', { timeoutMs: 30_000 });
  t.truthy(id);
  await page.locator('#history-controls select[name=panel]').selectOption('coin-flips');
  const flips = String((await flipped()).at(-1).total_flips);
  await waitFor(async () => (await page.locator('#history tr').allTextContents()).some((r) => r.includes(flips)), 'the panel to show it', { timeoutMs: 15_000 });
  await page.locator('#history-controls select[name=panel]').selectOption('balls');
});

test.serial('Fixed 4 from the page: the kubectl it ran is shown, and four players sit at the table', async (t) => {
  await page.locator('#workers select[name=mode]').selectOption('Fixed');
  await page.locator('#workers input[name=min]').fill('1');
  await page.locator('#workers input[name=max]').fill('5');
  await page.locator('#workers input[name=replicas]').fill('4');
  await page.locator('#workers button').click();
  await page.locator('#command', { hasText: 'kubectl patch ppt default' }).waitFor({ timeout: 15_000 });
  t.regex((await page.locator('#command').textContent())!, /"replicas":4/);
  await waitFor(async () => (await page.locator('#seats .seat').count()) === 4 && (await shownPlayers()).length === 4
    && JSON.stringify(await shownPlayers()) === JSON.stringify(await workerNames()), 'four players at the table', { timeoutMs: 90_000, intervalMs: 500 });
  t.like(JSON.parse(await kubectl('get', 'ppt', 'default', '-o', 'json')).spec.workers, { mode: 'Fixed', replicas: 4 });
  // The system picture follows without a reload: the table's settings, and forward's four pods.
  await page.locator('#table-settings', { hasText: 'Fixed, 4 workers' }).waitFor({ timeout: 15_000 });
  await page.locator('#services [data-name=forward] .pods', { hasText: '4 pods' }).waitFor({ timeout: 30_000 });
});

test.serial('a change the table refuses is shown as refused, with the rule that refused it', async (t) => {
  await page.locator('#workers input[name=min]').fill('6');
  await page.locator('#workers input[name=max]').fill('5');
  await page.locator('#workers button').click();
  await page.locator('#command', { hasText: 'refused' }).waitFor({ timeout: 15_000 });
  t.regex((await page.locator('#command').textContent())!, /min must not exceed max/);
  // Chromium logs the refusal's 400 as a failed resource: that one was asked for.
  const expected = errors.findIndex((e) => /status of 400/.test(e));
  t.true(expected >= 0);
  errors.splice(expected, 1);
});

test.serial('history-ui gone while the page is open: the page reconnects and gets every event it missed, once', async (t) => {
  const firstSeen = await page.evaluate(() => (window as unknown as { pingpongSeen?: number[] }).pingpongSeen?.[0] ?? 0);
  const pods = (await kubectl('get', 'pods', '-l', 'serving.knative.dev/service=history-ui', '-o', 'name')).trim().split('\n').filter(Boolean);
  t.true(pods.length >= 1);
  await kubectl('delete', ...pods);
  await page.locator('#connection', { hasText: 'reconnecting' }).waitFor({ timeout: 30_000 });
  // While no pod serves the page, more is recorded.
  for (let i = 0; i < 3; i++) {
    await fetch(`http://localhost:${pp.broker}/pingpong/default`, { method: 'POST', body: '{"count":1,"maxHops":2}',
      headers: { 'ce-specversion': '1.0', 'ce-type': 'dev.pingpong.ball.requested', 'ce-source': '/e2e/ui-gap', 'ce-id': randomUUID(), 'content-type': 'application/json' } });
  }
  await page.locator('#connection', { hasText: 'live' }).waitFor({ timeout: 60_000 });
  // Everything the history holds since the page opened reaches it, each once.
  await caughtUp(t, firstSeen);
  // The browser logs the dropped stream; that one was caused on purpose.
  for (let i = errors.length - 1; i >= 0; i--) if (/api\/stream|ERR_|net::/.test(errors[i]!)) errors.splice(i, 1);
});

test.serial('history-ui at zero while the page is paused: Resume starts it again, and every event missed arrives once', async (t) => {
  // A short stable window for history-ui alone, set through the API as a user would.
  const readyRevision = async () => JSON.parse(await kubectl('get', 'ksvc', 'history-ui', '-o', 'json')).status?.latestReadyRevisionName as string;
  const old = await readyRevision();
  await kubectl('patch', 'ksvc', 'history-ui', '--type=merge', '-p', JSON.stringify({ spec: { template: { metadata: { annotations: { 'autoscaling.knative.dev/window': '6s' } } } } }));
  await waitFor(async () => (await readyRevision()) !== old, 'the new revision', { timeoutMs: 60_000, intervalMs: 500 });
  await page.locator('#connection', { hasText: 'live' }).waitFor({ timeout: 60_000 });
  const pods = async () => (await kubectl('get', 'pods', '-l', 'serving.knative.dev/service=history-ui', '-o', 'name')).trim();
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.locator('#connection', { hasText: 'paused' }).waitFor({ timeout: 5000 });
  // Counted once paused: an event the stream delivered while the click was on its way is no gap.
  const seenBefore = await page.evaluate(() => (window as unknown as { pingpongSeen: number[] }).pingpongSeen.length);
  // Nothing open to it, history-ui goes to zero with the page still there.
  await waitFor(async () => (await pods()) === '', 'history-ui to scale to zero', { timeoutMs: 120_000, intervalMs: 1000 });
  const gap = randomUUID();
  await fetch(`http://localhost:${pp.broker}/pingpong/default`, { method: 'POST', body: '{"count":3,"maxHops":2}',
    headers: { 'ce-specversion': '1.0', 'ce-type': 'dev.pingpong.ball.requested', 'ce-source': '/e2e/ui-zero', 'ce-id': gap, 'content-type': 'application/json' } });
  const prefix = requestBallPrefix('/e2e/ui-zero', gap);
  await waitFor(async () => (await db.query("SELECT count(*) FROM ball WHERE starts_with(id, $1) AND status <> 'served'", [prefix])).rows[0].count === '3',
    'the three balls to end while the page is paused', { timeoutMs: 60_000 });
  t.is(await page.evaluate(() => (window as unknown as { pingpongSeen: number[] }).pingpongSeen.length), seenBefore, 'nothing arrived while paused');
  t.is(await pods(), '', 'still at zero: the page asked for nothing');
  await page.getByRole('button', { name: 'Resume' }).click();
  await page.locator('#connection', { hasText: 'live' }).waitFor({ timeout: 60_000 });
  await caughtUp(t, await page.evaluate(() => (window as unknown as { pingpongSeen: number[] }).pingpongSeen[0] ?? 0));
  const balls = (await page.locator('#events li').allTextContents()).filter((l) => l.includes(prefix) && /ball\.(landed|dropped)/.test(l));
  t.is(balls.length, 3, 'each missed ending shown once');
  for (let i = errors.length - 1; i >= 0; i--) if (/api\/stream|ERR_|net::/.test(errors[i]!)) errors.splice(i, 1);
});

test.serial('at a phone\'s width nothing runs off the side; every control has a name and the keyboard reaches it', async (t) => {
  await page.setViewportSize({ width: 360, height: 740 });
  t.true(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scroll at 360 px');
  t.true((await page.locator('#table').boundingBox())!.width <= 360);
  const unnamed = await page.locator('main input, main select, main button').evaluateAll((els) => els
    .filter((el) => !((el as HTMLInputElement).labels?.length || el.getAttribute('aria-label') || (el.tagName === 'BUTTON' && el.textContent!.trim())))
    .map((el) => el.outerHTML.slice(0, 80)));
  t.deepEqual(unnamed, []);
  await page.locator('#connection').click();
  let reached = false;
  for (let i = 0; i < 40 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement?.textContent === 'Serve');
  }
  t.true(reached, 'Tab reaches the Serve button');
  // The event filters: unticking balls hides their lines, ticking shows them again.
  const ballLines = page.locator('#events li[data-kind=ball]');
  const visibleBalls = () => ballLines.evaluateAll((lis) => lis.filter((li) => (li as HTMLElement).offsetParent !== null).length);
  t.true(await ballLines.count() > 0);
  await page.getByLabel('balls', { exact: true }).uncheck();
  t.is(await visibleBalls(), 0, 'unticked: no ball line shown');
  await page.getByLabel('balls', { exact: true }).check();
  await waitFor(async () => (await visibleBalls()) > 0, 'ticked: ball lines shown again', { timeoutMs: 5000, intervalMs: 100 });
  t.true(await page.locator('#events li[data-kind=pong]').evaluateAll((lis) => lis.every((li) => (li as HTMLElement).offsetParent === null)), 'peer pongs start hidden');
  await page.setViewportSize({ width: 1100, height: 800 });
});

test.serial('the page logged no error; a screenshot is kept', async (t) => {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'ui.png'), fullPage: true });
  t.deepEqual(errors, []);
});
