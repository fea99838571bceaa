/**
 * The PingPongTable, followed live: a get, then a watch of that one object (a field selector on
 * its name, so RBAC may grant get and watch on that name alone), again after a pause when the
 * watch ends. Functions read the game's settings from here, so a `kubectl edit ppt default`
 * reaches every pod without a restart.
 */
import { ApiException, CustomObjectsApi, Watch, type KubeConfig } from '@kubernetes/client-node';
import { assertDeclared, type KubeAccess } from './client.js';
import type { KubeObject } from './object.js';

export const TABLE_GROUP = 'pingpong.dev';
export const TABLE_VERSION = 'v1alpha1';
export const TABLE_PLURAL = 'pingpongtables';

export interface TableWatch {
  /** The table as last seen, or undefined before the first read or while it does not exist. */
  current(): KubeObject | undefined;
}

const RETRY_MS = 2000;

/** Follows one table for as long as the process runs; `onError` hears why a watch ended, `onChange` each new version. */
export function watchTable(kc: KubeConfig, namespace: string, name: string, access: readonly KubeAccess[],
  onError: (e: unknown) => void = () => undefined, onChange: () => void = () => undefined): TableWatch {
  const api = kc.makeApiClient(CustomObjectsApi);
  let table: KubeObject | undefined;
  const again = (e?: unknown) => {
    if (e) onError(e);
    setTimeout(() => void follow(), RETRY_MS).unref();
  };
  const follow = async () => {
    try {
      assertDeclared(access, TABLE_GROUP, TABLE_PLURAL, 'get');
      table = await api.getNamespacedCustomObject({ group: TABLE_GROUP, version: TABLE_VERSION, namespace, plural: TABLE_PLURAL, name }).catch((e: unknown) => {
        if (e instanceof ApiException && e.code === 404) return undefined;
        throw e;
      }) as KubeObject | undefined;
      onChange();
      assertDeclared(access, TABLE_GROUP, TABLE_PLURAL, 'watch');
      await new Watch(kc).watch(`/apis/${TABLE_GROUP}/${TABLE_VERSION}/namespaces/${namespace}/${TABLE_PLURAL}`,
        { fieldSelector: `metadata.name=${name}`, ...(table?.metadata.resourceVersion ? { resourceVersion: table.metadata.resourceVersion } : {}) },
        (phase, obj: KubeObject) => { table = phase === 'DELETED' ? undefined : obj; onChange(); },
        (err) => again(err));
    } catch (e) {
      again(e);
    }
  };
  void follow();
  return { current: () => table };
}
