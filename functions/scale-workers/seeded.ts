/**
 * A random number generator seeded by an event's (source, id): a redelivered shuffle tick draws
 * the same count as the first delivery did, so a repeated event changes nothing.
 */
import { createHash } from 'node:crypto';
import type { Random } from './decide.js';

export function seededRandom(source: string, id: string): Random {
  // mulberry32 over the first 4 bytes of a SHA-256 of the cause: small, fast, well spread.
  let a = createHash('sha256').update(`${source}\n${id}`).digest().readUInt32BE(0);
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
