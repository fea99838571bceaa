/**
 * Writing a controller's view of an object back as its `status`, as a reconciler's status update
 * does: only when it says something new, so that a controller watching its own kind settles.
 */
import { timestamp, type ObjectStore } from '../apiserver/index.js';
import { sameStatus, stamp, type Condition } from './conditions.js';
import type { KubeObject } from '../../lib/kube/object.js';

export interface ObservedStatus {
  conditions: Condition[];
  [field: string]: unknown;
}

/** Writes `status` (with observedGeneration and stamped conditions) if it differs from the stored one. */
export function writeStatus(store: ObjectStore, object: KubeObject, observed: ObservedStatus, now = new Date()): void {
  const current = store.get(object.metadata.namespace, object.metadata.name);
  if (!current) return;
  const previous = current.status as { conditions?: Condition[] } | undefined;
  const status = {
    ...observed,
    observedGeneration: Number(current.metadata.generation ?? 1),
    conditions: stamp(observed.conditions, previous?.conditions, timestamp(now)),
  };
  if (sameStatus(status, current.status)) return;
  store.put({ ...current, status });
}
