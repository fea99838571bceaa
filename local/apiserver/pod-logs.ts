/**
 * What `kubectl logs` reads: each pod's output lines with their times, bounded per pod and in
 * the number of pods kept after they exit, and followers for `-f` until the pod is gone.
 */
export interface LogLine { at: Date; text: string }

export interface LogQuery { tailLines?: number; sinceSeconds?: number; now?: Date }

interface PodLog { lines: LogLine[]; bytes: number; ended: boolean; followers: Set<(l: LogLine | null) => void> }

export class PodLogs {
  private readonly pods = new Map<string, PodLog>();

  /** At most `maxBytes` of lines per pod (oldest dropped first), and `keepExited` exited pods. */
  constructor(private readonly maxBytes = 1024 * 1024, private readonly keepExited = 50) {}

  private entry(pod: string): PodLog {
    let e = this.pods.get(pod);
    if (!e) this.pods.set(pod, (e = { lines: [], bytes: 0, ended: false, followers: new Set() }));
    return e;
  }

  append(pod: string, text: string, at = new Date()): void {
    const e = this.entry(pod);
    const line = { at, text };
    e.lines.push(line);
    e.bytes += text.length + 1;
    while (e.bytes > this.maxBytes && e.lines.length > 1) e.bytes -= e.lines.shift()!.text.length + 1;
    for (const f of e.followers) f(line);
  }

  /** The pod exited: followers end; only the latest `keepExited` exited pods keep their lines. */
  end(pod: string): void {
    const e = this.pods.get(pod);
    if (!e) return;
    e.ended = true;
    for (const f of e.followers) f(null);
    e.followers.clear();
    const exited = [...this.pods].filter(([, v]) => v.ended);
    for (const [name] of exited.slice(0, Math.max(0, exited.length - this.keepExited))) this.pods.delete(name);
  }

  has(pod: string): boolean { return this.pods.has(pod); }

  read(pod: string, q: LogQuery = {}): LogLine[] {
    let lines = this.pods.get(pod)?.lines ?? [];
    if (q.sinceSeconds !== undefined) {
      const from = (q.now ?? new Date()).getTime() - q.sinceSeconds * 1000;
      lines = lines.filter((l) => l.at.getTime() >= from);
    }
    return q.tailLines !== undefined ? lines.slice(Math.max(0, lines.length - q.tailLines)) : [...lines];
  }

  /** Calls `onLine` for each new line, then with null when the pod ends; returns the unsubscribe. */
  follow(pod: string, onLine: (l: LogLine | null) => void): () => void {
    const e = this.entry(pod);
    if (e.ended) {
      onLine(null);
      return () => undefined;
    }
    e.followers.add(onLine);
    return () => e.followers.delete(onLine);
  }
}
