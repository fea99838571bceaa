import { createHash, randomInt } from 'node:crypto';

/** Kubernetes' longest object name that is also a DNS label. */
const LONGEST = 63;

/**
 * Knative's revision name for a Configuration generation, `<svc>-0000N`
 * (kmeta.ChildName(configName, fmt.Sprintf("-%05d", generation))): a parent too long for the
 * suffix is cut and completed with its md5, as ChildName does.
 */
export function revisionName(configuration: string, generation: number): string {
  return childName(configuration, `-${String(generation).padStart(5, '0')}`);
}

/** kmeta.ChildName: parent + suffix, kept within 63 characters by hashing the parent. */
export function childName(parent: string, suffix: string): string {
  if (parent.length + suffix.length <= LONGEST) return parent + suffix;
  const md5 = createHash('md5').update(parent).digest('hex');
  const head = LONGEST - suffix.length - md5.length;
  return (head > 0 ? parent.slice(0, head) + md5 : md5.slice(0, LONGEST - suffix.length)).replace(/-+$/, '') + suffix;
}

/** The alphabet Kubernetes uses for generated name suffixes (no vowels, no look-alikes). */
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** A pod name like Knative's Deployment pods: `<revision>-deployment-<5 random characters>`. */
export function podName(revision: string, random: (n: number) => number = randomInt): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += ALPHABET[random(ALPHABET.length)];
  return `${revision}-deployment-${suffix}`;
}

/**
 * A stable hash of a revision template: keys sorted at every level, so the same template read
 * twice (or with its keys in another order) hashes the same, and any change inside it does not.
 */
export function templateHash(template: unknown): string {
  return createHash('sha256').update(stableJson(template)).digest('hex');
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : stableJson(x))).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
