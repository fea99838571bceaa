/**
 * The Broker and Trigger controller: the local Broker routes by what the API holds — a Trigger
 * applied, edited or deleted with kubectl changes where events go at once — and each object's
 * status says whether it is Ready and why not, with Knative's condition types and reasons.
 */
import type { ObjectStore } from '../apiserver/index.js';
import type { Destination, Resolve } from '../types.js';
import { displayUrl } from '../runtime/resolve.js';
import { failed, ok, withReady, type Condition } from './conditions.js';
import { watchAll } from './watch-all.js';
import { writeStatus } from './status-writer.js';
import type { KubeObject } from '../../lib/kube/object.js';

/** What the controller drives: the Broker's routing table and its ingress addresses. */
export interface BrokerDataPlane {
  setResources(brokers: readonly KubeObject[], triggers: readonly KubeObject[]): void;
  url(namespace: string, name: string): string | undefined;
}

export interface EventingStores {
  brokers: ObjectStore;
  triggers: ObjectStore;
  /** Knative Services, for a subscriber ref to one to resolve only if it exists. */
  services: ObjectStore;
}

const nsOf = (o: KubeObject) => o.metadata.namespace ?? 'default';

/** A Destination's URL if what it refers to exists (a ref to a missing Service resolves to nothing). */
export function resolveExisting(dest: Destination | undefined, namespace: string, resolve: Resolve, stores: EventingStores): string | undefined {
  if (!dest) return undefined;
  if (dest.ref) {
    const ns = dest.ref.namespace ?? namespace;
    const store = dest.ref.kind === 'Service' && dest.ref.apiVersion.startsWith('serving.knative.dev/') ? stores.services
      : dest.ref.kind === 'Broker' && dest.ref.apiVersion.startsWith('eventing.knative.dev/') ? stores.brokers : undefined;
    if (!store?.get(ns, dest.ref.name)) return undefined;
  }
  const target = resolve(dest, namespace);
  return target && displayUrl(target);
}

function brokerConditions(address: string | undefined): Condition[] {
  return withReady(address
    ? [ok('Addressable'), ok('FilterReady'), ok('IngressReady'), ok('TriggerChannelReady')]
    : [failed('IngressReady', 'NotListening', 'the Broker ingress is not listening')]);
}

function triggerStatus(t: KubeObject, resolve: Resolve, stores: EventingStores): { conditions: Condition[]; subscriberUri?: string } {
  const spec = t.spec as { broker?: string; subscriber?: Destination; delivery?: { deadLetterSink?: Destination } };
  const conditions: Condition[] = [];
  const broker = spec.broker ? stores.brokers.get(nsOf(t), spec.broker) : undefined;
  const brokerReady = (broker?.status as { conditions?: Condition[] } | undefined)?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  conditions.push(broker ? (brokerReady ? ok('BrokerReady') : failed('BrokerReady', 'BrokerNotReady', `Broker "${spec.broker}" is not ready`))
    : failed('BrokerReady', 'BrokerDoesNotExist', `Broker "${spec.broker}" does not exist`));
  const subscriberUri = resolveExisting(spec.subscriber, nsOf(t), resolve, stores);
  conditions.push(subscriberUri ? ok('SubscriberResolved')
    : failed('SubscriberResolved', "Unable to get the Subscriber's URI", `failed to get ref ${JSON.stringify(spec.subscriber?.ref ?? spec.subscriber?.uri ?? null)}: not found`));
  if (spec.delivery?.deadLetterSink) {
    conditions.push(resolveExisting(spec.delivery.deadLetterSink, nsOf(t), resolve, stores) ? ok('DeadLetterSinkResolved')
      : failed('DeadLetterSinkResolved', 'Unable to get the dead letter sink\'s URI', 'the dead letter sink does not resolve'));
  } else conditions.push(ok('DeadLetterSinkResolved'));
  conditions.push(ok('DependencyReady'), ok('SubscriptionReady'));
  return { conditions: withReady(conditions), ...(subscriberUri ? { subscriberUri } : {}) };
}

/**
 * Reconciles every Broker and Trigger on each change of either (level-based: the whole set each
 * time, which is cheap at this size). Returns a function that stops it.
 */
export function startEventingController(stores: EventingStores, dataPlane: BrokerDataPlane, resolve: Resolve): () => void {
  return watchAll([stores.brokers, stores.triggers, stores.services], () => {
    const brokers = stores.brokers.list().items as KubeObject[];
    const triggers = stores.triggers.list().items as KubeObject[];
    dataPlane.setResources(brokers, triggers);
    for (const b of brokers) {
      const url = dataPlane.url(nsOf(b), b.metadata.name);
      writeStatus(stores.brokers, b, { conditions: brokerConditions(url), ...(url ? { address: { url } } : {}) });
    }
    // After the Brokers' statuses, which a Trigger's readiness reads.
    for (const t of stores.triggers.list().items) writeStatus(stores.triggers, t, triggerStatus(t, resolve, stores));
  });
}
