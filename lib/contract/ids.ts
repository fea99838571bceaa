import { createHash } from 'node:crypto';

/**
 * Ids derived from the cause: the same input (source, id) always yields the same output id, so a
 * redelivered event produces a duplicate that record-hop stores once.
 */
export function derivedId(causeSource: string, causeId: string, ...parts: Array<string | number>): string {
  const digest = createHash('sha256').update(`${causeSource}\u0000${causeId}`).digest('base64url').slice(0, 16);
  return [digest, ...parts].join('.');
}

/** The id of a ball served by a tick: stable per (tick, index). */
export const ballIdFor = (causeSource: string, causeId: string, index: number): string =>
  derivedId(causeSource, causeId, 'b', index);

/** Each hop of a ball has its own event id: `<ballid>.<hop>` (+ the outcome when it ends). */
export const hopEventId = (ballId: string, hop: number, outcome?: 'landed' | 'dropped'): string =>
  outcome ? `${ballId}.${hop}.${outcome}` : `${ballId}.${hop}`;
