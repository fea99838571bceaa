// The table: the players (the live worker pods) sit around it; each ball is a dot that moves to
// the pod that caught it, hop by hop, as the events arrive. Its element carries the path it took
// (data-path), and it stays a moment after it ended, green where it landed, red where it dropped.
import { $, clock, getJson } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const players = new Map();
const seats = new Map();
const balls = new Map();
const MAX_BALLS_SHOWN = 50;
const ENDED_SHOWN_MS = 4000;
// A player that left stays listed a moment, struck through, so a death is seen and not just missed.
const GONE_SHOWN_MS = 3000;

export const playerNames = () => [...players.keys()].filter((n) => !players.get(n).classList.contains('died')).sort();

export async function loadPlayers() {
  const list = await getJson('api/players');
  if (!list) return;
  const names = new Set(list.map((p) => p.name));
  for (const [name, li] of players) {
    if (names.has(name) || li.classList.contains('died')) continue;
    li.classList.remove('born');
    li.classList.add('died');
    li.querySelector('.since').textContent = 'left the table';
    setTimeout(() => { li.remove(); if (players.get(name) === li) players.delete(name); }, GONE_SHOWN_MS);
  }
  for (const p of list) {
    if (players.has(p.name) && !players.get(p.name).classList.contains('died')) continue;
    players.get(p.name)?.remove();
    const li = document.createElement('li');
    li.className = 'born';
    li.dataset.pod = p.name;
    for (const [cls, text] of [['name', p.name], ['addr', `${p.ip}:${p.port}`], ['addr', p.revision], ['since', p.since ? `joined ${clock(p.since)}` : '']]) {
      const span = document.createElement(cls === 'name' ? 'strong' : 'span');
      span.className = cls;
      span.textContent = text;
      li.append(span);
    }
    $('players').append(li);
    players.set(p.name, li);
  }
  // A pod of an older revision still plays until Knative retires it; ping aims at the newest's only.
  const revNumber = (r) => Number(/-(\d+)$/.exec(r ?? '')?.[1] ?? 0);
  const newest = Math.max(0, ...list.map((p) => revNumber(p.revision)));
  for (const p of list) {
    const li = players.get(p.name);
    const old = revNumber(p.revision) < newest;
    li.classList.toggle('old', old);
    li.title = old ? 'a pod of an older revision: it leaves once the newest revision is ready; new balls are aimed at the newest' : '';
  }
  $('player-count').textContent = `(${names.size})`;
  drawSeats();
  return playerNames();
}

function seatAt(i, n) {
  const a = (2 * Math.PI * i) / Math.max(n, 1) - Math.PI / 2;
  return { x: Math.round(80 * Math.cos(a) * 10) / 10, y: Math.round(80 * Math.sin(a) * 10) / 10 };
}

function drawSeats() {
  const names = playerNames();
  const g = $('seats');
  for (const [name, el] of seats) if (!names.includes(name)) { el.remove(); seats.delete(name); }
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

/** Moves a ball's dot to the pod at the end of its path; marks it landed or dropped at its end. */
export function moveBall(entry) {
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
    setTimeout(() => { dot.remove(); if (balls.get(id) === dot) balls.delete(id); }, ENDED_SHOWN_MS);
  }
  return dot;
}

const REPLAY_STEP_MS = window.matchMedia('(prefers-reduced-motion: reduce)').matches ? 0 : 400;

/** Flies a recorded ball again: one catcher at a time along its path, then how it ended. */
export async function replayBall(ball) {
  const key = `replay:${ball.id}`;
  balls.get(key)?.remove();
  balls.delete(key);
  for (let i = 1; i <= ball.path.length; i++) {
    const ended = i === ball.path.length && ball.status !== 'served';
    moveBall({ type: ended ? `dev.pingpong.ball.${ball.status}` : 'dev.pingpong.ball.thrown', data: { ball: { id: key }, path: ball.path.slice(0, i) } })
      ?.classList.add('replay');
    if (REPLAY_STEP_MS) await new Promise((r) => setTimeout(r, REPLAY_STEP_MS));
  }
}
