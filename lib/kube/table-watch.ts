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

/** The declared access a table watch needs: get and watch on the one table. */
export const tableAccess = (name: string): KubeAccess => ({ apiGroup: TABLE_GROUP, resource: TABLE_PLURAL, verbs: ['get', 'watch'], resourceNames: [name] });

export interface TableWatch {
  /** The table as last seen, or undefined before the first read or while it does not exist. */
  current(): KubeObject | undefined;
  stop(): void;
}

const RETRY_MS = 2000;

/** Follows one table; `onChange` hears every new version (and undefined when it is deleted). */
export function watchTable(kc: KubeConfig, namespace: string, name: string, access: readonly KubeAccess[],
  onChange: (table: KubeObject | undefined) => void = () => undefined, onError: (e: unknown) => void = () => undefined): TableWatch {
  const api = kc.makeApiClient(CustomObjectsApi);
  let table: KubeObject | undefined;
  let stopped = false;
  let abort: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;
  const set = (t: KubeObject | undefined) => {
    if (t?.metadata.resourceVersion !== undefined && t.metadata.resourceVersion === table?.metadata.resourceVersion) return;
    table = t;
    onChange(t);
  };
  const again = (e?: unknown) => {
    if (e) onError(e);
    if (!stopped) timer = setTimeout(() => void follow(), RETRY_MS);
  };
  const follow = async () => {
    try {
      assertDeclared(access, TABLE_GROUP, TABLE_PLURAL, 'get');
      const got = await api.getNamespacedCustomObject({ group: TABLE_GROUP, version: TABLE_VERSION, namespace, plural: TABLE_PLURAL, name }).catch((e: unknown) => {
        if (e instanceof ApiException && e.code === 404) return undefined;
        throw e;
      }) as KubeObject | undefined;
      set(got);
      if (stopped) return;
      assertDeclared(access, TABLE_GROUP, TABLE_PLURAL, 'watch');
      abort = await new Watch(kc).watch(`/apis/${TABLE_GROUP}/${TABLE_VERSION}/namespaces/${namespace}/${TABLE_PLURAL}`,
        { fieldSelector: `metadata.name=${name}`, ...(got?.metadata.resourceVersion ? { resourceVersion: got.metadata.resourceVersion } : {}) },
        (phase, obj: KubeObject) => set(phase === 'DELETED' ? undefined : obj),
        (err) => again(err));
    } catch (e) {
      again(e);
    }
  };
  void follow();
  return {
    current: () => table,
    stop: () => { stopped = true; clearTimeout(timer); abort?.abort(); },
  };
}
