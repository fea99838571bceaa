/**
 * The Knative wiring as the page draws it, pure: the Broker's Triggers with their filters and
 * subscribers, each Service with its current revision and how many pods it runs (none: at zero),
 * and each PingSource with its schedule and its next tick (croner, as the PingSource adapter).
 */
import { Cron } from 'croner';
import type { KubeObject } from '../../lib/kube/object.js';
import { isReady, type PodLike } from '../../lib/kube/pods.js';

export interface SystemView {
  triggers: Array<{ name: string; broker: string; filter: string; subscriber: string; ready: string }>;
  services: Array<{ name: string; url: string; revision: string; ready: string; pods: number; atZero: boolean }>;
  pingSources: Array<{ name: string; schedule: string; next: string | null; sink: string }>;
}

const ready = (o: KubeObject) => String((o.status?.conditions as Array<{ type: string; status: string }> | undefined)?.find((c) => c.type === 'Ready')?.status ?? 'Unknown');
const ref = (d: { ref?: { kind?: string; name?: string }; uri?: string } | undefined) =>
  d?.ref ? `${d.ref.kind}/${d.ref.name}${d.uri ?? ''}` : d?.uri ?? '';

/** A Trigger's filter as one line: `type=… source=…`, or the `filters` dialects as written. */
export function filterText(spec: { filter?: { attributes?: Record<string, string> }; filters?: unknown[] } | undefined): string {
  if (spec?.filters?.length) return JSON.stringify(spec.filters);
  const attrs = Object.entries(spec?.filter?.attributes ?? {});
  return attrs.length ? attrs.map(([k, v]) => `${k}=${v}`).join(' ') : '(everything)';
}

export function nextTick(schedule: string, timezone: string | undefined, now: Date): string | null {
  try {
    const next = new Cron(schedule, { mode: '5-or-6-parts', paused: true, ...(timezone ? { timezone } : {}) }).nextRun(now);
    return next ? next.toISOString() : null;
  } catch {
    return null;
  }
}

export function systemView(objects: { services: readonly KubeObject[]; triggers: readonly KubeObject[]; pingSources: readonly KubeObject[]; pods: readonly PodLike[] }, now: Date): SystemView {
  const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name);
  return {
    triggers: objects.triggers.map((t) => ({
      name: t.metadata.name, broker: String(t.spec?.broker ?? ''), filter: filterText(t.spec),
      subscriber: ref(t.spec?.subscriber), ready: ready(t),
    })).sort(byName),
    services: objects.services.map((s) => {
      const pods = objects.pods.filter((p) => p.metadata?.labels?.['serving.knative.dev/service'] === s.metadata.name && isReady(p)).length;
      return {
        name: s.metadata.name, url: String(s.status?.url ?? ''), revision: String(s.status?.latestReadyRevisionName ?? s.status?.latestCreatedRevisionName ?? ''),
        ready: ready(s), pods, atZero: pods === 0,
      };
    }).sort(byName),
    pingSources: objects.pingSources.map((p) => ({
      name: p.metadata.name, schedule: String(p.spec?.schedule ?? ''), next: nextTick(String(p.spec?.schedule ?? ''), p.spec?.timezone, now), sink: ref(p.spec?.sink),
    })).sort(byName),
  };
}
