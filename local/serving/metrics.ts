/**
 * The concurrency a revision sees over time, kept as a time-weighted integral per bucket so the
 * autoscaler can average it over the stable and panic windows like Knative's metric collector
 * (which averages queue-proxy concurrency in one-second buckets). Pure: the caller passes `now`.
 */
export class ConcurrencyWindow {
  private readonly buckets = new Map<number, number>(); // bucket start → ∫ concurrency dt (ms)
  private value = 0;
  private since: number;
  /** The last time concurrency was above zero (the start, before any request). */
  lastActiveAt: number;

  constructor(readonly startedAt: number, readonly bucketMs = 250) {
    this.since = startedAt;
    this.lastActiveAt = startedAt;
  }

  /** Concurrency is `value` from `now` on. */
  set(now: number, value: number): void {
    this.accumulate(now);
    this.value = value;
    if (value > 0) this.lastActiveAt = now;
  }

  /** The time-weighted average over the last `windowMs` (or since the start, if shorter). */
  average(now: number, windowMs: number): number {
    this.accumulate(now);
    if (this.value > 0) this.lastActiveAt = now;
    const from = Math.max(now - windowMs, this.startedAt);
    const span = now - from;
    if (span <= 0) return this.value;
    let sum = 0;
    for (const [start, integral] of this.buckets) {
      const end = Math.min(start + this.bucketMs, now);
      const overlap = Math.min(end, now) - Math.max(start, from);
      // A bucket's integral is spread evenly over it: a request that ended just before `from`
      // can keep one bucket's worth of weight, which only ever errs towards keeping a pod.
      if (overlap > 0 && end > start) sum += integral * (overlap / (end - start));
    }
    return sum / span;
  }

  /** Drops buckets older than `keepMs`, so memory stays bounded by the longest window. */
  prune(now: number, keepMs: number): void {
    for (const start of this.buckets.keys()) if (start + this.bucketMs < now - keepMs) this.buckets.delete(start);
  }

  private accumulate(now: number): void {
    let t = this.since;
    if (now <= t) return;
    if (this.value > 0) {
      while (t < now) {
        const start = Math.floor(t / this.bucketMs) * this.bucketMs;
        const end = Math.min(start + this.bucketMs, now);
        this.buckets.set(start, (this.buckets.get(start) ?? 0) + this.value * (end - t));
        t = end;
      }
    }
    this.since = now;
  }
}
