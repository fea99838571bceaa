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

/** How readiness is checked: the container's readinessProbe httpGet path, else Knative's default TCP probe. */
export type Probe = { kind: 'http'; path: string } | { kind: 'tcp' };

/** One line of a pod's output: whose, which stream, and the text as the pod printed it. */
export interface PodLine { pod: string; stream: 'stdout' | 'stderr'; text: string }

/**
 * Where pod output goes, one line at a time: `line` is prefixed with `[pod-name] ` for a sink
 * that only prints; `from` is the same line unprefixed, for a sink that renders it itself (the
 * runtime's JSON or pretty output, local/runtime/log-format.ts).
 */
export type LogSink = (line: string, from?: PodLine) => void;

/** A pod's lifecycle change: `ready`, `terminating`, `failed` (unexpected exit) or `exited`. */
export type PodChange = 'ready' | 'terminating' | 'failed' | 'exited';

/** Reads the readiness probe Knative would run for a container (httpGet path, else TCP). */
export function probeOf(container: any): Probe {
  const get = container?.readinessProbe?.httpGet;
  if (get && typeof get === 'object') return { kind: 'http', path: typeof get.path === 'string' && get.path ? get.path : '/' };
  return { kind: 'tcp' };
}

const PROBE_INTERVAL_MS = 100;
const PROBE_TIMEOUT_MS = 1000;

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

  private async probe(probe: Probe): Promise<void> {
    while (!this.done && !this.record.terminating) {
      if (await check(this.record.port, probe)) {
        if (this.done || this.record.terminating) return;
        this.record.ready = true;
        this.record.phase = 'Running';
        this.onChange(this, 'ready');
        return;
      }
      await new Promise((r) => setTimeout(r, PROBE_INTERVAL_MS));
    }
  }
}

/** One readiness check: HTTP 200–399 (Kubernetes' success range), or a TCP connection. */
function check(port: number, probe: Probe): Promise<boolean> {
  return new Promise((resolve) => {
    if (probe.kind === 'tcp') {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.setTimeout(PROBE_TIMEOUT_MS, () => { socket.destroy(); resolve(false); });
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
      return;
    }
    const req = http.get({ host: '127.0.0.1', port, path: probe.path, timeout: PROBE_TIMEOUT_MS, agent: false,
      headers: { 'user-agent': 'kube-probe/local', 'k-kubelet-probe': 'readiness' } }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
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
