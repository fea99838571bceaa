/**
 * Commands over a child process's IPC channel, for the helpers that run something alone in its
 * own process (a Broker whose memory or CPU is measured): the child answers each
 * `{ id, cmd, args }` with `{ id, result }` or `{ id, error }`, and says `{ id: 0 }` once ready.
 */
import type { ChildProcess } from 'node:child_process';

export type Handlers = Record<string, (args: Record<string, unknown>) => unknown>;

/**
 * The child's side: serves `handlers`, says it is ready once `ready` resolves, and exits when the
 * channel closes (its parent is gone, however it went), so nothing is left behind.
 */
export function serveCommands(handlers: Handlers, ready: Promise<unknown> = Promise.resolve()): void {
  if (!process.send) throw new Error('started by a test or benchmark only, with an IPC channel');
  const send = process.send.bind(process);
  process.on('disconnect', () => process.exit(0));
  process.on('message', (m: { id: number; cmd: string; args?: Record<string, unknown> }) => {
    void (async () => {
      const handler = handlers[m.cmd];
      if (!handler) throw new Error(`no command "${m.cmd}"`);
      return handler(m.args ?? {});
    })().then((result) => send({ id: m.id, result }), (e: unknown) => send({ id: m.id, error: (e as Error).message }));
  });
  void ready.then(() => send({ id: 0 }));
}

/**
 * The parent's side: `ready` once the child says so, and `call` for each command. Should the child
 * exit, what is still waiting fails with `what` and what the child printed (`output`).
 */
export function commandsOf(child: ChildProcess, what: string, output: () => string = () => ''): {
  ready: Promise<void>;
  call: <T = unknown>(cmd: string, args?: unknown) => Promise<T>;
} {
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let next = 1;
  const ready = new Promise<void>((resolve, reject) => waiting.set(0, { resolve: () => resolve(), reject }));
  child.on('message', (m: { id: number; result?: unknown; error?: string }) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error !== undefined) w?.reject(new Error(`${what}: ${m.error}`));
    else w?.resolve(m.result);
  });
  child.once('exit', (code, signal) => {
    for (const w of waiting.values()) w.reject(new Error(`${what} exited (${code ?? signal}):\n${output()}`));
    waiting.clear();
  });
  const call = <T = unknown>(cmd: string, args?: unknown) => new Promise<T>((resolve, reject) => {
    const id = next++;
    waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
    child.send({ id, cmd, args });
  });
  return { ready, call };
}
