import type { RuntimeStatus } from '../runtime/up.js';
import { table } from './table.js';

/** `pingpong status` for people: Services, revisions, pods and Triggers, as tables. */
export function formatStatus(s: RuntimeStatus): string {
  const services = table(['SERVICE', 'URL', 'LATEST REVISION', 'READY PODS', 'QUEUED'],
    s.services.map((v) => [`${v.namespace}/${v.name}`, v.url, v.latestReadyRevision ?? v.latestCreatedRevision,
      String(v.revisions.reduce((n, r) => n + r.ready, 0)), String(v.queued)]));
  const revisions = table(['REVISION', 'TRAFFIC', 'DESIRED', 'ACTUAL', 'READY', 'IN-FLIGHT'],
    s.services.flatMap((v) => v.revisions.map((r) => [r.name, `${r.traffic}%`, String(r.desired), String(r.actual), String(r.ready), String(r.inFlight)])));
  const pods = table(['POD', 'PHASE', 'READY', 'IN-FLIGHT', 'ADDRESS'],
    s.pods.map((p) => [p.name, p.terminating ? 'Terminating' : p.phase, p.ready ? 'yes' : 'no', String(p.inFlight), `${p.ip}:${p.port}`]));
  const triggers = table(['TRIGGER', 'BROKER', 'SUBSCRIBER'],
    s.triggers.map((t) => [`${t.namespace}/${t.name}`, t.broker, t.subscriber]));
  return [services, '', revisions, '', pods.length ? pods : 'no pods', '', triggers].join('\n');
}
