// History: one panel at a time (balls, scale changes, pod births and deaths, snapshots, peer
// pongs, dead letters, coin flips), newest first, a page at a time, with each panel's filters.
// The first page follows what the stream brings; older pages stay as read.
import { $, clock, getJson, item, soon } from './dom.js';
import { replayBall } from './table.js';

const short = (pod) => (pod ?? '').replace(/^.*-deployment-/, '');
const seconds = (from, to) => (to ? `${((Date.parse(to) - Date.parse(from)) / 1000).toFixed(2)} s` : 'in flight');
const any = (label, values) => ({ label, values: [['', 'any'], ...values] });

// Each panel: its columns (heading, cell), its filters (a select's values, or free text), the
// feed tables whose recordings change it, and the cursor after its last row.
const PANELS = {
  balls: {
    columns: [['ball', (b) => b.id], ['status', (b) => (b.reason ? `${b.status} (${b.reason})` : b.status)], ['hops', (b) => String(b.hops)],
      ['served', (b) => clock(b.servedAt)], ['flight', (b) => seconds(b.servedAt, b.endedAt)], ['', replayButton]],
    filters: { status: any('Status', [['served', 'in flight'], ['landed', 'landed'], ['dropped', 'dropped']]), worker: { label: 'Caught by', text: 'pod name', pods: true } },
    tables: ['ball', 'hop'],
    // Pages of balls are cut at a ball, not a feed position.
    cursor: (rows) => rows.at(-1).id,
  },
  'scale-changes': {
    columns: [['when', (r) => clock(r.at)], ['service', (r) => r.service], ['workers', (r) => `${r.from} → ${r.to}`], ['revision', (r) => r.revision], ['why', (r) => r.reason]],
    tables: ['scale_change'],
  },
  'pod-events': {
    columns: [['when', (r) => clock(r.at)], ['', (r) => r.kind], ['pod', (r) => r.name], ['address', (r) => (r.ip ? `${r.ip}:${r.port ?? ''}` : '')], ['revision', (r) => r.revision ?? ''], ['phase', (r) => r.phase ?? '']],
    filters: { kind: any('Change', [['born', 'born'], ['updated', 'updated'], ['died', 'died']]), pod: { label: 'Pod', text: 'pod name', pods: true } },
    tables: ['pod_event'],
  },
  'pod-snapshots': {
    columns: [['when', (r) => clock(r.at)], ['cause', (r) => r.cause], ['pods', (r) => String(r.podCount)], ['who', (r) => r.pods.map((p) => `${short(p.name)} ${p.ip}:${p.port}`).join(', ')]],
    tables: ['pod_snapshot'],
  },
  pongs: {
    columns: [['when', (r) => clock(r.at)], ['who', (r) => `${short(r.from)} → ${short(r.to)}`], ['address', (r) => r.address], ['answer', (r) => (r.ok ? `pong in ${r.ms.toFixed(1)} ms` : `no answer (${r.ms.toFixed(0)} ms)`)]],
    filters: { ok: any('Answer', [['true', 'answered'], ['false', 'failed']]), pod: { label: 'Pod', text: 'either end', pods: true } },
    tables: ['pong'],
  },
  'dead-letters': {
    columns: [['when', (r) => clock(r.at)], ['type', (r) => r.type], ['event', (r) => `${r.source} ${r.id}`], ['failed at', (r) => r.dest], ['code', (r) => String(r.code ?? '')], ['error', (r) => r.errorData ?? '']],
    filters: { type: { label: 'Type', text: 'dev.pingpong.…' } },
    tables: ['dead_letter'],
  },
  'coin-flips': {
    columns: [['when', (r) => clock(r.at)], ['heads in a row', (r) => String(r.headsRequired)], ['flips it took', (r) => r.totalFlips]],
    tables: ['coin_flip'],
  },
};

const state = { panel: 'balls', filters: {}, pages: [], limit: 20, reads: 0 };
const form = () => $('history-controls');

function replayButton(b) {
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = 'replay';
  button.setAttribute('aria-label', `replay ball ${b.id}`);
  button.addEventListener('click', () => void replay(b.id));
  return button;
}

async function replay(id) {
  const found = await getJson(`api/ball?id=${encodeURIComponent(id)}`);
  if (!found) return;
  const { ball, hops } = found;
  $('timeline').replaceChildren(...hops.map((h) => item(`hop ${h.hop} ${h.at.slice(11, 23)}`, `${h.from ?? 'ping'} → ${h.target}`)),
    item(`${ball.status}${ball.reason ? ` (${ball.reason})` : ''}`, ball.landedBy ?? ball.path.at(-1) ?? ''));
  await replayBall(ball);
}

function drawFilters() {
  const spec = PANELS[state.panel].filters ?? {};
  const fields = Object.entries(spec).map(([name, f]) => {
    const label = document.createElement('label');
    label.textContent = f.label;
    let input;
    if (f.values) {
      input = document.createElement('select');
      input.append(...f.values.map(([v, text]) => new Option(text, v)));
    } else {
      input = document.createElement('input');
      input.type = 'search';
      input.placeholder = f.text;
      if (f.pods) input.setAttribute('list', 'pod-names');
    }
    input.name = name;
    input.value = state.filters[name] ?? '';
    input.addEventListener('change', () => { state.filters[name] = input.value.trim(); void loadPanel(); });
    label.append(input);
    return label;
  });
  $('history-filters').replaceChildren(...fields);
}

/** Reads a page of the chosen panel: the newest, or the one after `before`. */
export async function loadPanel(before) {
  const panel = PANELS[state.panel];
  const q = new URLSearchParams({ limit: String(state.limit) });
  for (const [k, v] of Object.entries(state.filters)) if (v && panel.filters?.[k]) q.set(k, v);
  if (before !== undefined) q.set('before', String(before));
  // Only the latest read is drawn: a live refresh of page 1 that was under way when Older was
  // pressed must not come back over page 2.
  const asked = ++state.reads;
  const res = await fetch(`api/${state.panel}?${q}`);
  const answer = await res.json();
  if (asked !== state.reads) return;
  if (!res.ok) {
    $('history-status').textContent = `refused: ${answer.error}`;
    return;
  }
  const rows = answer;
  if (before === undefined) state.pages = [];
  state.pages.push(before);
  $('history-head').replaceChildren(row(panel.columns.map(([h]) => h), 'th'));
  $('history').replaceChildren(...rows.map((r) => row(panel.columns.map(([, cell]) => cell(r)))));
  state.next = rows.length === state.limit ? (panel.cursor ? panel.cursor(rows) : rows.at(-1).seq) : undefined;
  $('older').disabled = state.next === undefined;
  $('newer').disabled = state.pages.length < 2;
  $('history-status').textContent = rows.length ? `page ${state.pages.length}, ${rows.length} row${rows.length === 1 ? '' : 's'}` : 'nothing recorded yet';
}

function row(cells, tag = 'td') {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = document.createElement(tag);
    if (tag === 'th') td.scope = 'col';
    if (c instanceof Node) td.append(c); else td.textContent = c;
    tr.append(td);
  }
  return tr;
}

/** A recording the stream brought: the first page of its panel is read again (at most once a second). */
export function panelChanged(table) {
  if (state.pages.length === 1 && PANELS[state.panel].tables.includes(table)) soon(firstPage);
}
// Still on the first page when the refresh comes due (Older may have been pressed meanwhile).
const firstPage = () => (state.pages.length === 1 ? loadPanel() : undefined);

/** Offers the live players' names in the pod filters. */
export function knownPods(names) {
  $('pod-names').replaceChildren(...names.map((n) => new Option(n)));
}

export function startPanels() {
  form().elements.panel.addEventListener('change', (e) => {
    state.panel = e.target.value;
    state.filters = {};
    drawFilters();
    void loadPanel();
  });
  form().elements.limit.addEventListener('change', (e) => { state.limit = Number(e.target.value); void loadPanel(); });
  form().addEventListener('submit', (e) => { e.preventDefault(); void loadPanel(); });
  $('older').addEventListener('click', () => { if (state.next !== undefined) void loadPanel(state.next); });
  $('newer').addEventListener('click', () => {
    state.pages.pop();
    const before = state.pages.pop();
    void loadPanel(before);
  });
  drawFilters();
  void loadPanel();
}
