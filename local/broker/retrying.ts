/**
 * The Broker's one retry loop. Knative retries a subscriber and a dead-letter sink by the same
 * delivery spec (retry.ts holds those rules), and close() must cut either short, so both run
 * through here: the backoff waits, the per-attempt timeout, and stopping once the Broker closes.
 */
import { attempts, attemptTimeoutMs, backoffMs, type DeliverySpec } from './retry.js';

/** One attempt: done with a value, or failed, and whether another attempt may follow. */
export type Try<T, F = undefined> = { ok: true; value: T } | { ok: false; retriable: boolean; failure: F };

/**
 * How the loop ended: with the attempt that succeeded, or with the last failure, which is missing
 * when close() came before the first attempt.
 */
export type Tried<T, F = undefined> = { ok: true; value: T; attempt: number } | { ok: false; last?: F };

/** Where a failed attempt stands in its loop, for its log line. */
export interface AttemptNumber {
  attempt: number;
  of: number;
  /** No attempt follows: the failure is not retriable, or it was the last one. */
  final: boolean;
}

export class RetryLoop {
  private stopped = false;
  private readonly sleepers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();

  /** `defaultTimeoutMs` bounds attempts whose spec sets no timeout, so none holds a slot forever. */
  constructor(private readonly defaultTimeoutMs: number) {}

  /** Whether the Broker is closing; no attempt starts after that. */
  get closed(): boolean {
    return this.stopped;
  }

  /** Stops every loop: backoff waits end now and no further attempt starts. */
  close(): void {
    this.stopped = true;
    for (const s of this.sleepers) {
      clearTimeout(s.timer);
      s.wake();
    }
    this.sleepers.clear();
  }

  /**
   * Attempts until one succeeds, one fails and is not retriable, the spec's attempts run out, or
   * the Broker closes, waiting the spec's backoff between attempts.
   */
  async run<T, F>(
    spec: DeliverySpec,
    attempt: (timeoutMs: number) => Promise<Try<T, F>>,
    onFailure?: (failure: F, at: AttemptNumber) => void,
  ): Promise<Tried<T, F>> {
    const total = attempts(spec);
    const timeoutMs = attemptTimeoutMs(spec) ?? this.defaultTimeoutMs;
    let last: F | undefined;
    for (let n = 1; n <= total && !this.stopped; n++) {
      if (n > 1) await this.sleep(backoffMs(spec, n - 1));
      if (this.stopped) break;
      const result = await attempt(timeoutMs);
      if (result.ok) return { ok: true, value: result.value, attempt: n };
      last = result.failure;
      onFailure?.(result.failure, { attempt: n, of: total, final: !result.retriable || n === total });
      if (!result.retriable) break;
    }
    return { ok: false, last };
  }

  /** A wait that close() cuts short: backoff between attempts, and reorder mode's hold. */
  sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.sleepers.delete(entry);
          resolve();
        }, ms),
        wake: resolve,
      };
      this.sleepers.add(entry);
    });
  }
}
