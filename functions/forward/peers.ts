/**
 * Who plays, pure: the peers a worker pings (every ready worker but itself), whether a ball's
 * target is still there, and the pod lister's page in HTML (the list is lib/kube/pods.ts').
 */
import { isLive, newestReadyRevision, revisionOf, type Peer, type PodLike } from '../../lib/kube/pods.js';

/** The peers a worker pings: every live worker but itself, with an address to reach. */
export const othersOf = (peers: readonly Peer[], self: string): Peer[] => peers.filter((p) => p.name !== self && p.ip && p.port);

/**
 * True while a ball aimed at `target` can still be caught: its pod is in the pool (not deleted,
 * not finished) and of the newest ready revision; a pod of a replaced revision takes no traffic.
 */
export function targetPresent(pods: readonly PodLike[], target: string): boolean {
  const pod = pods.find((p) => p.metadata?.name === target);
  if (!pod || !isLive(pod)) return false;
  const newest = newestReadyRevision(pods);
  return newest === undefined || revisionOf(pod) >= newest;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The pod lister's page for a browser: the IPs of the live workers, which worker answered, when. */
export function peersPage(peers: readonly Peer[], self: string, now: Date): string {
  const rows = peers.map((p) => `<tr${p.name === self ? ' class="self"' : ''}><td>${escape(p.name)}</td><td>${escape(p.ip)}:${p.port}</td><td>${escape(p.revision)}</td><td>${escape(p.since)}</td></tr>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Workers (${peers.length})</title>
<meta http-equiv="refresh" content="2">
<style>body{font:14px system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{padding:.3rem .8rem;text-align:left;border-bottom:1px solid #ddd}.self{font-weight:600}</style>
</head><body>
<h1>${peers.length} live worker${peers.length === 1 ? '' : 's'}</h1>
<table><thead><tr><th>pod</th><th>address</th><th>revision</th><th>since</th></tr></thead>
<tbody>${rows.join('')}</tbody></table>
<p>Answered by ${escape(self)} at ${now.toISOString()}; refreshes every 2 s. As JSON: <code>curl -H 'Accept: application/json' …/peers</code></p>
</body></html>
`;
}

/** HTML for a browser (Accept names text/html first), JSON for everyone else. */
export const wantsHtml = (accept: string | undefined): boolean => {
  const first = (accept ?? '').split(',')[0]?.trim().toLowerCase() ?? '';
  return first.startsWith('text/html');
};
