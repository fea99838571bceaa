/**
 * The Knative wiring as the page draws it, pure: the Broker's Triggers with their filters and
 * subscribers, each Service with its current revision and how many pods it runs (none: at zero),
 * and each PingSource with its schedule and its next tick (croner, as the PingSource adapter).
 */
import { Cron } from 'croner';
import type { KubeObject } from '../../lib/kube/object.js';
import { isReady, type PodLike } from '../../lib/kube/pods.js';

export interface TableView { name: string; mode: string; min?: number; max?: number; replicas?: number; workers?: number; revision?: string; ready: string }

export interface SystemView {
  /** `takes`: the event types the Trigger surely takes (the alternatives of its filter on type alone), for the page to light it. */
  triggers: Array<{ name: string; broker: string; filter: string; subscriber: string; ready: string; takes: string[] }>;
  services: Array<{ name: string; url: string; revision: string; ready: string; pods: number; atZero: boolean }>;
  pingSources: Array<{ name: string; schedule: string; next: string | null; sink: string }>;
  /** The PingPongTable the workers follow, as its spec asks and its status says; null until read. */
  table: TableView | null;
}

const ready = (o: KubeObject) => String((o.status?.conditions as Array<{ type: string; status: string }> | undefined)?.find((c) => c.type === 'Ready')?.status ?? 'Unknown');
const ref = (d: { ref?: { kind?: string; name?: string }; uri?: string } | undefined) =>
  d?.ref ? `${d.ref.kind}/${d.ref.name}${d.uri ?? ''}` : d?.uri ?? '';

type Dialect = { exact?: Record<string, string>; prefix?: Record<string, string>; suffix?: Record<string, string>;
  all?: Dialect[]; any?: Dialect[]; not?: Dialect; cesql?: string };

const pairs = (m: Record<string, string> | undefined, verb: string) => Object.entries(m ?? {}).map(([k, v]) => `${k} ${verb} ${v}`);
/** One filter dialect (Knative's `filters`) in words; `nested` adds the parentheses a part needs. */
function dialectText(d: Dialect, nested = false): string {
  const wrap = (parts: string[], joiner: string) => (parts.length > 1 && nested ? `(${parts.join(joiner)})` : parts.join(joiner));
  if (d.any) {
    // Exact matches on one attribute read best as a list: "type is one of a, b, c".
    const single = (x: Dialect) => (x.exact && Object.keys(x).length === 1 && Object.keys(x.exact).length === 1 ? Object.entries(x.exact)[0] : undefined);
    const lists = new Map<string, string[]>();
    for (const x of d.any) { const e = single(x); if (e) lists.set(e[0], [...lists.get(e[0]) ?? [], e[1]]); }
    const parts: string[] = [];
    for (const x of d.any) {
      const e = single(x);
      const list = e && lists.get(e[0]);
      if (!e || !list || list.length < 2) parts.push(dialectText(x, true));
      else if (list[0] === e[1]) parts.push(`${e[0]} is one of ${list.join(', ')}`);
    }
    return wrap(parts, ' or ');
  }
  if (d.all) return wrap(d.all.map((x) => dialectText(x, true)), ' and ');
  if (d.not) return `not ${dialectText(d.not, true)}`;
  if (d.cesql !== undefined) return `CESQL: ${d.cesql}`;
  return wrap([...pairs(d.exact, '='), ...pairs(d.prefix, 'starts with'), ...pairs(d.suffix, 'ends with')], ' and ');
}

/** A Trigger's filter in words: `type = …`, its `filters` dialects spelled out, or everything. */
export function filterText(spec: { filter?: { attributes?: Record<string, string> }; filters?: Dialect[] } | undefined): string {
  if (spec?.filters?.length) return spec.filters.map((d) => dialectText(d, spec.filters!.length > 1)).join(' and ');
  const attrs = pairs(spec?.filter?.attributes, '=');
  return attrs.length ? attrs.join(' and ') : 'everything';
}

const typeAlone = (d: Dialect): string | undefined =>
  (d.exact && Object.keys(d).length === 1 && Object.keys(d.exact).length === 1 ? d.exact.type : undefined);

/** The types a Trigger's filter surely passes: where it says `type = X` and nothing else (or any of such). */
export function typesTaken(spec: { filter?: { attributes?: Record<string, string> }; filters?: Dialect[] } | undefined): string[] {
  if (spec?.filters?.length) {
    if (spec.filters.length > 1) return [];
    const [d] = spec.filters;
    const one = typeAlone(d!);
    if (one) return [one];
    return (d!.any ?? []).map(typeAlone).filter((t): t is string => t !== undefined);
  }
  const attrs = spec?.filter?.attributes ?? {};
  return Object.keys(attrs).length === 1 && attrs.type ? [attrs.type] : [];
}

function tableView(t: KubeObject | undefined): TableView | null {
  if (!t) return null;
  const w = (t.spec?.workers ?? {}) as { mode?: string; min?: number; max?: number; replicas?: number };
  const st = (t.status ?? {}) as { workers?: number; revision?: string };
  return { name: t.metadata.name, mode: String(w.mode ?? ''), min: w.min, max: w.max, replicas: w.replicas, workers: st.workers, revision: st.revision, ready: ready(t) };
}

export function nextTick(schedule: string, timezone: string | undefined, now: Date): string | null {
  try {
    const next = new Cron(schedule, { mode: '5-or-6-parts', paused: true, ...(timezone ? { timezone } : {}) }).nextRun(now);
    return next ? next.toISOString() : null;
  } catch {
    return null;
  }
}

export function systemView(objects: { services: readonly KubeObject[]; triggers: readonly KubeObject[]; pingSources: readonly KubeObject[]; pods: readonly PodLike[]; table?: KubeObject }, now: Date): SystemView {
  const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name);
  return {
    triggers: objects.triggers.map((t) => ({
      name: t.metadata.name, broker: String(t.spec?.broker ?? ''), filter: filterText(t.spec),
      subscriber: ref(t.spec?.subscriber), ready: ready(t), takes: typesTaken(t.spec),
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
    table: tableView(objects.table),
  };
}
