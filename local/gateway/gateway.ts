import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerClientErrors } from '../../lib/http/client-error.js';
import type { Serving } from '../serving/serving.js';
import { DEFAULT_DOMAIN } from '../serving/serving.js';
import { route } from './hosts.js';
import { servicesPage } from './page.js';

export interface GatewayOptions {
  /** Port to listen on (8080 by default in the CLI; 0 picks a free one). */
  port: number;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  serving: Serving;
  /** The external domain; must match Serving's (default 127.0.0.1.sslip.io). */
  domain?: string;
  /** The Service `localhost:<port>/` serves once it exists (default pingpong/history-ui). */
  ui?: { namespace: string; name: string };
}

export interface Gateway {
  port: number;
  close(): Promise<void>;
}

const text = (res: http.ServerResponse, status: number, body: string) => {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

/**
 * The ingress: one port routing by Host to a Service's activator, like Knative's ingress.
 * A Service labelled `networking.knative.dev/visibility: cluster-local` answers only its
 * cluster-local names; its external name is unknown to the ingress (404), as on a cluster.
 */
export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const { serving } = opts;
  const domain = opts.domain ?? DEFAULT_DOMAIN;
  const ui = opts.ui ?? { namespace: 'pingpong', name: 'history-ui' };
  let port = opts.port;
  const server = answerClientErrors(http.createServer((req, res) => {
    const r = route(req.headers.host, domain);
    if (r.kind === 'ui') {
      if (serving.service(ui.namespace, ui.name)) return serving.handle(ui.namespace, ui.name, req, res);
      const page = servicesPage(serving.services(), serving.pods(), port, `${ui.namespace}/${ui.name}`);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(page) });
      res.end(page);
      return;
    }
    if (r.kind === 'service') {
      const svc = serving.service(r.namespace, r.name);
      if (svc && (r.clusterLocal || svc.visibility === 'external')) return serving.handle(r.namespace, r.name, req, res);
      const why = svc ? `Service ${r.namespace}/${r.name} is cluster-local (networking.knative.dev/visibility: cluster-local); use ${new URL(svc.address).host}` : `no Knative Service ${r.namespace}/${r.name}`;
      return text(res, 404, `404 host "${req.headers.host}": ${why}\n`);
    }
    text(res, 404, `404 host "${req.headers.host ?? ''}" matches no Knative Service: use <service>.<namespace>.${domain} or <service>.<namespace>.svc.cluster.local\n`);
  }));
  // Long-lived requests (buffered at zero, slow functions) are bounded by the revision timeout, not Node's.
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
