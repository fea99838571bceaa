/**
 * A condition the user has to fix (a busy port, a folder PostgreSQL cannot reach, another instance
 * on the same data dir): the CLI prints it as one line naming the flag or the cause, and exits 2.
 * Anything else that fails is a bug, reported differently.
 */
export class Refusal extends Error {
  /** `subject` is the flag (`--api-port`) or the thing at fault (`PostgreSQL`); it leads the line. */
  constructor(readonly subject: string, message: string) {
    super(`${subject}: ${message}`);
    this.name = 'Refusal';
  }
}

/** Anything else that failed, as one line (a bug: the stack only when LOG_LEVEL=debug asks). */
export const unexpected = (e: unknown): string => {
  const err = e instanceof Error ? e : new Error(String(e));
  return process.env.LOG_LEVEL === 'debug' ? err.stack ?? err.message : `${err.message} (LOG_LEVEL=debug shows where)`;
};
