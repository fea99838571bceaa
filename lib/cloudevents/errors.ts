import type { FieldError } from '../contract/index.js';

/** Input that can never succeed: answered 400 and never retried by the Broker. */
export class BadRequest extends Error {
  readonly status = 400;
  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => `${e.field}: ${e.message}`).join('; '));
    this.name = 'BadRequest';
  }
}

/**
 * A failure that may pass later (database down): answered 503 so the Broker retries. `routine`
 * marks what at-least-once, unordered delivery makes happen all the time (a hop that arrived
 * before the one it follows), logged at debug rather than as a warning.
 */
export class Transient extends Error {
  readonly status = 503;
  readonly routine: boolean;
  constructor(message: string, options?: { cause?: unknown; routine?: boolean }) {
    super(message, options);
    this.name = 'Transient';
    this.routine = options?.routine ?? false;
  }
}

/**
 * For `.catch()` on a call to the API or the database: its failure becomes a Transient naming
 * what was being done, so the caller answers 503 and the Broker retries.
 */
export const failedTransiently = (what: string) => (e: unknown): never => {
  throw new Transient(`${what} failed: ${(e as Error).message}`, { cause: e });
};

export const badRequest = (field: string, message: string): BadRequest => new BadRequest([{ field, message }]);

/** The JSON body of every 400: `error` for people, `errors[].field` for programs. */
export function badRequestBody(e: BadRequest): { error: string; errors: FieldError[] } {
  return { error: e.message, errors: e.errors };
}
