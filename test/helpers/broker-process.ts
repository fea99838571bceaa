/**
 * A LocalBroker alone in its own process, so a test can measure its memory (RSS) and nothing
 * else's: `node --import tsx test/helpers/broker-process.ts`, driven over its IPC channel
 * (./commands.ts). Commands:
 * - `start {options, brokers, triggers}`: a LocalBroker with those options (limits, modes) and
 *   resources, listening on a free port; answers the port;
 * - `stats`: the Broker's counters and load; `idle`: waits until no delivery is waiting or running.
 */
import { pino } from 'pino';
import { LocalBroker, type LocalBrokerOptions } from '../../local/broker/index.js';
import type { KubeObject } from '../../lib/kube/object.js';
import { serveCommands, type Handlers } from './commands.js';

let broker: LocalBroker | undefined;
const need = (): LocalBroker => {
  if (!broker) throw new Error('no broker: send start first');
  return broker;
};

type Options = Omit<LocalBrokerOptions, 'resolve' | 'log' | 'record' | 'now'>;
const handlers: Handlers = {
  start: async (args) => {
    broker = new LocalBroker({ ...(args.options as Options), resolve: (d) => (d.uri ? { url: d.uri } : undefined), log: pino({ level: 'silent' }) });
    broker.setResources(args.brokers as KubeObject[], args.triggers as KubeObject[]);
    return broker.listen(0);
  },
  stats: () => need().stats(),
  idle: () => need().idle().then(() => true),
};

serveCommands(handlers);
