// Small helpers the page's modules share.
export const $ = (id) => document.getElementById(id);

/** A list item: its text, a detail in code type, and a class. */
export function item(text, detail, cls) {
  const li = document.createElement('li');
  if (cls) li.className = cls;
  li.append(document.createTextNode(text));
  if (detail) { const c = document.createElement('code'); c.textContent = ` ${detail}`; li.append(c); }
  return li;
}

/** hh:mm:ss of an ISO time, as the page shows times. */
export const clock = (iso) => (iso ? iso.slice(11, 19) : '');

// A panel is read again at most once a second, however many events say it changed (a rollout
// brings tens of pod events, a busy table hundreds of endings).
const pending = new Set();
export function soon(load) {
  if (pending.has(load)) return;
  pending.add(load);
  setTimeout(() => { pending.delete(load); void load(); }, 1000);
}

/** GET a JSON endpoint of history-ui; undefined when it did not answer 200. */
export async function getJson(path) {
  const res = await fetch(path);
  return res.ok ? res.json() : undefined;
}
