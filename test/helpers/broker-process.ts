/**
 * A LocalBroker alone in its own process, so a test can measure its memory (RSS) and nothing
 * else's: `node --import tsx test/helpers/broker-process.ts`, with an IPC channel (bench/
 * broker-process.ts does the same for the benchmark). Commands, each answered `{ id, result }` or
 * `{ id, error }`:
 * - `start {options, brokers, triggers}`: a LocalBroker with those options (limits, modes) and
 *   resources, listening on a free port; answers the port;
 * - `stats`: the Broker's counters and load; `idle`: waits until no delivery is waiting or running.
 * When the channel closes (the test is gone, however it went), the process exits.
 */
import { pino } from 'pino';
import { LocalBroker, type LocalBrokerOptions } from '../../local/broker/index.js';
import type { KubeObject } from '../../lib/kube/object.js';

if (!process.send) throw new Error('started by a test only, with an IPC channel');
const send = process.send.bind(process);
process.on('disconnect', () => process.exit(0));

let broker: LocalBroker | undefined;
const need = (): LocalBroker => {
  if (!broker) throw new Error('no broker: send start first');
  return broker;
};

type Options = Omit<LocalBrokerOptions, 'resolve' | 'log' | 'record' | 'now'>;
const handlers: Record<string, (args: Record<string, unknown>) => unknown> = {
  start: async (args) => {
    broker = new LocalBroker({ ...(args.options as Options), resolve: (d) => (d.uri ? { url: d.uri } : undefined), log: pino({ level: 'silent' }) });
    broker.setResources(args.brokers as KubeObject[], args.triggers as KubeObject[]);
    return broker.listen(0);
  },
  stats: () => need().stats(),
  idle: () => need().idle().then(() => true),
};

process.on('message', (m: { id: number; cmd: string; args?: Record<string, unknown> }) => {
  void (async () => {
    const handler = handlers[m.cmd];
    if (!handler) throw new Error(`no command "${m.cmd}"`);
    return handler(m.args ?? {});
  })().then((result) => send({ id: m.id, result }), (e: unknown) => send({ id: m.id, error: (e as Error).message }));
});
send({ id: 0 });
