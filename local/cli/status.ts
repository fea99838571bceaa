import type { RuntimeStatus } from '../runtime/status-view.js';
import { table } from './table.js';

/**
 * `pingpong status` for people: Services, revisions, pods, Brokers, Triggers and PingSources as
 * tables, with the Ready conditions their controllers wrote to the API.
 */
export function formatStatus(s: RuntimeStatus): string {
  const services = table(['SERVICE', 'URL', 'READY', 'LATEST REVISION', 'READY PODS', 'QUEUED'],
    s.services.map((v) => [`${v.namespace}/${v.name}`, v.url, v.ready, v.latestReadyRevision ?? v.latestCreatedRevision,
      String(v.revisions.reduce((n, r) => n + r.ready, 0)), String(v.queued)]));
  const revisions = table(['REVISION', 'TRAFFIC', 'DESIRED', 'ACTUAL', 'READY', 'IN-FLIGHT'],
    s.services.flatMap((v) => v.revisions.map((r) => [r.name, `${r.traffic}%`, String(r.desired), String(r.actual), String(r.ready), String(r.inFlight)])));
  const pods = table(['POD', 'PHASE', 'READY', 'IN-FLIGHT', 'ADDRESS'],
    s.pods.map((p) => [p.name, p.terminating ? 'Terminating' : p.phase, p.ready ? 'yes' : 'no', String(p.inFlight), `${p.ip}:${p.port}`]));
  const brokers = table(['BROKER', 'URL', 'READY'], s.brokers.map((b) => [`${b.namespace}/${b.name}`, b.url, b.ready]));
  const triggers = table(['TRIGGER', 'BROKER', 'SUBSCRIBER', 'READY'],
    s.triggers.map((t) => [`${t.namespace}/${t.name}`, t.broker, t.subscriber, t.ready]));
  const pings = table(['PINGSOURCE', 'SCHEDULE', 'READY'], s.pingSources.map((p) => [`${p.namespace}/${p.name}`, p.schedule, p.ready]));
  return [services, '', revisions, '', pods.length ? pods : 'no pods', '', brokers, '', triggers, '', pings].join('\n');
}
