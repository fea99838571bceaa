/**
 * The Broker's hop limit (EVT pkg/broker/ttl.go, cmd/broker/ingress/main.go). Every event that
 * enters a Broker carries the extension `knativebrokerttl`; replies get their cause's TTL back and
 * ingress decrements it, so a function that answers every event with one its own Trigger matches
 * stops after at most `MAX_TTL` hops instead of looping forever.
 */

/** The extension that carries the remaining hops. */
export const TTL_EXTENSION = 'knativebrokerttl';
/** Knative's default `MAX_TTL` for the MT broker ingress. */
export const DEFAULT_MAX_TTL = 255;

/** What ingress does with an event's TTL: keep it with the new value, or drop the event (400). */
export type TtlDecision = { accept: true; ttl: number } | { accept: false; ttl: number };

/**
 * Ingress rule: an event without a TTL (or with one that is not an integer: Knative treats a TTL it
 * cannot read as absent) gets `maxTtl`; an event that has one gets it decremented, and is
 * dropped when the result is ≤ 0.
 */
export function ingressTtl(current: string | undefined, maxTtl = DEFAULT_MAX_TTL): TtlDecision {
  const n = current !== undefined && /^[+-]?\d+$/.test(current.trim()) ? Number(current.trim()) : undefined;
  if (n === undefined || !Number.isSafeInteger(n)) return { accept: true, ttl: maxTtl };
  const ttl = n - 1;
  return ttl <= 0 ? { accept: false, ttl } : { accept: true, ttl };
}

/** The attributes without the TTL: what a subscriber sees (broker-filter removes it). */
export function withoutTtl<T>(attributes: Readonly<Record<string, T>>): Record<string, T> {
  const { [TTL_EXTENSION]: _ttl, ...rest } = attributes;
  return rest;
}

/** A reply's attributes with its cause's TTL put back (whatever the reply said), before re-ingest. */
export function withTtl<T>(attributes: Readonly<Record<string, T>>, ttl: string | undefined): Record<string, T | string> {
  const rest: Record<string, T | string> = withoutTtl(attributes);
  if (ttl !== undefined) rest[TTL_EXTENSION] = ttl;
  return rest;
}
