/**
 * What every benchmark shares: a figure measured several times (median and spread), formatting,
 * and the row the report prints — a figure beside its reference from the same run, the ratio,
 * the goal and whether it was met. Benchmarks report; they never fail the run.
 */

/** Repeated measurements of one figure. */
export interface Sample { median: number; min: number; max: number; runs: number[]; unit: string }

export function sampleOf(runs: readonly number[], unit: string): Sample {
  if (runs.length === 0) throw new Error('a sample needs at least one run');
  const sorted = [...runs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)!, runs: [...runs], unit };
}

/** Runs `measure` `times` times in a row (after `warmup` unrecorded runs) and keeps each result. */
export async function repeat(times: number, unit: string, measure: (i: number) => Promise<number> | number, warmup = 0): Promise<Sample> {
  for (let i = 0; i < warmup; i++) await measure(-1 - i);
  const runs: number[] = [];
  for (let i = 0; i < times; i++) runs.push(await measure(i));
  return sampleOf(runs, unit);
}

/** The value at quantile q (0–1) of unsorted numbers. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** A number for people: thousands separated, a few significant digits. */
export function num(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** "1,234 req/s (1,100–1,300, 3 runs)": the median, then the spread. */
export function show(s: Sample): string {
  return s.runs.length > 1 ? `${num(s.median)} ${s.unit} (${num(s.min)}–${num(s.max)}, ${s.runs.length} runs)` : `${num(s.median)} ${s.unit}`;
}

/** "0.62×": a ratio of medians. */
export const ratio = (a: Sample | number, b: Sample | number): number =>
  (typeof a === 'number' ? a : a.median) / (typeof b === 'number' ? b : b.median);
export const times = (r: number): string => `${r >= 100 ? num(r) : r.toFixed(2)}×`;

/** One line of the report. `met` is undefined where the figure is reported without a goal. */
export interface Row {
  figure: string;
  measured: string;
  reference: string;
  /** The figure against its reference, e.g. "0.62× direct". */
  versus: string;
  goal: string;
  met?: boolean;
  /** What a reader should know to read the figure (what was run, what it includes). */
  note?: string;
}

/** A benchmark: a name for progress lines and a run that returns its rows. */
export interface Benchmark {
  name: string;
  run(progress: (line: string) => void): Promise<Row[]>;
}
