/**
 * Knative's status conventions (knative.dev/pkg apis.Condition), pure: conditions with a status,
 * a reason and a message when not True, `Ready` summing up the others, and `observedGeneration`.
 */
import { isDeepStrictEqual } from 'node:util';

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export const ok = (type: string): Condition => ({ type, status: 'True' });
export const failed = (type: string, reason: string, message: string): Condition => ({ type, status: 'False', reason, message });
export const unknown = (type: string, reason: string, message: string): Condition => ({ type, status: 'Unknown', reason, message });

/** `Ready` from the dependent conditions: the first not True decides, with its reason and message. */
export function withReady(conditions: readonly Condition[]): Condition[] {
  const bad = conditions.find((c) => c.status === 'False') ?? conditions.find((c) => c.status === 'Unknown');
  const ready: Condition = bad ? { ...bad, type: 'Ready' } : ok('Ready');
  return [ready, ...conditions].sort((a, b) => a.type.localeCompare(b.type));
}

/**
 * The new conditions with the transition times kept where a condition's status did not change,
 * so that rewriting the same status changes nothing (and writes nothing).
 */
export function stamp(next: readonly Condition[], previous: readonly Condition[] | undefined, now: string): Condition[] {
  return next.map((c) => {
    const was = previous?.find((p) => p.type === c.type);
    return { ...c, lastTransitionTime: was && was.status === c.status ? was.lastTransitionTime ?? now : now };
  });
}

/** True when two statuses say the same (ignoring nothing: stamp() keeps unchanged times equal). */
export const sameStatus = (a: unknown, b: unknown): boolean => isDeepStrictEqual(a ?? {}, b ?? {});
