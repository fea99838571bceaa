import type { PodRecord } from '../types.js';
import type { ServiceStatus } from '../serving/serving.js';

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The page `localhost:<port>/` shows until the UI Service exists: every Service, how to reach it
 * through this gateway, and its pods.
 */
export function servicesPage(services: ServiceStatus[], pods: PodRecord[], port: number, ui: string): string {
  const rows = services.map((s) => {
    const host = new URL(s.url).host;
    const external = s.visibility === 'external'
      ? `<a href="http://${esc(host)}:${port}/">http://${esc(host)}:${port}/</a>`
      : '<em>cluster-local: reachable only as</em>';
    const local = `curl -H 'Host: ${esc(new URL(s.address).host)}' http://localhost:${port}/`;
    const revisions = s.revisions.map((r) => `${esc(r.name)} (${r.traffic}% traffic, ${r.ready}/${r.desired} ready)`).join('<br>');
    const podList = pods.filter((p) => p.namespace === s.namespace && p.service === s.name).map((p) =>
      `<li><code>${esc(p.name)}</code> ${p.terminating ? 'Terminating' : p.ready ? 'Ready' : esc(p.phase)} · ${p.inFlight} in flight · :${p.port}</li>`).join('');
    return `<tr><td>${esc(s.namespace)}</td><td><b>${esc(s.name)}</b></td><td>${external}<br><code>${local}</code></td>`
      + `<td>${revisions}</td><td><ul>${podList || '<li>none (scaled to zero)</li>'}</ul></td></tr>`;
  }).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Knative Ping-Pong — local gateway</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.4rem;vertical-align:top;text-align:left}ul{margin:0;padding-left:1rem}</style>
</head><body>
<h1>Knative Services on this machine</h1>
<p>The UI (${esc(ui)}) is not running yet; this page lists what is.</p>
<table><thead><tr><th>Namespace</th><th>Service</th><th>URL</th><th>Revisions</th><th>Pods</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="5">No Services yet.</td></tr>'}
</tbody></table>
</body></html>
`;
}
