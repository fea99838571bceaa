// The page: players (the live worker pods) and what happens, live from /api/stream (Server-Sent
// Events from the history feed). The browser's EventSource reconnects by itself and sends
// Last-Event-ID, so after history-ui scaled to zero and back the page gets exactly what it missed.
const $ = (id) => document.getElementById(id);
const players = new Map();
const MAX_EVENTS = 200;
const counts = { landed: 0, dropped: 0 };
const inFlight = new Set();

// A panel is read again at most once a second, however many events say it changed (a rollout
// brings tens of pod events, a busy table hundreds of endings).
const pending = new Set();
function soon(load) {
  if (pending.has(load)) return;
  pending.add(load);
  setTimeout(() => { pending.delete(load); void load(); }, 1000);
}

async function loadPlayers() {
  const res = await fetch('api/players');
  if (!res.ok) return;
  const list = await res.json();
  const names = new Set(list.map((p) => p.name));
  for (const name of [...players.keys()]) if (!names.has(name)) { players.get(name).remove(); players.delete(name); }
  for (const p of list) {
    if (players.has(p.name)) continue;
    const li = document.createElement('li');
    li.className = 'born';
    li.dataset.pod = p.name;
    li.innerHTML = '<strong></strong><span class="addr"></span><span class="addr"></span>';
    li.children[0].textContent = p.name;
    li.children[1].textContent = `${p.ip}:${p.port}`;
    li.children[2].textContent = p.revision;
    $('players').append(li);
    players.set(p.name, li);
  }
  $('player-count').textContent = `(${players.size})`;
  drawSeats();
  const select = $('serve').elements.target;
  const chosen = select.value;
  select.replaceChildren(new Option('a random worker', ''), ...[...players.keys()].sort().map((n) => new Option(n, n)));
  select.value = players.has(chosen) ? chosen : '';
}

// The table: the players sit around it; each ball is a dot that moves to the pod that caught it,
// hop by hop, as the events arrive. Its element carries the path it took (data-path), and it
// stays a moment after it ended, green where it landed, red where it dropped.
const SVG = 'http://www.w3.org/2000/svg';
const seats = new Map();
const balls = new Map();
const MAX_BALLS_SHOWN = 50;
const ENDED_SHOWN_MS = 4000;

function seatAt(i, n) {
  const a = (2 * Math.PI * i) / Math.max(n, 1) - Math.PI / 2;
  return { x: Math.round(80 * Math.cos(a) * 10) / 10, y: Math.round(80 * Math.sin(a) * 10) / 10 };
}

function drawSeats() {
  const names = [...players.keys()].sort();
  const g = $('seats');
  for (const [name, el] of seats) if (!players.has(name)) { el.remove(); seats.delete(name); }
  names.forEach((name, i) => {
    let el = seats.get(name);
    if (!el) {
      el = document.createElementNS(SVG, 'g');
      el.setAttribute('class', 'seat');
      el.dataset.pod = name;
      el.append(document.createElementNS(SVG, 'circle'), document.createElementNS(SVG, 'text'));
      el.children[0].setAttribute('r', '9');
      el.children[1].setAttribute('y', '17');
      el.children[1].textContent = name.replace(/^.*-deployment-/, '');
      g.append(el);
      seats.set(name, el);
    }
    const { x, y } = seatAt(i, names.length);
    el.setAttribute('transform', `translate(${x} ${y})`);
    el.dataset.x = String(x);
    el.dataset.y = String(y);
  });
}

function moveBall(entry) {
  const d = entry.data;
  const id = d?.ball?.id;
  if (!id) return;
  let dot = balls.get(id);
  if (!dot) {
    dot = document.createElementNS(SVG, 'circle');
    dot.setAttribute('class', 'ball');
    dot.setAttribute('r', '4');
    dot.dataset.ball = id;
    dot.dataset.path = '';
    $('balls').append(dot);
    balls.set(id, dot);
    while (balls.size > MAX_BALLS_SHOWN) { const [oldest, el] = balls.entries().next().value; el.remove(); balls.delete(oldest); }
  }
  // The pod that caught it last is the end of its path; a new ball (hop 0, empty path) waits in the middle.
  const at = d.path?.at(-1);
  dot.dataset.path = (d.path ?? []).join(' ');
  const seat = at ? seats.get(at) : undefined;
  dot.style.transform = seat ? `translate(${seat.dataset.x}px, ${seat.dataset.y}px)` : 'translate(0px, 0px)';
  if (entry.type.endsWith('.landed') || entry.type.endsWith('.dropped')) {
    dot.classList.add(entry.type.endsWith('.landed') ? 'landed' : 'dropped');
    setTimeout(() => { dot.remove(); balls.delete(id); }, ENDED_SHOWN_MS);
  }
}

function tell(entry) {
  const d = entry.data ?? {};
  const li = document.createElement('li');
  const ball = d.ball?.id ? ` ball ${d.ball.id}` : '';
  const kind = entry.type.replace(/^dev\.(pingpong|knative)\./, '');
  li.textContent = `${entry.at.slice(11, 19)} ${kind}${ball}${d.hop !== undefined ? ` hop ${d.hop}` : ''}${d.reason ? ` (${d.reason})` : ''}`;
  if (entry.type.endsWith('.landed')) li.className = 'landed';
  if (entry.type.endsWith('.dropped')) li.className = 'dropped';
  const list = $('events');
  list.prepend(li);
  while (list.children.length > MAX_EVENTS) list.lastChild.remove();
}

function count(entry) {
  const id = entry.data?.ball?.id;
  if (!id) return;
  if (entry.type === 'dev.pingpong.ball.thrown') inFlight.add(id);
  if (entry.type === 'dev.pingpong.ball.landed') { inFlight.delete(id); counts.landed++; }
  if (entry.type === 'dev.pingpong.ball.dropped') { inFlight.delete(id); counts.dropped++; }
  $('in-flight').textContent = inFlight.size;
  $('landed').textContent = counts.landed;
  $('dropped').textContent = counts.dropped;
}

const stream = new EventSource('api/stream');
stream.onopen = () => { $('connection').textContent = 'live'; };
stream.onerror = () => { $('connection').textContent = 'reconnecting…'; };
const onEntry = (e) => {
  const entry = JSON.parse(e.data);
  // What this page received, for a test to check that nothing came twice or went missing (bounded).
  const seen = (window.pingpongSeen ??= []);
  seen.push(entry.seq);
  if (seen.length > 5000) seen.splice(0, seen.length - 5000);
  tell(entry);
  count(entry);
  if (entry.type.startsWith('dev.pingpong.ball.')) moveBall(entry);
  if (entry.type === 'dev.pingpong.ball.landed' || entry.type === 'dev.pingpong.ball.dropped') soon(loadHistory);
  if (entry.table === 'pod_event' || entry.table === 'pod_snapshot') { soon(loadPlayers); soon(loadSystem); }
};
for (const type of ['dev.pingpong.ball.thrown', 'dev.pingpong.ball.landed', 'dev.pingpong.ball.dropped', 'dev.pingpong.coin.flipped',
  'dev.pingpong.workers.scaled', 'dev.pingpong.pods.listed', 'dev.pingpong.peer.ponged',
  'dev.knative.apiserver.resource.add', 'dev.knative.apiserver.resource.update', 'dev.knative.apiserver.resource.delete']) {
  stream.addEventListener(type, onEntry);
}
// The system: the wiring as it is, read again when something in it may have changed.
function item(text, detail, cls) {
  const li = document.createElement('li');
  if (cls) li.className = cls;
  li.append(document.createTextNode(text));
  if (detail) { const c = document.createElement('code'); c.textContent = ` ${detail}`; li.append(c); }
  return li;
}
async function loadSystem() {
  const res = await fetch('api/system');
  if (!res.ok) return;
  const s = await res.json();
  $('pingsources').replaceChildren(...s.pingSources.map((p) => item(`${p.name} (${p.schedule})`, p.next ? `next ${p.next.slice(11, 19)} → ${p.sink}` : '')));
  $('triggers').replaceChildren(...s.triggers.map((t) => item(`${t.name} → ${t.subscriber}`, t.filter)));
  $('services').replaceChildren(...s.services.map((v) => item(`${v.name} ${v.revision}`, v.atZero ? 'at zero' : `${v.pods} pod${v.pods === 1 ? '' : 's'}`, v.atZero ? 'zero' : '')));
}
setInterval(() => void loadSystem(), 10_000);
void loadSystem();

// History: the latest balls; "replay" shows one ball's timeline and flies it again on the table,
// hop by hop (at once under prefers-reduced-motion).
const REPLAY_STEP_MS = window.matchMedia('(prefers-reduced-motion: reduce)').matches ? 0 : 400;
async function loadHistory() {
  const res = await fetch('api/balls?limit=20');
  if (!res.ok) return;
  const rows = (await res.json()).reverse().map((b) => {
    const tr = document.createElement('tr');
    for (const text of [b.id, b.reason ? `${b.status} (${b.reason})` : b.status, String(b.hops), b.servedAt.slice(11, 19)]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    const td = document.createElement('td');
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'replay';
    button.setAttribute('aria-label', `replay ball ${b.id}`);
    button.addEventListener('click', () => void replay(b.id));
    td.append(button);
    tr.append(td);
    return tr;
  });
  $('history').replaceChildren(...rows);
}
async function replay(id) {
  const res = await fetch(`api/ball?id=${encodeURIComponent(id)}`);
  if (!res.ok) return;
  const { ball, hops } = await res.json();
  $('timeline').replaceChildren(...hops.map((h) => item(`hop ${h.hop} ${h.at.slice(11, 23)}`, `${h.from ?? 'ping'} → ${h.target}`)),
    item(`${ball.status}${ball.reason ? ` (${ball.reason})` : ''}`, ball.landedBy ?? ball.path.at(-1) ?? ''));
  const key = `replay:${id}`;
  balls.get(key)?.remove();
  balls.delete(key);
  // The recorded path, one catcher at a time, then how it ended.
  for (let i = 1; i <= ball.path.length; i++) {
    const ended = i === ball.path.length && ball.status !== 'served';
    moveBall({ type: ended ? `dev.pingpong.ball.${ball.status}` : 'dev.pingpong.ball.thrown', data: { ball: { id: key }, path: ball.path.slice(0, i) } });
    balls.get(key)?.classList.add('replay');
    if (REPLAY_STEP_MS) await new Promise((r) => setTimeout(r, REPLAY_STEP_MS));
  }
}
void loadHistory();

// The actions: each posts to history-ui, which does it and answers with the command that does the same.
async function act(path, body) {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = await res.json();
  $('command').textContent = res.ok ? answer.command : `refused: ${answer.error ?? res.status}`;
}
$('serve').addEventListener('submit', (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  const target = f.get('target');
  void act('api/actions/serve', { count: Number(f.get('count')), ...(target ? { target } : {}) });
});
$('workers').addEventListener('submit', (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  const mode = f.get('mode');
  void act('api/actions/table', { mode, min: Number(f.get('min')), max: Number(f.get('max')), ...(mode === 'Fixed' ? { replicas: Number(f.get('replicas')) } : {}) });
});
void loadPlayers();
