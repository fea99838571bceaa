/**
 * The Broker's counters and the snapshot `pingpong status` shows. Routing and delivery only
 * increment; the shape the runtime reads is defined once, here.
 */
import type { WorkQueue } from './queue.js';
import type { Resources } from './resources.js';

/** Counters for one Trigger, for `pingpong status`. */
export interface TriggerStats {
  namespace: string;
  name: string;
  broker: string;
  /** Deliveries the subscriber accepted (2xx, and its reply if any was accepted by the Broker). */
  delivered: number;
  /** Deliveries that failed after their last attempt. */
  failed: number;
  /** Failed deliveries the dead-letter sink accepted. */
  deadLettered: number;
  /** Failed deliveries lost: no dead-letter sink, or it failed too. */
  dropped: number;
  /** Replies re-ingested into the Broker. */
  replies: number;
  /** Extra deliveries made by the Broker's duplicate mode (0 unless it is on). */
  duplicates: number;
  /** Deliveries waiting for a slot, and running (including backoff waits). */
  pending: number;
  inFlight: number;
}

/** Counters for one Broker. */
export interface BrokerStats {
  namespace: string;
  name: string;
  /** Ingress address once listening. */
  url?: string;
  /** Events accepted (202), replies included. */
  received: number;
  /** Events refused (TTL exhausted, queue full). */
  rejected: number;
}

/** What the Broker holds now, against its bounds (the README's "Bounds"). */
export interface BrokerLoad {
  /** Deliveries waiting across all Triggers, and the bound. */
  waiting: number;
  maxQueued: number;
  /** Bytes of events held by deliveries waiting or running, and the bound. */
  bytes: number;
  maxQueuedBytes: number;
  /** Per-Trigger queues kept (each removed once its Trigger is gone and its deliveries ended). */
  queues: number;
}

export interface BrokerStatsSnapshot {
  brokers: BrokerStats[];
  triggers: TriggerStats[];
  load?: BrokerLoad;
}

/** What is counted for a Trigger; the rest of TriggerStats is its identity and its queue. */
export type TriggerCounters = Omit<TriggerStats, 'namespace' | 'name' | 'broker' | 'pending' | 'inFlight'>;
export type BrokerCounters = Pick<BrokerStats, 'received' | 'rejected'>;

/**
 * Counters by Broker or Trigger key; they outlive resource changes while deliveries of a removed
 * Trigger run, and go with its queue (routing's retire), so created-and-deleted Triggers leave nothing.
 */
export class Counters {
  private readonly triggers = new Map<string, TriggerCounters>();
  private readonly brokers = new Map<string, BrokerCounters>();

  trigger(key: string): TriggerCounters {
    let c = this.triggers.get(key);
    if (!c) {
      c = { delivered: 0, failed: 0, deadLettered: 0, dropped: 0, replies: 0, duplicates: 0 };
      this.triggers.set(key, c);
    }
    return c;
  }

  /** Forgets a Trigger's counters, once it is gone and its deliveries have ended. */
  forget(triggerKey: string): void {
    this.triggers.delete(triggerKey);
  }

  /** Forgets the counters of Brokers not in `declared`. */
  keepBrokers(declared: ReadonlySet<string>): void {
    for (const key of this.brokers.keys()) if (!declared.has(key)) this.brokers.delete(key);
  }

  broker(key: string): BrokerCounters {
    let c = this.brokers.get(key);
    if (!c) {
      c = { received: 0, rejected: 0 };
      this.brokers.set(key, c);
    }
    return c;
  }

  /** The counters of the Brokers and Triggers declared now. */
  snapshot(
    resources: Resources,
    queue: (triggerKey: string) => WorkQueue | undefined,
    url: (namespace: string, name: string) => string | undefined,
  ): BrokerStatsSnapshot {
    const brokers = resources.brokerList().map((b) => ({
      namespace: b.namespace,
      name: b.name,
      ...(url(b.namespace, b.name) ? { url: url(b.namespace, b.name) } : {}),
      ...(this.brokers.get(b.key) ?? { received: 0, rejected: 0 }),
    }));
    const triggers: TriggerStats[] = resources.triggerList().map((t) => {
      const q = queue(t.key);
      return { namespace: t.namespace, name: t.name, broker: t.broker, ...this.trigger(t.key), pending: q?.pending ?? 0, inFlight: q?.running ?? 0 };
    });
    return { brokers, triggers };
  }
}
