/** PingSources: cron schedules that send Knative's ping event to a sink. */
export { startPingSources } from './pingsource.js';
export type { PingSources, PingSourceOptions, PingSourceStats, Send } from './pingsource.js';
export { pingEvent, cronSchedule, isRetriableSend, sendBackoffMs, PING_EVENT_TYPE, pingSourceUri } from './event.js';
