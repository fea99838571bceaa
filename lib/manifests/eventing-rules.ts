import { Cron } from 'croner';
import { parseIsoDuration } from './durations.js';
import { isObject, join, type At } from './paths.js';
import type { KubeObject } from '../kube/object.js';

/** CloudEvents attribute and extension names as Knative accepts them in filters and overrides. */
export const ATTRIBUTE_NAME = /^[a-z][a-z0-9]*$/;
/** The dialects of a Subscriptions API filter (EVT pkg/apis/eventing/v1/trigger_types.go). */
export const FILTER_DIALECTS = ['exact', 'prefix', 'suffix', 'all', 'any', 'not', 'cesql'] as const;
/** The message the local runtime gives for a filter it cannot evaluate. */
export const CESQL_UNSUPPORTED = 'cesql filters are not supported by the local runtime';

/** duckv1.Destination: a `ref` to an Addressable, an absolute `uri`, or a `uri` relative to the ref. */
export function destination(dest: unknown, path: string, at: At, required = true): void {
  if (dest === undefined) { if (required) at(path, 'is required (a ref or a uri)'); return; }
  if (!isObject(dest)) { at(path, 'must be an object with ref or uri'); return; }
  const { ref, uri } = dest;
  if (ref === undefined && uri === undefined) { at(path, 'needs a ref or a uri'); return; }
  if (ref !== undefined) {
    if (!isObject(ref)) at(join(path, 'ref'), 'must be an object');
    else for (const f of ['apiVersion', 'kind', 'name'] as const) {
      if (typeof ref[f] !== 'string' || ref[f] === '') at(join(join(path, 'ref'), f), 'is required');
    }
  }
  if (typeof uri === 'string' && ref === undefined) {
    let absolute = false;
    try { absolute = new URL(uri).host !== ''; } catch { /* relative or malformed */ }
    if (!absolute) at(join(path, 'uri'), `must be an absolute URL when there is no ref, got "${uri}"`);
  }
}

/** DeliverySpec (EVT pkg/apis/duck/v1/delivery_validation.go). */
export function delivery(spec: unknown, path: string, at: At): void {
  if (spec === undefined) return;
  if (!isObject(spec)) { at(path, 'must be an object'); return; }
  if (spec.retry !== undefined && !(Number.isInteger(spec.retry) && spec.retry >= 0)) at(join(path, 'retry'), 'must be an integer ≥ 0');
  if (spec.backoffPolicy !== undefined && spec.backoffPolicy !== 'linear' && spec.backoffPolicy !== 'exponential') {
    at(join(path, 'backoffPolicy'), `must be "linear" or "exponential", got "${spec.backoffPolicy}"`);
  }
  for (const f of ['backoffDelay', 'timeout'] as const) {
    if (spec[f] === undefined) continue;
    const s = typeof spec[f] === 'string' ? parseIsoDuration(spec[f]) : undefined;
    if (s === undefined) at(join(path, f), `must be an ISO-8601 duration such as "PT0.2S", got "${spec[f]}"`);
    else if (s < 0 || (f === 'timeout' && s === 0)) at(join(path, f), `must be ${f === 'timeout' ? 'positive' : 'zero or positive'}, got "${spec[f]}"`);
  }
  if (spec.retryAfterMax !== undefined) at(join(path, 'retryAfterMax'), 'needs the alpha feature delivery-retryafter, disabled by default (config-features in knative-eventing)');
  if (spec.format !== undefined && spec.format !== 'json' && spec.format !== 'binary') at(join(path, 'format'), `must be "json" or "binary", got "${spec.format}"`);
  destination(spec.deadLetterSink, join(path, 'deadLetterSink'), at, false);
}

/** Broker webhook rules (EVT pkg/apis/eventing/v1/broker_validation.go). */
export function brokerRules(obj: KubeObject, at: At): void {
  const cls = obj.metadata?.annotations?.['eventing.knative.dev/broker.class'];
  if (cls !== undefined && (typeof cls !== 'string' || cls === '')) {
    at('metadata.annotations["eventing.knative.dev/broker.class"]', 'must not be empty');
  }
  delivery(obj.spec?.delivery, 'spec.delivery', at);
}

/** Trigger webhook rules (EVT pkg/apis/eventing/v1/trigger_validation.go). */
export function triggerRules(obj: KubeObject, at: At): void {
  const spec = isObject(obj.spec) ? obj.spec : {};
  const hasBroker = typeof spec.broker === 'string' && spec.broker !== '';
  if (hasBroker === (spec.brokerRef !== undefined)) at('spec.broker', 'exactly one of broker and brokerRef is required');
  if (isObject(spec.brokerRef) && spec.brokerRef.namespace !== undefined) {
    at('spec.brokerRef.namespace', 'needs the alpha feature cross-namespace-event-links, disabled by default');
  }
  destination(spec.subscriber, 'spec.subscriber', at);
  delivery(spec.delivery, 'spec.delivery', at);
  const attrs = spec.filter?.attributes;
  if (attrs !== undefined) {
    if (!isObject(attrs)) at('spec.filter.attributes', 'must be a map of attribute name to value');
    else for (const [k, v] of Object.entries(attrs)) {
      const f = join('spec.filter.attributes', k);
      if (!ATTRIBUTE_NAME.test(k)) at(f, `attribute name must match ${ATTRIBUTE_NAME.source}`);
      if (typeof v !== 'string') at(f, 'must be a string ("" = any value, attribute present)');
    }
  }
  if (spec.filters !== undefined) {
    if (!Array.isArray(spec.filters)) at('spec.filters', 'must be a list of filters');
    else spec.filters.forEach((f: unknown, i: number) => subscriptionsFilter(f, join('spec.filters', i), at));
  }
}

/** One Subscriptions API filter expression, recursively: one dialect, non-empty keys and values. */
export function subscriptionsFilter(filter: unknown, path: string, at: At): void {
  if (!isObject(filter)) { at(path, 'must be an object with one dialect'); return; }
  const dialects = Object.keys(filter).filter((k) => (FILTER_DIALECTS as readonly string[]).includes(k));
  for (const k of Object.keys(filter)) if (!dialects.includes(k)) at(join(path, k), `unknown filter dialect (known: ${FILTER_DIALECTS.join(', ')})`);
  if (dialects.length > 1) { at(path, `multiple dialects found (${dialects.join(', ')}): use one per filter, combined with all/any`); return; }
  if (dialects.length === 0) { at(path, `needs one dialect: ${FILTER_DIALECTS.join(', ')}`); return; }
  const d = dialects[0]!;
  const value = filter[d];
  const field = join(path, d);
  switch (d) {
    case 'exact': case 'prefix': case 'suffix':
      if (!isObject(value) || Object.keys(value).length === 0) { at(field, 'must be a non-empty map of attribute name to value'); return; }
      for (const [k, v] of Object.entries(value)) {
        if (!ATTRIBUTE_NAME.test(k)) at(join(field, k), `attribute name must match ${ATTRIBUTE_NAME.source}`);
        if (typeof v !== 'string' || v === '') at(join(field, k), 'value must be a non-empty string');
      }
      return;
    case 'all': case 'any':
      if (!Array.isArray(value) || value.length === 0) { at(field, 'must be a non-empty list of filters'); return; }
      value.forEach((f, i) => subscriptionsFilter(f, join(field, i), at));
      return;
    case 'not':
      subscriptionsFilter(value, field, at);
      return;
    case 'cesql':
      if (typeof value !== 'string' || value.trim() === '') at(field, 'must be a non-empty CloudEvents SQL expression');
      return;
  }
}

/** Every `cesql` expression in a Trigger's filters, with its path: the local runtime cannot run them. */
export function cesqlFilters(obj: KubeObject): string[] {
  const found: string[] = [];
  const visit = (f: unknown, path: string): void => {
    if (!isObject(f)) return;
    if (f.cesql !== undefined) found.push(join(path, 'cesql'));
    for (const d of ['all', 'any'] as const) if (Array.isArray(f[d])) f[d].forEach((x: unknown, i: number) => visit(x, join(join(path, d), i)));
    if (f.not !== undefined) visit(f.not, join(path, 'not'));
  };
  if (Array.isArray(obj.spec?.filters)) obj.spec.filters.forEach((f: unknown, i: number) => visit(f, join('spec.filters', i)));
  return found;
}

/** The default schedule when `spec.schedule` is absent: every minute. */
export const DEFAULT_SCHEDULE = '* * * * *';

/** robfig/cron's descriptors, as Knative's PingSource parser accepts them (no @every, no @reboot). */
const DESCRIPTORS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

/**
 * Knative's schedule rules, once for the validator and the local PingSource: 5 fields, 6 with
 * leading seconds, or a descriptor (`@midnight` is `@daily`). Returns the pattern as croner reads
 * it, or an Error naming the problem; absent means every minute.
 */
export function cronSchedule(schedule: unknown): string | Error {
  if (schedule === undefined || schedule === null) return DEFAULT_SCHEDULE;
  if (typeof schedule !== 'string' || schedule.trim() === '') return new Error('spec.schedule: must be a cron expression');
  const text = schedule.trim();
  if (text.startsWith('@')) {
    if (!DESCRIPTORS.includes(text)) return new Error(`spec.schedule: "${text}" is not a supported descriptor (${DESCRIPTORS.join(', ')}; @every is not accepted)`);
    return text === '@midnight' ? '@daily' : text;
  }
  const fields = text.split(/\s+/).length;
  if (fields !== 5 && fields !== 6) return new Error(`spec.schedule: must have 5 fields, or 6 with leading seconds, got ${fields}`);
  return text;
}

/** A PingSource schedule that croner cannot run, or undefined when it can. */
export function cronProblem(schedule: string, timezone?: string): string | undefined {
  const pattern = cronSchedule(schedule);
  if (pattern instanceof Error) return pattern.message.replace(/^spec\.schedule: /, '');
  try {
    new Cron(pattern, { paused: true, mode: '5-or-6-parts', ...(timezone ? { timezone } : {}) }).stop();
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

/** True when `tz` names an IANA time zone this Node knows. */
export function isTimeZone(tz: string): boolean {
  try { new Intl.DateTimeFormat('en', { timeZone: tz }); return tz !== ''; } catch { return false; }
}

/** PingSource webhook rules (EVT pkg/apis/sources/v1/ping_validation.go). */
export function pingSourceRules(obj: KubeObject, at: At): void {
  const spec = isObject(obj.spec) ? obj.spec : {};
  const tz = spec.timezone;
  if (tz !== undefined && (typeof tz !== 'string' || !isTimeZone(tz))) at('spec.timezone', `must be an IANA time zone such as "Europe/Paris", got "${tz}"`);
  const schedule = spec.schedule ?? '* * * * *';
  if (typeof schedule === 'string') {
    const problem = cronProblem(schedule, typeof tz === 'string' && isTimeZone(tz) ? tz : undefined);
    if (problem) at('spec.schedule', problem);
  }
  if (spec.data !== undefined && spec.dataBase64 !== undefined) at('spec.data', 'data and dataBase64 are mutually exclusive');
  if (typeof spec.dataBase64 === 'string' && !/^[A-Za-z0-9+/]*={0,2}$/.test(spec.dataBase64)) at('spec.dataBase64', 'must be base64');
  if (spec.contentType === 'application/json' && typeof spec.data === 'string') {
    let parsed: unknown;
    try { parsed = JSON.parse(spec.data); } catch { parsed = undefined; }
    if (!isObject(parsed)) at('spec.data', 'must be a JSON object when contentType is application/json');
  }
  ceOverrides(spec.ceOverrides, 'spec.ceOverrides', at);
  destination(spec.sink, 'spec.sink', at);
}

/** SinkBinding webhook rules (EVT pkg/apis/sources/v1/sinkbinding_validation.go). */
export function sinkBindingRules(obj: KubeObject, at: At): void {
  const subject = obj.spec?.subject;
  if (!isObject(subject)) at('spec.subject', 'is required');
  else {
    for (const f of ['apiVersion', 'kind'] as const) if (typeof subject[f] !== 'string' || subject[f] === '') at(join('spec.subject', f), 'is required');
    if ((subject.name === undefined) === (subject.selector === undefined)) at('spec.subject', 'needs exactly one of name and selector');
  }
  ceOverrides(obj.spec?.ceOverrides, 'spec.ceOverrides', at);
  destination(obj.spec?.sink, 'spec.sink', at);
}

/** ApiServerSource webhook rules (EVT pkg/apis/sources/v1/apiserver_validation.go). */
export function apiServerSourceRules(obj: KubeObject, at: At): void {
  const spec = isObject(obj.spec) ? obj.spec : {};
  if (spec.mode !== undefined && spec.mode !== 'Reference' && spec.mode !== 'Resource') at('spec.mode', `must be "Reference" or "Resource", got "${spec.mode}"`);
  if (!Array.isArray(spec.resources) || spec.resources.length === 0) at('spec.resources', 'needs at least one resource to watch');
  else spec.resources.forEach((r: unknown, i: number) => {
    for (const f of ['apiVersion', 'kind'] as const) {
      if (!isObject(r) || typeof r[f] !== 'string' || r[f] === '') at(join(join('spec.resources', i), f), 'is required');
    }
  });
  ceOverrides(spec.ceOverrides, 'spec.ceOverrides', at);
  destination(spec.sink, 'spec.sink', at);
}

function ceOverrides(o: unknown, path: string, at: At): void {
  if (!isObject(o) || !isObject(o.extensions)) return;
  for (const k of Object.keys(o.extensions)) {
    if (!ATTRIBUTE_NAME.test(k)) at(join(join(path, 'extensions'), k), `extension name must match ${ATTRIBUTE_NAME.source}`);
  }
}
