// The page: the table, live from /api/stream (Server-Sent Events from the history feed). The
// browser's EventSource reconnects by itself and sends Last-Event-ID, so after history-ui scaled
// to zero and back the page gets exactly what it missed.
import { aimAt, startActions } from './actions.js';
import { $, clock, getJson, item, soon } from './dom.js';
import { knownPods, panelChanged, startPanels } from './panels.js';
import { drawSystem, lightFor, loadSystem, startSystem } from './system.js';
import { loadPlayers, moveBall } from './table.js';

// Each kind keeps its own newest lines: a flood of pongs does not push the balls out.
const MAX_EVENTS = 200;
const counts = { landed: 0, dropped: 0 };
const inFlight = new Set();

async function players() {
  const names = await loadPlayers();
  if (!names) return;
  aimAt(names);
  knownPods(names);
}

// The scale change behind the players there are now: births and deaths follow it.
async function lastScaleChange() {
  const [change] = (await getJson('api/scale-changes?limit=1')) ?? [];
  $('scale-note').textContent = change
    ? `Last scale change ${clock(change.at)}: ${change.from} → ${change.to} workers (${change.reason}), revision ${change.revision}`
    : 'No scale change recorded yet.';
}

// What happens, newest first; each line has a kind the filters above the list can hide.
const KINDS = { 'dev.pingpong.ball.': 'ball', 'dev.knative.apiserver.': 'pod', 'dev.pingpong.peer.': 'pong' };
function tell(entry, event) {
  const d = entry.data ?? {};
  const kind = event === 'dead-letter' ? 'other' : Object.entries(KINDS).find(([p]) => entry.type.startsWith(p))?.[1] ?? 'other';
  const what = entry.type.replace(/^dev\.(pingpong|knative)\./, '');
  let text = `${clock(entry.at)} ${what}`;
  if (event === 'dead-letter') text = `${clock(entry.at)} dead letter: ${what} ${entry.id} (the Broker gave up on it)`;
  else if (entry.table === 'pod_event') text += ` ${d.metadata?.name ?? ''}`;
  else if (entry.type === 'dev.pingpong.peer.ponged') text += ` ${d.from?.replace(/^.*-deployment-/, '')} → ${d.to?.replace(/^.*-deployment-/, '')} ${d.ok ? `${d.ms?.toFixed(1)} ms` : 'no answer'}`;
  else if (entry.type === 'dev.pingpong.workers.scaled') text += ` ${d.from} → ${d.to} (${d.reason})`;
  else if (entry.type === 'dev.pingpong.coin.flipped') text += ` ${d.heads_required} heads in ${d.total_flips} flips`;
  else text += `${d.ball?.id ? ` ball ${d.ball.id}` : ''}${d.hop !== undefined ? ` hop ${d.hop}` : ''}${d.reason ? ` (${d.reason})` : ''}`;
  const li = item(text, '', entry.type.endsWith('.landed') ? 'landed' : entry.type.endsWith('.dropped') || event === 'dead-letter' ? 'dropped' : '');
  li.dataset.kind = kind;
  const list = $('events');
  list.prepend(li);
  const same = list.querySelectorAll(`[data-kind=${kind}]`);
  for (let i = same.length - 1; i >= MAX_EVENTS; i--) same[i].remove();
}

function count(entry) {
  const id = entry.data?.ball?.id;
  if (!id || entry.table === 'dead_letter') return;
  if (entry.type === 'dev.pingpong.ball.thrown') inFlight.add(id);
  if (entry.type === 'dev.pingpong.ball.landed') { inFlight.delete(id); counts.landed++; }
  if (entry.type === 'dev.pingpong.ball.dropped') { inFlight.delete(id); counts.dropped++; }
  $('in-flight').textContent = inFlight.size;
  $('landed').textContent = counts.landed;
  $('dropped').textContent = counts.dropped;
}

// The live stream. While it is open it is a request in flight, which keeps a history-ui pod up;
// so a paused page (the Pause button, a page Chrome freezes in a background tab, or one hidden
// for PAUSE_HIDDEN_MS) closes it and lets the Service scale to zero, then opens it again from
// where it stood (?since=): what was recorded meanwhile arrives then, each once.
const PAUSE_HIDDEN_MS = 120_000;
const TYPES = ['dev.pingpong.ball.thrown', 'dev.pingpong.ball.landed', 'dev.pingpong.ball.dropped', 'dev.pingpong.coin.flipped',
  'dev.pingpong.workers.scaled', 'dev.pingpong.pods.listed', 'dev.pingpong.peer.ponged', 'dead-letter',
  'dev.knative.apiserver.resource.add', 'dev.knative.apiserver.resource.update', 'dev.knative.apiserver.resource.delete'];
let stream;
let position;
const onEntry = (e) => {
  const entry = JSON.parse(e.data);
  position = entry.seq;
  // What this page received, for a test to check that nothing came twice or went missing (bounded).
  const seen = (window.pingpongSeen ??= []);
  seen.push(entry.seq);
  if (seen.length > 5000) seen.splice(0, seen.length - 5000);
  tell(entry, e.type);
  count(entry);
  panelChanged(entry.table);
  if (entry.table !== 'dead_letter' && entry.type.startsWith('dev.pingpong.ball.')) moveBall(entry);
  lightFor(entry.type);
  if (entry.table === 'pod_event' || entry.table === 'pod_snapshot') soon(players);
  if (entry.table === 'scale_change') soon(lastScaleChange);
};
let paused = false;
function connect() {
  if (stream || paused) return;
  stream = new EventSource(position === undefined ? 'api/stream' : `api/stream?since=${position}`);
  stream.onopen = () => { $('connection').textContent = 'live'; };
  stream.onerror = () => { $('connection').textContent = 'reconnecting…'; };
  stream.addEventListener('position', (e) => { position ??= JSON.parse(e.data).seq; });
  // The system picture: as the stream opens, then at each change (no id: not history).
  stream.addEventListener('system', (e) => drawSystem(JSON.parse(e.data)));
  for (const type of TYPES) stream.addEventListener(type, onEntry);
}
function pause(why = 'the page is not shown') {
  if (!stream) return;
  stream.close();
  stream = undefined;
  $('connection').textContent = `paused (${why})`;
}
$('live-toggle').addEventListener('click', (e) => {
  paused = !paused;
  e.target.textContent = paused ? 'Resume' : 'Pause';
  if (paused) pause('you paused it; history-ui may scale to zero'); else connect();
});
let hiddenTimer;
document.addEventListener('visibilitychange', () => {
  clearTimeout(hiddenTimer);
  if (document.visibilityState === 'hidden') hiddenTimer = setTimeout(() => pause(), PAUSE_HIDDEN_MS);
  else connect();
});
document.addEventListener('freeze', () => pause());
document.addEventListener('resume', connect);
connect();

for (const box of $('event-kinds').querySelectorAll('input')) {
  box.addEventListener('change', () => $('events').classList.toggle(`hide-${box.name}`, !box.checked));
  $('events').classList.toggle(`hide-${box.name}`, !box.checked);
}

startActions();
// Only while live: a paused page asks history-ui for nothing, so it can stay at zero.
startSystem(() => Boolean(stream));
startPanels();
void loadSystem();
void players();
void lastScaleChange();
