/**
 * Which (pod, resourceVersion) pairs the cache has applied, so a snapshot caused by a change can
 * wait until the cache holds at least that change. resourceVersions are opaque (Kubernetes forbids
 * comparing them for order), so this remembers the versions seen rather than asking "newer than".
 * Both the memory and the waiters are bounded: past `capacity` the oldest pair is forgotten (a
 * cause that old has long been overtaken) and a new waiter is answered at once.
 */
export class SeenVersions {
  private readonly seen = new Set<string>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private waiting = 0;

  constructor(private readonly capacity = 4096) {}

  add(name: string, resourceVersion: string | undefined): void {
    if (!resourceVersion) return;
    const key = keyOf(name, resourceVersion);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    if (this.seen.size > this.capacity) this.seen.delete(this.seen.values().next().value!);
    const wake = this.waiters.get(key);
    if (!wake) return;
    this.waiters.delete(key);
    for (const w of wake) w();
  }

  has(name: string, resourceVersion: string): boolean {
    return this.seen.has(keyOf(name, resourceVersion));
  }

  /** True once the pair is seen; false after `ms` (the cache may have listed past it) or when too many wait. */
  wait(name: string, resourceVersion: string, ms: number): Promise<boolean> {
    if (this.has(name, resourceVersion)) return Promise.resolve(true);
    if (ms <= 0 || this.waiting >= this.capacity) return Promise.resolve(false);
    const key = keyOf(name, resourceVersion);
    return new Promise((resolve) => {
      const set = this.waiters.get(key) ?? new Set();
      this.waiters.set(key, set);
      this.waiting++;
      const done = (seen: boolean) => {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0 && this.waiters.get(key) === set) this.waiters.delete(key);
        this.waiting--;
        resolve(seen);
      };
      const wake = () => done(true);
      const timer = setTimeout(() => done(false), ms);
      set.add(wake);
    });
  }
}

const keyOf = (name: string, resourceVersion: string) => `${name}@${resourceVersion}`;
