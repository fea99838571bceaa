/**
 * The credentials Secret through the Kubernetes API (`@kubernetes/client-node`): the real
 * CredentialsStore. It only reads and merge-patches the one Secret its Role names
 * (k8s-access.ts), with the read's resourceVersion as a precondition, so two runs at once cannot
 * both write: the second gets 409 and reads again.
 */
import { ApiException, CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { assertDeclared } from '../kube/client.js';
import { CREDENTIALS_SECRET, KUBE_ACCESS } from './k8s-access.js';
import type { CredentialsStore } from './k8s-credentials.js';

/** The field manager the Secret's managedFields show for the keys the Job wrote. */
export const FIELD_MANAGER = 'pingpong-credentials';

const status = (e: unknown): number | undefined => (e instanceof ApiException ? e.code : undefined);

const decode = (data: Record<string, string> | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));

const encode = (data: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]));

/** Says which right is missing, naming the Role to look at, instead of a bare 403. */
function explain(e: unknown, verb: string, namespace: string): never {
  if (status(e) === 403) {
    throw new Error(`forbidden to ${verb} Secret ${namespace}/${CREDENTIALS_SECRET}: the Role pingpong-credentials (db/k8s/200-credentials-role.yaml) must grant it to this pod's ServiceAccount`, { cause: e });
  }
  throw e;
}

export function kubeCredentialsStore(kc: KubeConfig, namespace: string): CredentialsStore {
  const api = kc.makeApiClient(CoreV1Api);
  const name = CREDENTIALS_SECRET;
  return {
    async read() {
      assertDeclared(KUBE_ACCESS, '', 'secrets', 'get');
      try {
        const s = await api.readNamespacedSecret({ name, namespace });
        return { data: decode(s.data), resourceVersion: s.metadata?.resourceVersion ?? '' };
      } catch (e) {
        if (status(e) === 404) return undefined;
        return explain(e, 'get', namespace);
      }
    },
    async add(keys, resourceVersion) {
      assertDeclared(KUBE_ACCESS, '', 'secrets', 'patch');
      // A JSON merge patch adds these keys to `data` and leaves every other key as it is; the
      // resourceVersion in it makes the API server refuse it (409) if the Secret changed meanwhile.
      const body = { metadata: { resourceVersion }, data: encode(keys) };
      try {
        await api.patchNamespacedSecret({ name, namespace, body, fieldManager: FIELD_MANAGER },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
        return 'added';
      } catch (e) {
        if (status(e) === 409) return 'conflict';
        return explain(e, 'patch', namespace);
      }
    },
  };
}
