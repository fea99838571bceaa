/**
 * Server-side printing: `meta.k8s.io/v1 Table`, what kubectl asks for (`Accept: …;as=Table`) so
 * `kubectl get` prints the resource's own columns, and Kubernetes' short human ages ("5m", "2d3h").
 */
import type { KubeObject } from '../../lib/kube/object.js';

/** A column of a Table (metav1.TableColumnDefinition). */
export interface TableColumn { name: string; type: string; format: string; description: string; priority: number }

/** How one resource prints: its columns, and one row of cells per object. */
export interface TablePrinter {
  columns: TableColumn[];
  cells(object: KubeObject, now: Date): unknown[];
}

/** What a row carries besides its cells: nothing, the object's metadata, or the object itself. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** The name column every resource starts with. */
export const NAME_COLUMN: TableColumn = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 };
/** The age column, as Kubernetes' default printer has it. */
export const AGE_COLUMN: TableColumn = { name: 'Age', type: 'string', format: '', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', priority: 0 };

/** The printer for resources without their own: NAME and AGE, as for a CRD without printer columns. */
export const DEFAULT_PRINTER: TablePrinter = {
  columns: [NAME_COLUMN, AGE_COLUMN],
  cells: (o, now) => [o.metadata.name, age(o.metadata.creationTimestamp, now)],
};

/** Kubernetes' `duration.HumanDuration`: few digits, more precise when young. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 60 * 2) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 60 * 3) return `${m}m`;
  const h = Math.floor(s / 3600);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  if (h < 24 * 8) return h % 24 === 0 ? `${Math.floor(h / 24)}d` : `${Math.floor(h / 24)}d${h % 24}h`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24)}d`;
  const y = Math.floor(h / 24 / 365);
  if (y < 8) return `${y}y${Math.floor(h / 24) % 365}d`;
  return `${y}y`;
}

/** The AGE cell of a timestamp, or `<unknown>` when there is none, as kubectl shows it. */
export function age(timestamp: string | undefined, now: Date): string {
  if (!timestamp) return '<unknown>';
  return humanDuration(now.getTime() - new Date(timestamp).getTime());
}

/** The object's metadata only (meta.k8s.io/v1 PartialObjectMetadata). */
export function partialMetadata(o: KubeObject): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

/** Builds a Table of the objects; `resourceVersion` is the list's (omitted in watch events). */
export function toTable(printer: TablePrinter, objects: readonly KubeObject[], opts: {
  apiVersion: string; now: Date; include: IncludeObject; resourceVersion?: string; noHeaders?: boolean;
}): Record<string, unknown> {
  return {
    kind: 'Table',
    apiVersion: opts.apiVersion,
    metadata: opts.resourceVersion ? { resourceVersion: opts.resourceVersion } : {},
    columnDefinitions: opts.noHeaders ? null : printer.columns,
    rows: objects.map((o) => ({
      cells: printer.cells(o, opts.now),
      ...(opts.include === 'None' ? {} : { object: opts.include === 'Object' ? o : partialMetadata(o) }),
    })),
  };
}
