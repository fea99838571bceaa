import { createHash } from 'node:crypto';

/** A source of uniform numbers in [0, 1). `Math.random` is one; tests and replies use seeded ones. */
export type Random = () => number;

const TWO_POW_26 = 2 ** 26;
const TWO_POW_53 = 2 ** 53;

/**
 * A deterministic Random for a key: sfc32 (Doty-Humphrey's small fast chaotic generator, passes
 * PractRand) seeded with the key's SHA-256. Each draw joins two 32-bit outputs into a 53-bit
 * double, because the samplers invert uniforms near 0 and 1 where 32 bits would be too coarse.
 */
export function seededRandom(key: string): Random {
  const seed = createHash('sha256').update(key).digest();
  let a = seed.readUInt32LE(0);
  let b = seed.readUInt32LE(4);
  let c = seed.readUInt32LE(8);
  let d = seed.readUInt32LE(12);
  const next32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // The author's recommended warm-up, so nearby keys do not start in correlated states.
  for (let i = 0; i < 12; i++) next32();
  return () => ((next32() >>> 5) * TWO_POW_26 + (next32() >>> 6)) / TWO_POW_53;
}
