/**
 * A queue of jobs run at most `concurrency` at a time. Each Trigger has its own, so a slow or
 * failing subscriber (holding its slots through retries and backoff) never delays another
 * Trigger's deliveries. It holds no bound of its own: routing refuses an event before pushing
 * when the Trigger's queue (or the Broker's total) is full, as it must refuse the whole event.
 */
interface Job {
  run: () => Promise<void>;
  weight: number;
}

export class WorkQueue {
  private readonly waiting: Job[] = [];
  private active = 0;
  private weight = 0;
  private readonly idleWaiters: Array<() => void> = [];

  /**
   * `order: 'random'` starts a random waiting job instead of the oldest: the Broker's reorder mode,
   * which shows what a subscriber does when deliveries overtake each other.
   */
  constructor(
    private readonly concurrency: number,
    private readonly onError: (e: unknown) => void,
    private readonly order: 'fifo' | 'random' = 'fifo',
  ) {
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

  /** The summed weight of the jobs waiting or running (routing weighs a delivery by its bytes). */
  get held(): number {
    return this.weight;
  }

  push(run: () => Promise<void>, weight = 0): void {
    this.waiting.push({ run, weight });
    this.weight += weight;
    this.pump();
  }

  /** Drops the jobs that have not started; returns how many. */
  clear(): number {
    const n = this.waiting.length;
    for (const j of this.waiting) this.weight -= j.weight;
    this.waiting.length = 0;
    this.settle();
    return n;
  }

  /** Resolves when nothing is waiting or running. */
  idle(): Promise<void> {
    if (this.active === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private next(): Job {
    if (this.order === 'fifo' || this.waiting.length === 1) return this.waiting.shift()!;
    const i = Math.floor(Math.random() * this.waiting.length);
    return this.waiting.splice(i, 1)[0]!;
  }

  private pump(): void {
    while (this.active < this.concurrency && this.waiting.length > 0) {
      const job = this.next();
      this.active++;
      void job.run()
        .catch(this.onError)
        .finally(() => {
          this.active--;
          this.weight -= job.weight;
          if (this.active === 0 && this.waiting.length === 0) this.weight = 0; // no float drift left behind
          this.pump();
          this.settle();
        });
    }
  }

  private settle(): void {
    if (this.active === 0 && this.waiting.length === 0) for (const r of this.idleWaiters.splice(0)) r();
  }
}
