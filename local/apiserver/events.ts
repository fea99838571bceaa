/**
 * Core v1 Events, as controllers record them on a cluster: what happened to which object, a
 * repeat of the same reason and message counted on one Event (client-go's aggregation), and at
 * most `limit` kept (the oldest go first, as the API server's TTL would take them).
 */
import { randomBytes } from 'node:crypto';
import type { ObjectStore } from './store.js';
import { timestamp } from './store.js';
import { age, NAME_COLUMN, type TablePrinter } from './table.js';
import type { KubeObject } from '../../lib/kube/object.js';

export interface ObjectReference { apiVersion: string; kind: string; namespace: string; name: string; uid?: string }

export interface EventRecord {
  object: ObjectReference;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export type RecordEvent = (e: EventRecord) => void;

const col = (name: string) => ({ name, type: 'string', format: '', description: '', priority: 0 });

/** `kubectl get events`: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE. */
export const EVENT_PRINTER: TablePrinter = {
  columns: [{ ...col('Last Seen'), name: 'Last Seen' }, col('Type'), col('Reason'), col('Object'), col('Message'), { ...NAME_COLUMN, priority: 1 }],
  cells: (o, now) => {
    const inv = o.involvedObject as ObjectReference;
    return [age(o.lastTimestamp as string, now), o.type, o.reason, `${inv.kind.toLowerCase()}/${inv.name}`, o.message, o.metadata.name];
  },
};

/** The field selectors kubectl describe uses to find an object's events. */
export const EVENT_FIELDS: Record<string, (o: KubeObject) => string> = {
  'involvedObject.kind': (o) => (o.involvedObject as ObjectReference).kind,
  'involvedObject.namespace': (o) => (o.involvedObject as ObjectReference).namespace,
  'involvedObject.name': (o) => (o.involvedObject as ObjectReference).name,
  'involvedObject.uid': (o) => (o.involvedObject as ObjectReference).uid ?? '',
  'involvedObject.apiVersion': (o) => (o.involvedObject as ObjectReference).apiVersion,
  'involvedObject.resourceVersion': () => '',
  'involvedObject.fieldPath': () => '',
  reason: (o) => String(o.reason),
  type: (o) => String(o.type),
  'source': () => 'pingpong',
  reportingComponent: () => 'pingpong',
};

export function eventRecorder(store: ObjectStore, now: () => Date, limit = 1000): RecordEvent {
  return ({ object, type, reason, message }) => {
    const at = timestamp(now());
    const same = store.list(object.namespace).items.find((e) => {
      const inv = e.involvedObject as ObjectReference;
      return inv.kind === object.kind && inv.name === object.name && e.reason === reason && e.message === message && e.type === type;
    });
    if (same) {
      store.put({ ...same, count: Number(same.count ?? 1) + 1, lastTimestamp: at });
      return;
    }
    store.put({
      apiVersion: 'v1', kind: 'Event',
      metadata: { name: `${object.name}.${randomBytes(8).toString('hex')}`, namespace: object.namespace, creationTimestamp: at },
      involvedObject: object, type, reason, message, count: 1, firstTimestamp: at, lastTimestamp: at,
      source: { component: 'pingpong' }, reportingComponent: 'pingpong', reportingInstance: 'local',
    });
    const all = store.list().items;
    if (all.length > limit) {
      for (const old of all.sort((a, b) => String(a.lastTimestamp).localeCompare(String(b.lastTimestamp))).slice(0, all.length - limit)) {
        store.delete(old.metadata.namespace, old.metadata.name);
      }
    }
  };
}
