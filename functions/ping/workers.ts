import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { isReady, newestReadyRevision, revisionOf, servingPort } from '../../lib/kube/pods.js';
import { assertDeclared } from '../../lib/kube/client.js';
import { KUBE_ACCESS } from './kube-access.js';
import type { WorkerPod } from './aim.js';

/** The port through which ping sees the cluster: the worker pods that can catch a ball now. */
export interface Workers { list(): Promise<WorkerPod[]> }


/** Lists the ready pods of the worker Service through the Kubernetes API (`list pods` only). */
export function kubeWorkers(kc: KubeConfig, namespace: string, service: string): Workers {
  const api = kc.makeApiClient(CoreV1Api);
  return {
    async list() {
      assertDeclared(KUBE_ACCESS, '', 'pods', 'list');
      const pods = await api.listNamespacedPod({ namespace, labelSelector: `serving.knative.dev/service=${service}` });
      // Only the newest revision's pods take new requests: a ball aimed at a draining one is never caught.
      const newest = newestReadyRevision(pods.items);
      return pods.items.filter((p) => isReady(p) && revisionOf(p) === newest).map((p) => ({
        name: p.metadata!.name!,
        ip: p.status?.podIP ?? '',
        port: servingPort(p) ?? 8080,
      }));
    },
  };
}
