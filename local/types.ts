/**
 * Shapes shared by the parts of the local runtime (serving, broker, API server, loader), so each
 * part can be built and tested alone and the CLI wires them together.
 */

/** Knative's duckv1.Destination: a `ref` to an Addressable, a `uri`, or a `uri` relative to the ref. */
export interface Destination {
  ref?: { apiVersion: string; kind: string; name: string; namespace?: string };
  uri?: string;
}

/**
 * Where to send an HTTP request for a resolved destination. `host` is the Host header to send
 * (e.g. `forward.pingpong.svc.cluster.local` when the URL is the local gateway).
 */
export interface Target {
  url: string;
  host?: string;
}

/** Resolves a destination in a namespace, or returns undefined when it cannot be resolved yet. */
export type Resolve = (dest: Destination, namespace: string) => Target | undefined;

/** One pod of a Service revision, as the local runtime runs it (a functions-framework process). */
export interface PodRecord {
  name: string;             // <revision>-deployment-<random5>, like Knative's pods
  namespace: string;
  service: string;          // serving.knative.dev/service label
  configuration: string;    // serving.knative.dev/configuration label
  revision: string;         // serving.knative.dev/revision label, e.g. forward-00001
  ip: string;               // always 127.0.0.1 locally
  port: number;             // the local port its process listens on (its containerPort)
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  ready: boolean;           // readiness probe answered
  terminating: boolean;     // SIGTERM sent, waiting to exit
  inFlight: number;         // requests being served now
  startedAt: Date;
  serviceAccountName?: string;
}

export type PodEventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export interface PodEvent { type: PodEventType; pod: PodRecord }

/** Something a controller tells about an object, recorded as a core v1 Event (`kubectl get events`). */
export interface RuntimeEvent {
  kind: 'Service' | 'Pod' | 'Trigger';
  namespace: string;
  name: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}
