import pg from 'pg';

// SQLSTATE classes that describe the server's state, not the statement: connection exceptions
// (08), transaction rollbacks such as serialization failures (40), insufficient resources (53),
// operator intervention such as a shutdown (57) and system errors (58).
const TRANSIENT_CLASSES = new Set(['08', '40', '53', '57', '58']);

/**
 * Whether a failure may pass if the same work is tried again later: anything that is not an
 * answer from the server (refused, reset, timed out, terminated) or a server answer about its own
 * state. An error about the statement itself (bad data, missing privilege) will fail again.
 */
export function isTransientDbError(err: unknown): boolean {
  if (!(err instanceof pg.DatabaseError)) return true;
  return TRANSIENT_CLASSES.has(String(err.code ?? '').slice(0, 2));
}
