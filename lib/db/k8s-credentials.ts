/**
 * The in-cluster database credentials: which keys the `pingpong-postgres` Secret holds, and how
 * the credentials Job (db/k8s/400-credentials-job.yaml) completes a Secret that lacks some. Pure:
 * the Secret is reached through the small CredentialsStore port (k8s-secret.ts is the real one).
 *
 * The one rule: a key that is there is never changed. PostgreSQL keeps the admin password it was
 * initialised with, and the migrate Job sets the users' passwords from the Secret, so rewriting a
 * value would lock everything out; filling only what is missing makes the Job idempotent and lets
 * a later version add a key without rotating the others.
 */
import { intFrom, stringFrom } from '../config.js';
import { randomPassword, READER_USER, urlFor, WRITER_USER } from './users.js';

/** Where the URLs point: the in-cluster PostgreSQL (db/k8s/500-postgres-service.yaml). */
export interface CredentialsTarget {
  host: string;
  port: number;
}

/** The admin user and database the postgres image creates on its first start. */
export const ADMIN_USER = 'pingpong';
export const DATABASE = 'pingpong';

/** A key and how to make it when it is missing: a fixed value, a password, or from other keys. */
interface KeyRule {
  key: string;
  /** Keys this one is derived from; none for a base value. */
  from: readonly string[];
  make: (have: Readonly<Record<string, string>>, target: CredentialsTarget, random: () => string) => string;
}

const url = (t: CredentialsTarget, user: string, password: string, db: string): string =>
  urlFor(`postgres://${t.host}:${t.port}/${encodeURIComponent(db)}`, user, password);

/** Every key, in the order they are made (a derived key after what it derives from). */
const RULES: readonly KeyRule[] = [
  // Read by the postgres image on its first start (initdb), and by the readiness probe.
  { key: 'POSTGRES_USER', from: [], make: () => ADMIN_USER },
  { key: 'POSTGRES_DB', from: [], make: () => DATABASE },
  { key: 'POSTGRES_PASSWORD', from: [], make: (_h, _t, random) => random() },
  // The migrate Job creates the two login users with these (lib/db/users.ts).
  { key: 'PINGPONG_WRITER_PASSWORD', from: [], make: (_h, _t, random) => random() },
  { key: 'PINGPONG_READER_PASSWORD', from: [], make: (_h, _t, random) => random() },
  // The migrate Job connects as the admin; record-hop as the writer (insert/select, no DDL).
  { key: 'ADMIN_DATABASE_URL', from: ['POSTGRES_USER', 'POSTGRES_PASSWORD', 'POSTGRES_DB'],
    make: (h, t) => url(t, h.POSTGRES_USER!, h.POSTGRES_PASSWORD!, h.POSTGRES_DB!) },
  { key: 'WRITER_DATABASE_URL', from: ['PINGPONG_WRITER_PASSWORD', 'POSTGRES_DB'],
    make: (h, t) => url(t, WRITER_USER, h.PINGPONG_WRITER_PASSWORD!, h.POSTGRES_DB!) },
  // history-ui reads as the reader (SELECT only).
  { key: 'READER_DATABASE_URL', from: ['PINGPONG_READER_PASSWORD', 'POSTGRES_DB'],
    make: (h, t) => url(t, READER_USER, h.PINGPONG_READER_PASSWORD!, h.POSTGRES_DB!) },
];

/** The keys the Job guarantees; every `secretKeyRef` to the Secret must name one of them. */
export const CREDENTIAL_KEYS: readonly string[] = RULES.map((r) => r.key);

/** A Secret the Job must not complete: filling it would contradict a value already there. */
export class InconsistentCredentials extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`the credentials Secret is inconsistent: ${problems.join('; ')}`);
    this.name = 'InconsistentCredentials';
  }
}

/** A key counts as present only with a value: an empty password is no password. */
const present = (data: Readonly<Record<string, string>>, key: string): boolean => (data[key] ?? '') !== '';

/**
 * The keys to add to `existing` (decoded values) so that it holds every CREDENTIAL_KEYS entry;
 * {} when nothing is missing. Never returns a key `existing` has a value for; keys it does not know
 * are left alone. Throws InconsistentCredentials when a missing base value has a derived key already (say
 * ADMIN_DATABASE_URL without POSTGRES_PASSWORD): a fresh password would not match that URL.
 */
export function missingCredentials(existing: Readonly<Record<string, string>>, target: CredentialsTarget,
  random: () => string = randomPassword): Record<string, string> {
  const problems: string[] = [];
  for (const rule of RULES) {
    if (present(existing, rule.key)) continue;
    const dependents = RULES.filter((r) => r.from.includes(rule.key) && present(existing, r.key)).map((r) => r.key);
    if (dependents.length) problems.push(`${rule.key} is missing but ${dependents.join(', ')} ${dependents.length > 1 ? 'are' : 'is'} set: set it, or remove ${dependents.length > 1 ? 'them' : 'it'} too`);
  }
  if (problems.length) throw new InconsistentCredentials(problems);
  const have: Record<string, string> = { ...existing };
  const added: Record<string, string> = {};
  for (const rule of RULES) {
    if (present(have, rule.key)) continue;
    have[rule.key] = added[rule.key] = rule.make(have, target, random);
  }
  return added;
}

/** The credentials Secret as the Job sees it: decoded values and the version they were read at. */
export interface StoredCredentials {
  data: Record<string, string>;
  resourceVersion: string;
}

/** The port to the Secret: read it, and add keys only if nobody wrote it since `resourceVersion`. */
export interface CredentialsStore {
  /** The Secret; undefined when it does not exist. */
  read(): Promise<StoredCredentials | undefined>;
  /** Adds these keys; 'conflict' when the Secret changed since `resourceVersion` (nothing written). */
  add(keys: Record<string, string>, resourceVersion: string): Promise<'added' | 'conflict'>;
}

/** What ensureCredentials did: the key names only, never a value. */
export interface CredentialsOutcome {
  outcome: 'unchanged' | 'filled';
  added: string[];
}

/**
 * Reconciles the Secret: reads it, adds what is missing, and on a concurrent write reads again
 * (the other writer may have filled it already). Called twice, the second call writes nothing.
 */
export async function ensureCredentials(store: CredentialsStore, target: CredentialsTarget,
  opts: { random?: () => string; attempts?: number } = {}): Promise<CredentialsOutcome> {
  const attempts = opts.attempts ?? 5;
  for (let i = 0; i < attempts; i++) {
    const secret = await store.read();
    if (!secret) throw new Error('the credentials Secret does not exist: it is part of the manifests (db/k8s/300-postgres-secret.yaml); kubectl apply -k . creates it');
    const added = missingCredentials(secret.data, target, opts.random);
    const keys = Object.keys(added);
    if (keys.length === 0) return { outcome: 'unchanged', added: [] };
    if (await store.add(added, secret.resourceVersion) === 'added') return { outcome: 'filled', added: keys };
  }
  throw new Error(`the credentials Secret kept changing while being filled (${attempts} attempts)`);
}

/** The Job's settings, from its environment: where PostgreSQL answers, by default its Service. */
export function loadCredentialsTarget(env: NodeJS.ProcessEnv, namespace: string): CredentialsTarget {
  return Object.freeze({
    host: stringFrom(env, 'POSTGRES_HOST', `postgres.${namespace}.svc.cluster.local`),
    port: intFrom(env, 'POSTGRES_PORT', 5432, { min: 1, max: 65535 }),
  });
}
