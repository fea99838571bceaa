/**
 * A Kubernetes object, as one type for the manifests' loader and validators, the local API
 * server's store and the runtime's controllers. Only the envelope is typed: a kind's schema (or
 * admission) says the rest is well formed, so `spec`, `status` and the kind's other fields
 * (`data`, `rules`, `subjects`…) stay open.
 */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  [k: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: any;
  status?: any;
  [k: string]: any;
}
