/**
 * The PingSource controller: the clocks follow the API — a PingSource applied starts ticking, an
 * edited one restarts with its new schedule, a deleted one stops — and each status says whether
 * its sink resolves (SinkProvided) and its schedule runs (Deployed).
 */
import type { ObjectStore } from '../apiserver/index.js';
import type { Destination, Resolve } from '../types.js';
import type { PingSources } from '../pingsource/index.js';
import { failed, ok, withReady } from './conditions.js';
import { resolveExisting, type EventingStores } from './eventing.js';
import { watchAll } from './watch-all.js';
import { writeStatus } from './status-writer.js';
import type { KubeObject } from '../../lib/kube/object.js';

export function startPingSourceController(pingSources: ObjectStore, stores: EventingStores, clocks: PingSources, resolve: Resolve): () => void {
  return watchAll([pingSources, stores.brokers, stores.services], () => {
    const sources = pingSources.list().items as KubeObject[];
    clocks.update(sources);
    const stats = clocks.stats();
    for (const s of sources) {
      const ns = s.metadata.namespace ?? 'default';
      const sinkUri = resolveExisting(s.spec?.sink as Destination | undefined, ns, resolve, stores);
      const error = stats.find((x) => x.namespace === ns && x.name === s.metadata.name)?.error;
      writeStatus(pingSources, s, {
        conditions: withReady([
          sinkUri ? ok('SinkProvided') : failed('SinkProvided', 'NotFound', 'the sink does not resolve to an addressable'),
          error ? failed('Deployed', 'InvalidSchedule', error) : ok('Deployed'),
        ]),
        ...(sinkUri ? { sinkUri } : {}),
      });
    }
  });
}
