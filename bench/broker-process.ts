/**
 * The processes bench/broker.ts measures, one role each, so the load generator, the Broker and
 * the sink never share an event loop: `node <this file bundled> <role> <port>`, as bench/broker.ts runs it.
 *
 * - `broker`: a LocalBroker; `setup` replaces its Broker and Triggers, `drain` waits until it is
 *   idle and answers its counters.
 * - `sink`: answers 202 at once and counts requests by path (each Trigger has its own path);
 *   an event carrying the `senttime` extension also leaves its arrival − send, in ms.
 * - `bare`: the plainest Node HTTP server, the ceiling any Node server here can reach.
 *
 * Commands come over the IPC channel the parent opens (test/helpers/commands.ts); the process
 * says it is ready once its server listens, and exits when the channel closes, so no benchmark
 * leaves a server behind.
 */
import http from 'node:http';
import { pino } from 'pino';
import { LocalBroker } from '../local/broker/index.js';
import { serveCommands, type Handlers } from '../test/helpers/commands.js';

/** Milliseconds on the wall clock with sub-millisecond resolution, comparable across processes. */
const now = (): number => performance.timeOrigin + performance.now();

/** What the sink saw since its last reset. */
export interface SinkReport {
  counts: Record<string, number>;
  /** Arrival of the first and last request (`now()`), 0 when none came. */
  first: number;
  last: number;
  /** arrival − `senttime` of each event that carried one, in ms. */
  latencies: number[];
}

export type Role = 'broker' | 'sink' | 'bare';
const NAMESPACE = 'bench';

const handlers: Handlers = {};

function sinkServer(): http.Server {
  let report: SinkReport = { counts: {}, first: 0, last: 0, latencies: [] };
  handlers.reset = () => { report = { counts: {}, first: 0, last: 0, latencies: [] }; };
  handlers.report = () => report;
  return http.createServer((req, res) => {
    // Arrival is when the headers are in: the body's transfer is the same for every path measured.
    const at = now();
    const path = req.url ?? '/';
    report.counts[path] = (report.counts[path] ?? 0) + 1;
    if (report.first === 0) report.first = at;
    report.last = at;
    const sent = req.headers['ce-senttime'];
    if (typeof sent === 'string') report.latencies.push(at - Number(sent));
    req.resume();
    req.on('end', () => {
      res.writeHead(202, { 'content-length': 0 });
      res.end();
    });
  });
}

function brokerServer(): LocalBroker {
  const broker = new LocalBroker({ resolve: (d) => (d.uri ? { url: d.uri } : undefined), log: pino({ level: 'silent' }) });
  // A fresh Broker name per run starts every counter at zero, and the process stays warm.
  handlers.setup = (args) => {
    const name = String(args.name);
    const triggers = Array.from({ length: Number(args.triggers) }, (_, i) => `${name}-t${i}`);
    broker.setResources(
      [{ apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name, namespace: NAMESPACE }, spec: {} }],
      triggers.map((t) => ({ apiVersion: 'eventing.knative.dev/v1', kind: 'Trigger', metadata: { name: t, namespace: NAMESPACE },
        spec: { broker: name, subscriber: { uri: `${String(args.sink)}/${t}` } } })),
    );
    return `/${NAMESPACE}/${name}`;
  };
  handlers.drain = async () => {
    // Requests autocannon cut off may still be in the socket buffers: let them be answered first.
    await new Promise((r) => setTimeout(r, 100));
    await broker.idle();
    return broker.stats();
  };
  return broker;
}

const [role, portText] = process.argv.slice(2) as [Role, string];
const port = Number(portText);
if (!Number.isInteger(port)) throw new Error('started by bench/broker.ts only: <broker|sink|bare> <port>, with an IPC channel');
// Exit (not die) on SIGTERM, so a --cpu-prof profile is written.
process.on('SIGTERM', () => process.exit(0));

async function listen(): Promise<void> {
  if (role === 'broker') {
    await brokerServer().listen(port);
    return;
  }
  const server = role === 'sink' ? sinkServer() : http.createServer((q, s) => { q.resume(); q.on('end', () => s.end()); });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
}
serveCommands(handlers, listen());
