/**
 * The Brokers and Triggers the manifests declare, read once per change into what routing and
 * delivery need, so no event has to look at a raw KubeObject.
 */
import type { Logger } from '../../lib/log.js';
import type { KubeObject } from '../../lib/kube/object.js';
import type { Destination } from '../types.js';
import type { TriggerFilterSpec } from './filter.js';
import { effectiveDelivery, type DeliverySpec } from './retry.js';

export interface TriggerEntry {
  key: string;
  namespace: string;
  name: string;
  broker: string;
  uid?: string;
  filter: TriggerFilterSpec;
  subscriber: Destination;
  delivery: DeliverySpec;
}

export interface BrokerEntry {
  key: string;
  namespace: string;
  name: string;
}

const nsOf = (o: KubeObject) => o.metadata.namespace ?? 'default';
export const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;

export class Resources {
  private brokers = new Map<string, BrokerEntry>();
  private triggersByBroker = new Map<string, TriggerEntry[]>();

  constructor(private readonly log: Logger) {}

  /**
   * Replaces the Brokers and Triggers. Triggers whose Broker does not exist are kept and start
   * receiving once it does, as Knative's do.
   */
  set(brokers: readonly KubeObject[], triggers: readonly KubeObject[]): void {
    const nextBrokers = new Map<string, BrokerEntry>();
    const brokerDelivery = new Map<string, unknown>();
    for (const b of brokers) {
      const key = keyOf(nsOf(b), b.metadata.name);
      nextBrokers.set(key, { key, namespace: nsOf(b), name: b.metadata.name });
      brokerDelivery.set(key, b.spec?.delivery);
    }
    const next = new Map<string, TriggerEntry[]>();
    for (const t of triggers) {
      const namespace = nsOf(t);
      const broker: unknown = t.spec?.broker ?? t.spec?.brokerRef?.name;
      if (typeof broker !== 'string' || broker === '') {
        this.log.warn({ trigger: keyOf(namespace, t.metadata.name) }, 'trigger has no spec.broker; ignored');
        continue;
      }
      const brokerKey = keyOf(namespace, broker);
      const entry: TriggerEntry = {
        key: keyOf(namespace, t.metadata.name),
        namespace,
        name: t.metadata.name,
        broker,
        uid: typeof t.metadata.uid === 'string' ? t.metadata.uid : undefined,
        filter: { filter: t.spec?.filter, filters: t.spec?.filters },
        subscriber: t.spec?.subscriber ?? {},
        delivery: effectiveDelivery(t.spec?.delivery, brokerDelivery.get(brokerKey)),
      };
      const list = next.get(brokerKey) ?? [];
      list.push(entry);
      next.set(brokerKey, list);
    }
    this.brokers = nextBrokers;
    this.triggersByBroker = next;
  }

  hasBroker(key: string): boolean {
    return this.brokers.has(key);
  }

  hasTrigger(key: string): boolean {
    for (const list of this.triggersByBroker.values()) if (list.some((t) => t.key === key)) return true;
    return false;
  }

  brokerList(): BrokerEntry[] {
    return [...this.brokers.values()];
  }

  /** The Triggers of one Broker, existing or not. */
  triggersOf(brokerKey: string): readonly TriggerEntry[] {
    return this.triggersByBroker.get(brokerKey) ?? [];
  }

  /** Every Trigger, Broker by Broker. */
  triggerList(): TriggerEntry[] {
    return [...this.triggersByBroker.values()].flat();
  }
}
