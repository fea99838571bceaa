import { parse as parseIso } from 'tinyduration';

/**
 * Go's time.ParseDuration (Knative's autoscaling durations such as `window: 60s`), in seconds.
 * A sequence of decimal numbers with units ns, us, µs, ms, s, m, h; returns undefined when invalid.
 */
export function parseGoDuration(text: string): number | undefined {
  const UNIT: Record<string, number> = { ns: 1e-9, us: 1e-6, 'µs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  if (text === '0') return 0;
  const m = /^([+-])?((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/.exec(text);
  if (!m) return undefined;
  let total = 0;
  for (const part of text.replace(/^[+-]/, '').matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(part[1]) * UNIT[part[2]!]!;
  }
  return m[1] === '-' ? -total : total;
}

/**
 * An ISO-8601 duration (Knative's `backoffDelay`, `timeout`), in seconds, via tinyduration.
 * Months and years count as 30 and 365 days; returns undefined when it does not parse.
 */
export function parseIsoDuration(text: string): number | undefined {
  try {
    const d = parseIso(text);
    const s = (d.years ?? 0) * 365 * 86400 + (d.months ?? 0) * 30 * 86400 + (d.weeks ?? 0) * 7 * 86400
      + (d.days ?? 0) * 86400 + (d.hours ?? 0) * 3600 + (d.minutes ?? 0) * 60 + (d.seconds ?? 0);
    return d.negative ? -s : s;
  } catch {
    return undefined;
  }
}
