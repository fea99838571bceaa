/**
 * Trigger filters, evaluated against an event's attributes (EVT pkg/eventfilter). Pure: no I/O.
 *
 * Knative's filters are three-valued: a filter passes, fails, or does not apply (an empty `all`,
 * a `{}` element). A Trigger delivers unless its filter fails, which is why `not: {all: []}`
 * still delivers: this module keeps that third value instead of folding it into a boolean early.
 */
import { CESQL_UNSUPPORTED } from '../../lib/manifests/eventing-rules.js';

export type FilterResult = 'pass' | 'fail' | 'none';

/** One element of a Trigger's `spec.filters` (the CloudEvents Subscriptions API dialects). */
export interface SubscriptionsApiFilter {
  exact?: Record<string, string>;
  prefix?: Record<string, string>;
  suffix?: Record<string, string>;
  all?: SubscriptionsApiFilter[];
  any?: SubscriptionsApiFilter[];
  not?: SubscriptionsApiFilter;
  cesql?: string;
}

/** The filtering part of a Trigger's spec. */
export interface TriggerFilterSpec {
  filter?: { attributes?: Record<string, string> } | null;
  filters?: SubscriptionsApiFilter[] | null;
}

/** Context attributes and extensions by name; a missing or null value is an absent attribute. */
export type Attributes = Readonly<Record<string, unknown>>;

/** A filter the local runtime cannot evaluate (CESQL). The manifest loader refuses these first. */
export class UnsupportedFilter extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedFilter';
  }
}

/** An attribute as text, as Knative compares it (`fmt.Sprintf("%v")`); undefined when absent. */
function text(attrs: Attributes, name: string): string | undefined {
  const v = attrs[name];
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : v instanceof Date ? v.toISOString() : String(v);
}

/**
 * The legacy `filter.attributes`: every key must match (AND), exactly and case-sensitively. The
 * value "" means "present with any value"; an attribute that is absent or empty never matches
 * (EVT pkg/eventfilter/attributes/filter.go). No map or an empty one matches everything.
 */
export function matchAttributes(want: Readonly<Record<string, string>> | undefined | null, attrs: Attributes): boolean {
  if (!want) return true;
  for (const [name, expected] of Object.entries(want)) {
    const actual = text(attrs, name);
    if (actual === undefined || actual === '') return false;
    if (expected !== '' && expected !== actual) return false;
  }
  return true;
}

function eachEntry(map: Readonly<Record<string, string>>, attrs: Attributes, ok: (actual: string, expected: string) => boolean): FilterResult {
  for (const [name, expected] of Object.entries(map)) {
    const actual = text(attrs, name);
    if (actual === undefined || !ok(actual, expected)) return 'fail';
  }
  return 'pass';
}

const and = (a: FilterResult, b: FilterResult): FilterResult =>
  a === 'none' ? b : b === 'none' ? a : a === 'pass' && b === 'pass' ? 'pass' : 'fail';
const or = (a: FilterResult, b: FilterResult): FilterResult =>
  a === 'none' ? b : b === 'none' ? a : a === 'pass' || b === 'pass' ? 'pass' : 'fail';

const nonEmpty = (m: Record<string, string> | undefined): m is Record<string, string> => !!m && Object.keys(m).length > 0;

/**
 * One Subscriptions API filter. Like Knative's materializer, the first dialect present wins in the
 * order exact, prefix, suffix, all, any, not, cesql (the webhook refuses elements with several);
 * an element with none, or an empty `all`/`any`, does not apply.
 */
export function evaluateFilter(filter: SubscriptionsApiFilter | undefined | null, attrs: Attributes): FilterResult {
  if (!filter) return 'none';
  if (nonEmpty(filter.exact)) return eachEntry(filter.exact, attrs, (a, e) => a === e);
  if (nonEmpty(filter.prefix)) return eachEntry(filter.prefix, attrs, (a, e) => a.startsWith(e));
  if (nonEmpty(filter.suffix)) return eachEntry(filter.suffix, attrs, (a, e) => a.endsWith(e));
  if (filter.all && filter.all.length > 0) return evaluateAll(filter.all, attrs);
  if (filter.any && filter.any.length > 0) {
    let res: FilterResult = 'none';
    for (const f of filter.any) {
      res = or(res, evaluateFilter(f, attrs));
      if (res === 'pass') return res;
    }
    return res;
  }
  if (filter.not) {
    const inner = evaluateFilter(filter.not, attrs);
    return inner === 'pass' ? 'fail' : inner === 'fail' ? 'pass' : 'none';
  }
  if (typeof filter.cesql === 'string' && filter.cesql !== '') {
    throw new UnsupportedFilter(`${CESQL_UNSUPPORTED}: "${filter.cesql}"`);
  }
  return 'none';
}

/** Filters ANDed, stopping at the first failure (a Trigger's `filters` array, or `all`). */
export function evaluateAll(filters: readonly SubscriptionsApiFilter[], attrs: Attributes): FilterResult {
  let res: FilterResult = 'none';
  for (const f of filters) {
    res = and(res, evaluateFilter(f, attrs));
    if (res === 'fail') return res;
  }
  return res;
}

/**
 * Whether a Trigger wants an event: a non-empty `filters` wins and `filter` is then ignored
 * (EVT pkg/broker/filter/filter_handler.go); else `filter.attributes`; else everything.
 * Throws UnsupportedFilter for CESQL.
 */
export function triggerMatches(spec: TriggerFilterSpec | undefined, attrs: Attributes): boolean {
  if (spec?.filters && spec.filters.length > 0) return evaluateAll(spec.filters, attrs) !== 'fail';
  return matchAttributes(spec?.filter?.attributes, attrs);
}
