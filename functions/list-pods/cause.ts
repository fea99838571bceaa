import {
  APISERVER_ADD, APISERVER_DELETE, APISERVER_UPDATE, type DataOf, type FieldError,
} from '../../lib/contract/index.js';
import { SERVICE_LABEL } from '../../lib/kube/pods.js';

export type PodChangeType = typeof APISERVER_ADD | typeof APISERVER_UPDATE | typeof APISERVER_DELETE;

/** What each ApiServerSource change is called in a snapshot's `cause`. */
export const POD_CAUSE = {
  [APISERVER_ADD]: 'pod-added',
  [APISERVER_UPDATE]: 'pod-updated',
  [APISERVER_DELETE]: 'pod-deleted',
} as const satisfies Record<PodChangeType, string>;

/** A snapshot on a schedule rather than on a change. */
export const TICK_CAUSE = 'tick';

/**
 * What a change says about the worker pool: a worker pod at one resourceVersion (the cache should
 * have applied it before the snapshot is taken), a pod of something else (nothing to list), or an
 * object that is not a Pod at all, which no route to list-pods should carry.
 */
export type PodChange =
  | { kind: 'worker'; name: string; resourceVersion?: string }
  | { kind: 'other'; why: string }
  | { kind: 'invalid'; errors: FieldError[] };

export function podChange(obj: DataOf<PodChangeType>, workers: { service: string; namespace: string }): PodChange {
  if (obj.kind !== 'Pod' || obj.apiVersion !== 'v1') {
    return { kind: 'invalid', errors: [{ field: 'data.kind', message: `list-pods lists pods on v1 Pod changes only, got ${obj.apiVersion} ${obj.kind}` }] };
  }
  const meta = obj.metadata as { name: string; namespace?: string; resourceVersion?: unknown; labels?: Record<string, unknown> };
  if ((meta.namespace ?? '') !== workers.namespace || meta.labels?.[SERVICE_LABEL] !== workers.service) {
    return { kind: 'other', why: `pod ${meta.namespace ?? ''}/${meta.name} is not a ${workers.service} pod in ${workers.namespace}` };
  }
  const rv = typeof meta.resourceVersion === 'string' && meta.resourceVersion !== '' ? meta.resourceVersion : undefined;
  return { kind: 'worker', name: meta.name, ...(rv ? { resourceVersion: rv } : {}) };
}
