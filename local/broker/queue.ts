/**
 * A FIFO of jobs run at most `concurrency` at a time. Each Trigger has its own, so a slow or
 * failing subscriber (holding its slots through retries and backoff) never delays another
 * Trigger's deliveries.
 */
export class WorkQueue {
  private readonly waiting: Array<() => Promise<void>> = [];
  private active = 0;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(private readonly concurrency: number, private readonly onError: (e: unknown) => void) {
    if (!(concurrency >= 1)) throw new RangeError(`concurrency must be ≥ 1, got ${concurrency}`);
  }

  /** Jobs not started yet. */
  get pending(): number {
    return this.waiting.length;
  }

  /** Jobs running now. */
  get running(): number {
    return this.active;
  }

  push(job: () => Promise<void>): void {
    this.waiting.push(job);
    this.pump();
  }

  /** Drops the jobs that have not started; returns how many. */
  clear(): number {
    const n = this.waiting.length;
    this.waiting.length = 0;
    this.settle();
    return n;
  }

  /** Resolves when nothing is waiting or running. */
  idle(): Promise<void> {
    if (this.active === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private pump(): void {
    while (this.active < this.concurrency && this.waiting.length > 0) {
      const job = this.waiting.shift()!;
      this.active++;
      void job()
        .catch(this.onError)
        .finally(() => {
          this.active--;
          this.pump();
          this.settle();
        });
    }
  }

  private settle(): void {
    if (this.active === 0 && this.waiting.length === 0) for (const r of this.idleWaiters.splice(0)) r();
  }
}
