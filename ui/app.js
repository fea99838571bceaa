// The page: players (the live worker pods) and what happens, live from /api/stream (Server-Sent
// Events from the history feed). The browser's EventSource reconnects by itself and sends
// Last-Event-ID, so after history-ui scaled to zero and back the page gets exactly what it missed.
const $ = (id) => document.getElementById(id);
const players = new Map();
const MAX_EVENTS = 200;
const counts = { landed: 0, dropped: 0 };
const inFlight = new Set();

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
  window.pingpongSeen = [...(window.pingpongSeen ?? []).slice(-4999), entry.seq];
  tell(entry);
  count(entry);
  if (entry.table === 'pod_event' || entry.table === 'pod_snapshot') void loadPlayers();
};
for (const type of ['dev.pingpong.ball.thrown', 'dev.pingpong.ball.landed', 'dev.pingpong.ball.dropped', 'dev.pingpong.coin.flipped',
  'dev.pingpong.workers.scaled', 'dev.pingpong.pods.listed', 'dev.pingpong.peer.ponged',
  'dev.knative.apiserver.resource.add', 'dev.knative.apiserver.resource.update', 'dev.knative.apiserver.resource.delete']) {
  stream.addEventListener(type, onEntry);
}
void loadPlayers();
