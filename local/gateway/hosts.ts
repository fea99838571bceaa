/** Where a request's Host header sends it (pure). */
export type Route =
  | { kind: 'ui' }
  | { kind: 'service'; name: string; namespace: string; clusterLocal: boolean }
  | { kind: 'unknown'; host: string };

const LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** The host name of a Host header: lowercased, port and trailing dot removed. */
export function hostName(header: string | undefined): string {
  const h = (header ?? '').trim().toLowerCase();
  const bare = h.startsWith('[') ? h.slice(0, h.indexOf(']') + 1) : h.replace(/:\d*$/, '');
  return bare.replace(/\.$/, '');
}

/**
 * Knative's host names for a Service: `<svc>.<ns>.<domain>` from outside (the external domain,
 * 127.0.0.1.sslip.io here) and, inside the cluster, `<svc>.<ns>.svc.cluster.local` with the short
 * forms the cluster's DNS search path accepts (`<svc>.<ns>.svc`, `<svc>.<ns>`). Loopback names go
 * to the UI.
 */
export function route(header: string | undefined, domain: string): Route {
  const host = hostName(header);
  if (LOOPBACK.has(host)) return { kind: 'ui' };
  const m = new RegExp(`^(${LABEL})\\.(${LABEL})(?:\\.(.+))?$`).exec(host);
  if (m) {
    const [name, namespace, rest] = [m[1]!, m[3]!, m[5]];
    if (rest === domain.toLowerCase()) return { kind: 'service', name, namespace, clusterLocal: false };
    if (rest === undefined || rest === 'svc' || rest === 'svc.cluster.local') return { kind: 'service', name, namespace, clusterLocal: true };
  }
  return { kind: 'unknown', host };
}
