// The system: the Knative wiring as a picture. PingSources feed the Broker, the Broker hands each
// event to every Trigger whose filter passes it, each Trigger delivers to its Service; the wires
// are drawn between the boxes, a Service at zero is drawn dashed and grey, and a Trigger lights up
// (with its wires) as an event it takes arrives. history-ui sends the picture as the stream opens
// and again whenever the cluster changes it.
import { $, clock, getJson } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const QUIET = window.matchMedia('(prefers-reduced-motion: reduce)');
const LIT_MS = 700;
let current;
let formTouched = false;

function node(cls, name, lines) {
  const li = document.createElement('li');
  li.className = `node ${cls}`;
  li.dataset.name = name;
  const title = document.createElement('strong');
  title.textContent = name;
  li.append(title);
  for (const [text, kind] of lines) {
    if (!text) continue;
    const span = document.createElement(kind === 'code' ? 'code' : 'span');
    span.className = kind;
    span.textContent = text;
    if (kind === 'code') span.title = text;
    li.append(span);
  }
  return li;
}

const inSeconds = (iso) => {
  const s = Math.max(0, Math.round((Date.parse(iso) - Date.now()) / 1000));
  if (s < 120) return `in ${s} s`;
  return s < 86_400 ? `at ${clock(iso)}` : `on ${iso.slice(0, 10)} at ${iso.slice(11, 16)} UTC`;
};

function podDots(n) {
  const span = document.createElement('span');
  span.className = 'pods';
  span.setAttribute('aria-label', n ? `${n} pod${n === 1 ? '' : 's'}` : 'at zero: no pod');
  span.textContent = n ? `${'●'.repeat(Math.min(n, 10))}${n > 10 ? ` +${n - 10}` : ''} ${n} pod${n === 1 ? '' : 's'}` : '○ at zero';
  return span;
}

/** Draws the picture from history-ui's system view. */
export function drawSystem(s) {
  current = s;
  $('broker-url').textContent = s.brokerUrl ?? '';
  $('pingsources').replaceChildren(...s.pingSources.map((p) => {
    const li = node('source', p.name, [[p.schedule, 'code'], [p.next ? `next tick ${inSeconds(p.next)}` : 'no next tick', 'next'], [`→ ${p.sink}`, 'sink']]);
    li.dataset.next = p.next ?? '';
    li.dataset.sink = p.sink;
    return li;
  }));
  $('triggers').replaceChildren(...s.triggers.map((t) => {
    const li = node(`trigger${t.ready === 'True' ? '' : ' not-ready'}`, t.name, [[t.filter, 'code'], [`→ ${t.subscriber}`, 'sink']]);
    li.dataset.subscriber = t.subscriber.replace(/^Service\//, '');
    li.dataset.broker = t.broker;
    return li;
  }));
  $('services').replaceChildren(...s.services.map((v) => {
    const li = node(`service${v.atZero ? ' zero' : ''}`, v.name, [[v.revision, 'rev']]);
    li.append(podDots(v.pods));
    return li;
  }));
  tableSettings(s.table);
  wire();
}

// The table's settings, and the form that changes them filled with them until the user edits it.
function tableSettings(t) {
  const el = $('table-settings');
  if (!t) { el.textContent = 'The PingPongTable default is not readable yet.'; return; }
  const asks = t.mode === 'Fixed' ? `Fixed, ${t.replicas} workers` : `Random, ${t.min} to ${t.max} workers`;
  el.textContent = `PingPongTable ${t.name}: ${asks}; ${t.workers ?? '?'} playing${t.revision ? ` (revision ${t.revision})` : ''}; Ready ${t.ready}`;
  if (formTouched) return;
  const f = $('workers').elements;
  f.mode.value = t.mode;
  for (const k of ['min', 'max', 'replicas']) if (t[k] !== undefined) f[k].value = t[k];
  f.mode.dispatchEvent(new Event('change'));
}

/** The wires: PingSource → Broker, Broker → each Trigger, each Trigger → its Service. */
function wire() {
  const svg = $('wires');
  const box = $('wiring').getBoundingClientRect();
  svg.setAttribute('viewBox', `0 0 ${box.width} ${box.height}`);
  const broker = $('broker');
  const services = new Map([...$('services').children].map((li) => [li.dataset.name, li]));
  const at = (el, side) => {
    const r = el.getBoundingClientRect();
    return { x: (side === 'right' ? r.right : r.left) - box.left, y: r.top + r.height / 2 - box.top };
  };
  const line = (from, to, cls, key) => {
    const a = at(from, 'right');
    const b = at(to, 'left');
    const p = document.createElementNS(SVG, 'path');
    const mid = (a.x + b.x) / 2;
    p.setAttribute('d', `M${a.x},${a.y} C${mid},${a.y} ${mid},${b.y} ${b.x},${b.y}`);
    p.setAttribute('class', cls);
    if (key) p.dataset.trigger = key;
    return p;
  };
  const paths = [];
  for (const li of $('pingsources').children) if (li.dataset.sink?.startsWith('Broker/')) paths.push(line(li, broker, 'wire'));
  for (const li of $('triggers').children) {
    paths.push(line(broker, li, 'wire', li.dataset.name));
    const svc = services.get(li.dataset.subscriber);
    if (svc) paths.push(line(li, svc, `wire${svc.classList.contains('zero') ? ' zero' : ''}`, li.dataset.name));
  }
  svg.replaceChildren(...paths);
}

/** Lights each Trigger that surely takes this event type, and its wires, for a moment. */
export function lightFor(type) {
  if (!current || QUIET.matches) return;
  for (const t of current.triggers) {
    if (!t.takes.includes(type)) continue;
    const els = [$('triggers').querySelector(`[data-name="${CSS.escape(t.name)}"]`), ...$('wires').querySelectorAll(`[data-trigger="${CSS.escape(t.name)}"]`)];
    for (const el of els) {
      if (!el) continue;
      el.classList.remove('lit');
      void el.getBoundingClientRect();
      el.classList.add('lit');
      clearTimeout(el.litTimer);
      el.litTimer = setTimeout(() => el.classList.remove('lit'), LIT_MS);
    }
  }
}

/** Starts the picture: the first read, the ticking countdowns, the wires redrawn on resize. */
export function startSystem(isLive) {
  $('workers').addEventListener('input', () => { formTouched = true; });
  $('workers').addEventListener('applied', () => { formTouched = false; });
  new ResizeObserver(() => { if (current) wire(); }).observe($('wiring'));
  // The countdowns tick here; a tick that passed asks for the picture again (its next tick).
  setInterval(() => {
    let passed = false;
    for (const li of $('pingsources').children) {
      if (!li.dataset.next) continue;
      if (Date.parse(li.dataset.next) < Date.now() - 1000) passed = true;
      else li.querySelector('.next').textContent = `next tick ${inSeconds(li.dataset.next)}`;
    }
    if (passed && isLive()) void loadSystem();
  }, 1000);
}

let loading;
export async function loadSystem() {
  loading ??= getJson('api/system').then((s) => { if (s) drawSystem(s); }).finally(() => { loading = undefined; });
  return loading;
}
