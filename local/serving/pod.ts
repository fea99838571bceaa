import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import readline from 'node:readline';
import type { PodRecord } from '../types.js';

/** What runs in a container: a command, its arguments, and env it needs (e.g. FUNCTION_TARGET). */
export interface PodCommand {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

/**
 * How readiness is checked: the container's readinessProbe httpGet path, else Knative's default
 * TCP probe; and, once the pod is ready, how often and after how many results it changes.
 */
export type Probe = ({ kind: 'http'; path: string } | { kind: 'tcp' }) & ProbeTiming;

export interface ProbeTiming {
  periodMs: number;
  timeoutMs: number;
  /** Consecutive failures that make a ready pod not ready. */
  failureThreshold: number;
  /** Consecutive successes that make it ready again. */
  successThreshold: number;
}

/** One line of a pod's output: whose, which stream, and the text as the pod printed it. */
export interface PodLine { pod: string; stream: 'stdout' | 'stderr'; text: string }

/**
 * Where pod output goes, one line at a time: `line` is prefixed with `[pod-name] ` for a sink
 * that only prints; `from` is the same line unprefixed, for a sink that renders it itself (the
 * runtime's JSON or pretty output, local/runtime/log-format.ts).
 */
export type LogSink = (line: string, from?: PodLine) => void;

/**
 * A pod's lifecycle change: `ready`, `unready` (its readiness probe failed after it was ready),
 * `terminating`, `failed` (unexpected exit) or `exited`.
 */
export type PodChange = 'ready' | 'unready' | 'terminating' | 'failed' | 'exited';

const whole = (v: unknown, fallback: number, min: number) => (Number.isInteger(v) && (v as number) >= min ? (v as number) : fallback);

/**
 * Reads the readiness probe Knative would run for a container (httpGet path, else TCP) and its
 * timing. Without `periodSeconds` Knative has the kubelet probe queue-proxy every second
 * (pkg/reconciler/revision/resources/queue.go, makeQueueProbe); the thresholds and the timeout
 * take Kubernetes' defaults (3, 1, 1 s).
 */
export function probeOf(container: any): Probe {
  const p = container?.readinessProbe ?? {};
  const timing: ProbeTiming = {
    periodMs: whole(p.periodSeconds, 1, 1) * 1000,
    timeoutMs: whole(p.timeoutSeconds, 1, 1) * 1000,
    failureThreshold: whole(p.failureThreshold, 3, 1),
    successThreshold: whole(p.successThreshold, 1, 1),
  };
  const get = p.httpGet;
  if (get && typeof get === 'object') return { kind: 'http', path: typeof get.path === 'string' && get.path ? get.path : '/', ...timing };
  return { kind: 'tcp', ...timing };
}

/**
 * Until it is first ready a pod is probed this often: queue-proxy's aggressive start-up probing
 * (aggressivePollInterval, 25 ms, in Knative's cmd/queue). At 100 ms a cold start waited 50 ms on
 * average for a pod that was already serving.
 */
const STARTUP_PROBE_INTERVAL_MS = 25;

/**
 * One pod: a process in its own process group (so SIGTERM/SIGKILL reach everything it started),
 * probed for readiness, its output prefixed with its name. The record is live: the activator
 * updates `inFlight` on it.
 */
export class Pod {
  readonly record: PodRecord;
  /** Resolves once the process is gone (or never started). */
  readonly exited: Promise<void>;
  /** How the process ended (`exit code 1`, `SIGKILL`), once it has; undefined if it never ran. */
  exit?: string;
  private child?: ChildProcess;
  private resolveExited!: () => void;
  private done = false;

  constructor(record: PodRecord, private readonly onChange: (pod: Pod, change: PodChange) => void) {
    this.record = record;
    this.exited = new Promise((r) => (this.resolveExited = r));
  }

  get gone(): boolean { return this.done; }

  /** The process id, once spawned. */
  get pid(): number | undefined { return this.child?.pid; }

  /** Spawns the process with exactly `env` and starts probing it. */
  start(cmd: PodCommand, env: Record<string, string>, cwd: string, probe: Probe, sink: LogSink): void {
    const pod = this.record.name;
    const say = (text: string, stream: PodLine['stream']) => sink(`[${pod}] ${text}`, { pod, stream, text });
    let child: ChildProcess;
    try {
      // stdin is a pipe we never write: its end tells the pod we are gone (lib/process/exit-with-parent.ts).
      child = spawn(cmd.command, cmd.args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    } catch (e) {
      say(`could not start ${cmd.command}: ${(e as Error).message}`, 'stderr');
      this.finish(false);
      return;
    }
    this.child = child;
    child.stdin?.on('error', () => undefined); // never written; a pod gone early is not our error
    for (const [stream, name] of [[child.stdout!, 'stdout'], [child.stderr!, 'stderr']] as const) {
      readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => say(line, name));
    }
    child.once('error', (e) => {
      say(`could not start ${cmd.command}: ${e.message}`, 'stderr');
      if (child.pid === undefined) this.finish(false);
    });
    child.once('exit', (code, signal) => {
      // Whoever watches the pod (Serving) says it died, and whether it was expected.
      this.exit = signal ?? `exit code ${code}`;
      this.finish(this.record.terminating);
    });
    void this.probe(probe);
  }

  /** Ends a pod whose process never started: Failed (`expected` false) or simply gone. */
  discard(expected: boolean): void {
    if (!this.child) this.finish(expected);
  }

  /**
   * Stops the pod like Kubernetes with Knative's queue-proxy in front: no new requests; wait up
   * to `graceMs` for in-flight ones to finish (`drained`); SIGTERM to the process group; SIGKILL
   * to it if still there `graceMs` later. Resolves when the process is gone.
   */
  async terminate(graceMs: number, drained: Promise<void> = Promise.resolve()): Promise<void> {
    if (this.record.terminating || this.done) return this.exited;
    this.record.terminating = true;
    this.onChange(this, 'terminating');
    await race([drained, this.exited], graceMs);
    this.signal('SIGTERM');
    if (!(await race([this.exited], graceMs))) this.signal('SIGKILL');
    await this.exited;
  }

  /** Sends a signal to the pod's whole process group, if it is still there. */
  signal(sig: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (this.done || pid === undefined) return;
    try { process.kill(-pid, sig); } catch { /* already gone */ }
  }

  private finish(expected: boolean): void {
    if (this.done) return;
    this.done = true;
    this.record.ready = false;
    this.record.phase = expected ? 'Succeeded' : 'Failed';
    if (!expected) this.onChange(this, 'failed');
    this.onChange(this, 'exited');
    this.resolveExited();
  }

  /** Why the last readiness check failed (`HTTP probe failed with statuscode: 503`), for events and logs. */
  probeFailure?: string;

  private get probing(): boolean { return !this.done && !this.record.terminating; }

  private async probe(probe: Probe): Promise<void> {
    for (;;) {
      if (!this.probing) return;
      if ((await check(this.record.port, probe)).ok) break;
      await sleep(STARTUP_PROBE_INTERVAL_MS);
    }
    if (!this.probing) return;
    this.record.ready = true;
    this.record.phase = 'Running';
    this.onChange(this, 'ready');
    // Then as the kubelet does, for the pod's whole life: readiness follows what the probe says
    // (record-hop's follows its database), so traffic waits in the activator, not on a pod that fails.
    let failures = 0;
    let successes = 0;
    for (;;) {
      await sleep(probe.periodMs);
      if (!this.probing) return;
      const result = await check(this.record.port, probe);
      if (!this.probing) return;
      if (result.ok) {
        failures = 0;
        if (!this.record.ready && ++successes >= probe.successThreshold) {
          this.record.ready = true;
          this.onChange(this, 'ready');
        }
      } else {
        successes = 0;
        this.probeFailure = result.why;
        if (this.record.ready && ++failures >= probe.failureThreshold) {
          this.record.ready = false;
          this.onChange(this, 'unready');
        }
      }
    }
  }
}

/** A probe's wait: never what keeps the runtime's event loop alive. */
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/** One readiness check: HTTP 200–399 (Kubernetes' success range), or a TCP connection; `why` as the kubelet says it. */
function check(port: number, probe: Probe): Promise<{ ok: boolean; why?: string }> {
  return new Promise((resolve) => {
    if (probe.kind === 'tcp') {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.setTimeout(probe.timeoutMs, () => { socket.destroy(); resolve({ ok: false, why: `dial tcp 127.0.0.1:${port}: i/o timeout` }); });
      socket.once('connect', () => { socket.destroy(); resolve({ ok: true }); });
      socket.once('error', (e) => resolve({ ok: false, why: `dial tcp 127.0.0.1:${port}: ${e.message}` }));
      return;
    }
    const req = http.get({ host: '127.0.0.1', port, path: probe.path, timeout: probe.timeoutMs, agent: false,
      headers: { 'user-agent': 'kube-probe/local', 'k-kubelet-probe': 'readiness' } }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve(code >= 200 && code < 400 ? { ok: true } : { ok: false, why: `HTTP probe failed with statuscode: ${code}` });
    });
    req.once('timeout', () => req.destroy(new Error('context deadline exceeded (Client.Timeout exceeded while awaiting headers)')));
    req.once('error', (e) => resolve({ ok: false, why: `Get "http://127.0.0.1:${port}${probe.path}": ${e.message}` }));
  });
}

/** Whether one of `promises` settles within `ms` (the timer never holds the event loop open). */
function race(promises: Promise<unknown>[], ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    t.unref();
    for (const p of promises) void p.then(() => { clearTimeout(t); resolve(true); }, () => { clearTimeout(t); resolve(true); });
  });
}
