// The actions: each posts to history-ui, which does it and answers with the command that does the
// same (a curl to the Broker, a kubectl patch of the table), shown so a user learns it by example.
import { $ } from './dom.js';

async function act(form, body) {
  const res = await fetch(`api/actions/${form.dataset.action}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = await res.json().catch(() => ({}));
  $('command').textContent = res.ok ? answer.command : `refused: ${answer.error ?? res.status}`;
  // Done: the form may follow what it changed again (the system picture refills it).
  if (res.ok) form.dispatchEvent(new Event('applied'));
}

const on = (id, body) => $(id).addEventListener('submit', (e) => {
  e.preventDefault();
  void act(e.target, body(new FormData(e.target)));
});

export function startActions() {
  on('serve', (f) => ({ count: Number(f.get('count')), ...(f.get('target') ? { target: f.get('target') } : {}) }));
  on('flip', (f) => ({ heads: Number(f.get('heads')) }));
  on('workers', (f) => {
    const mode = f.get('mode');
    return { mode, min: Number(f.get('min')), max: Number(f.get('max')), ...(mode === 'Fixed' ? { replicas: Number(f.get('replicas')) } : {}) };
  });
  // Workers is what Fixed mode sets; min and max are Random's.
  const mode = $('workers').elements.mode;
  const sync = () => { $('workers').elements.replicas.disabled = mode.value !== 'Fixed'; };
  mode.addEventListener('change', sync);
  sync();
}

/** The players a ball may be aimed at. */
export function aimAt(names) {
  const select = $('serve').elements.target;
  const chosen = select.value;
  select.replaceChildren(new Option('a random worker', ''), ...names.map((n) => new Option(n, n)));
  select.value = names.includes(chosen) ? chosen : '';
}
