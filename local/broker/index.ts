/** The local Broker: ingress, Trigger filters, deliveries with Knative's retry and dead-letter rules. */
export { LocalBroker, DEFAULT_LIMITS } from './broker.js';
export { REPLY_RESERVE, REORDER_MAX_DELAY_MS } from './routing.js';
export type { LocalBrokerOptions } from './broker.js';
export { ARRIVAL_TIME_EXTENSION } from './routing.js';
export type { BrokerStats, TriggerStats, BrokerStatsSnapshot, BrokerLoad } from './stats.js';
export type { IngestResult } from './ingress.js';
export type { WireEvent } from '../../lib/cloudevents/message.js';
export { decodeMessage, binaryMessage } from '../../lib/cloudevents/message.js';
export { post, TransportError, destinationUrl } from './deliver.js';
export { triggerMatches, evaluateFilter, matchAttributes, UnsupportedFilter } from './filter.js';
export { effectiveDelivery, backoffMs, attempts, isRetriable, isSuccess, DEFAULT_BROKER_DELIVERY } from './retry.js';
export { TTL_EXTENSION, DEFAULT_MAX_TTL } from './ttl.js';
export { ERROR_DEST, ERROR_CODE, ERROR_DATA } from './dead-letter.js';
