import type { Destination, Target } from '../types.js';

export interface Endpoints { gatewayPort: number; brokerPort: number; host?: string }

/**
 * Knative's destination resolution, locally: a Knative Service resolves to the gateway with its
 * cluster-local Host, a Broker to the local ingress `/<ns>/<name>`, a `uri` to itself, and a
 * `ref` + relative `uri` to the uri resolved against the ref's URL.
 */
export function destinationResolver(ep: Endpoints): (dest: Destination, namespace: string) => Target | undefined {
  const host = ep.host ?? '127.0.0.1';
  return (dest, namespace) => {
    if (!dest.ref) {
      if (!dest.uri) return undefined;
      try {
        return { url: new URL(dest.uri).href };
      } catch {
        return undefined;
      }
    }
    const { apiVersion, kind, name } = dest.ref;
    const ns = dest.ref.namespace ?? namespace;
    let base: Target;
    if (apiVersion.startsWith('serving.knative.dev/') && kind === 'Service') {
      base = { url: `http://${host}:${ep.gatewayPort}/`, host: `${name}.${ns}.svc.cluster.local` };
    } else if (apiVersion.startsWith('eventing.knative.dev/') && kind === 'Broker') {
      base = { url: `http://${host}:${ep.brokerPort}/${ns}/${name}` };
    } else {
      return undefined;
    }
    if (!dest.uri) return base;
    return { ...base, url: new URL(dest.uri, base.url).href };
  };
}

/** How a resolved target is shown to people: the URL as a cluster would have it. */
export const displayUrl = (t: Target): string => (t.host ? t.url.replace(/\/\/[^/]+/, `//${t.host}`) : t.url);
