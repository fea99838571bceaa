/**
 * The runtime's pods as v1 Pod objects: the fields a Knative pod has that clients read (the
 * serving.knative.dev labels, `user-container` and its port, IP, phase, readiness, termination),
 * how `kubectl get pods` prints them, and how the runtime's pod events keep them in their store.
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { PodEvent, PodRecord } from '../types.js';
import type { ResourceDefinition } from './registry.js';
import type { ObjectStore } from './store.js';
import type { PodLogs } from './pod-logs.js';
import { AGE_COLUMN, NAME_COLUMN, age, type TablePrinter } from './table.js';
import type { KubeObject } from '../../lib/kube/object.js';

/** The container Knative runs the user's code in. */
export const USER_CONTAINER = 'user-container';

/** What the server keeps about a pod across updates: its identity and when it was deleted. */
export interface PodIdentity { uid: string; deletionTimestamp?: string }

/**
 * A v1 Pod for a runtime pod. `uid` stays the same across updates of one pod; the deletion
 * timestamp is stamped once, when the pod starts terminating, as the API server does on delete.
 */
export function podObject(p: PodRecord, id: PodIdentity): KubeObject {
  const started = p.startedAt.toISOString();
  const running = p.phase === 'Running';
  const condition = (type: string, ok: boolean) => ({ type, status: ok ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: started });
  const ready = p.ready && running && !p.terminating;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: p.namespace,
      uid: id.uid,
      creationTimestamp: started,
      ...(id.deletionTimestamp ? { deletionTimestamp: id.deletionTimestamp, deletionGracePeriodSeconds: 30 } : {}),
      labels: {
        app: p.revision,
        'serving.knative.dev/service': p.service,
        'serving.knative.dev/configuration': p.configuration,
        'serving.knative.dev/revision': p.revision,
      },
    },
    spec: {
      containers: [{ name: USER_CONTAINER, ports: [{ name: 'user-port', containerPort: p.port, protocol: 'TCP' }] }],
      serviceAccountName: p.serviceAccountName ?? 'default',
      nodeName: 'local',
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
    },
    status: {
      phase: p.phase,
      podIP: p.ip,
      podIPs: [{ ip: p.ip }],
      hostIP: p.ip,
      hostIPs: [{ ip: p.ip }],
      startTime: started,
      conditions: [
        condition('PodScheduled', true),
        condition('Initialized', true),
        condition('ContainersReady', ready),
        condition('Ready', ready),
      ],
      containerStatuses: [{
        name: USER_CONTAINER,
        ready,
        started: running,
        restartCount: 0,
        image: 'local',
        imageID: '',
        state: running ? { running: { startedAt: started } }
          : p.phase === 'Pending' ? { waiting: { reason: 'ContainerCreating' } }
            : { terminated: { exitCode: p.phase === 'Succeeded' ? 0 : 1, reason: p.phase === 'Succeeded' ? 'Completed' : 'Error', startedAt: started } },
      }],
    },
  };
}

/**
 * Creates or updates the v1 Pod of a runtime pod. A pod keeps its uid; it gets its
 * deletionTimestamp when it starts terminating; an update that changes nothing is not an event
 * (as a no-op update keeps its resourceVersion in Kubernetes).
 */
export function storePod(store: ObjectStore, p: PodRecord, now: () => Date): void {
  const old = store.get(p.namespace, p.name);
  const deletionTimestamp = (old?.metadata.deletionTimestamp as string | undefined) ?? (p.terminating ? now().toISOString() : undefined);
  const next = podObject(p, { uid: old?.metadata.uid ?? randomUUID(), deletionTimestamp });
  if (old) {
    const { resourceVersion: _, ...oldMeta } = old.metadata;
    if (isDeepStrictEqual({ ...old, metadata: oldMeta }, next)) return;
  }
  store.put(next);
}

/** Applies a runtime PodEvent: ADDED/MODIFIED upsert, DELETED removes (its process has exited). */
export function storePodEvent(store: ObjectStore, event: PodEvent, now: () => Date): void {
  if (event.type === 'DELETED') store.delete(event.pod.namespace, event.pod.name);
  else storePod(store, event.pod, now);
}

const col = (name: string, description: string, priority = 0) => ({ name, type: 'string', format: '', description, priority });

/** The STATUS cell as kubectl's pod printer derives it: the waiting/terminated reason, or Terminating. */
function podStatus(o: KubeObject): string {
  const status = (o.status ?? {}) as { phase?: string; reason?: string; containerStatuses?: { state?: { waiting?: { reason?: string }; terminated?: { reason?: string } } }[] };
  let reason = status.reason ?? status.phase ?? 'Unknown';
  for (const c of status.containerStatuses ?? []) {
    reason = c.state?.waiting?.reason ?? c.state?.terminated?.reason ?? reason;
  }
  return o.metadata.deletionTimestamp ? 'Terminating' : reason;
}

/** `kubectl get pods` columns (the wide ones at priority 1), as the API server prints pods. */
export const POD_PRINTER: TablePrinter = {
  columns: [
    NAME_COLUMN,
    col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'The aggregate status of the containers in this pod.'),
    { ...col('Restarts', 'The number of times the containers in this pod have been restarted.'), type: 'string' },
    AGE_COLUMN,
    col('IP', 'IP address allocated to the pod.', 1),
    col('Node', 'Name of the Node this pod is assigned to.', 1),
  ],
  cells(o, now) {
    const status = (o.status ?? {}) as { podIP?: string; containerStatuses?: { ready?: boolean; restartCount?: number }[] };
    const cs = status.containerStatuses ?? [];
    const spec = (o.spec ?? {}) as { containers?: unknown[]; nodeName?: string };
    return [
      o.metadata.name,
      `${cs.filter((c) => c.ready).length}/${spec.containers?.length ?? cs.length}`,
      podStatus(o),
      String(cs.reduce((n, c) => n + (c.restartCount ?? 0), 0)),
      age(o.metadata.creationTimestamp, now),
      status.podIP ?? '<none>',
      spec.nodeName ?? '<none>',
    ];
  },
};

const get = (o: KubeObject, path: string[]): string => {
  let v: unknown = o;
  for (const k of path) v = (v as Record<string, unknown> | undefined)?.[k];
  return typeof v === 'string' ? v : '';
};

/**
 * The core v1 `pods` resource over a store the runtime alone writes: read, watched, their output
 * read through `log`, and deleted through `remove` (the runtime stops the process; the object goes
 * when it has exited, and its revision starts a replacement).
 */
export function podsResource(store: ObjectStore, logs: PodLogs, remove: ResourceDefinition['remove']): ResourceDefinition {
  return {
    group: '', version: 'v1', resource: 'pods', singularName: 'pod', kind: 'Pod', namespaced: true,
    shortNames: ['po'], categories: ['all'], verbs: ['get', 'list', 'watch', 'delete'], store, logs, remove,
    // The field selectors Kubernetes supports on pods (pkg/registry/core/pod: PodToSelectableFields).
    selectableFields: {
      'status.phase': (o) => get(o, ['status', 'phase']),
      'status.podIP': (o) => get(o, ['status', 'podIP']),
      'status.nominatedNodeName': (o) => get(o, ['status', 'nominatedNodeName']),
      'spec.nodeName': (o) => get(o, ['spec', 'nodeName']),
      'spec.restartPolicy': (o) => get(o, ['spec', 'restartPolicy']),
      'spec.schedulerName': (o) => get(o, ['spec', 'schedulerName']),
      'spec.serviceAccountName': (o) => get(o, ['spec', 'serviceAccountName']),
      'spec.hostNetwork': () => 'false',
    },
    printer: POD_PRINTER,
  };
}
