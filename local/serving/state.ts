import type { EventEmitter } from 'node:events';
import type { PodAgent } from './proxy.js';
import type { Logger } from 'pino';
import type { KubeObject } from '../../lib/kube/object.js';
import type { PodRecord } from '../types.js';
import type { Activator } from './activator.js';
import type { PanicState } from './autoscaler.js';
import type { ConcurrencyWindow } from './metrics.js';
import type { ResolvedOptions } from './options.js';
import type { LogSink, Pod, PodChange } from './pod.js';
import type { RevisionSettings } from './settings.js';

/**
 * The records Serving keeps per Service and revision, and the context its pieces share. Internal:
 * the outside sees only status.ts's views, so these can change freely.
 */

export interface Revision {
  name: string;
  generation: number;
  template: any;
  /** The container that runs: the one with a port, else the first (sidecars do not run). */
  container: any;
  settings: RevisionSettings;
  createdAt: number;
  pods: Set<Pod>;
  /** The autoscaler's current decision. */
  desired: number;
  window: ConcurrencyWindow;
  panic: PanicState;
  initialScaleReached: boolean;
  /** When a first pod got ready: scale to zero waits a stable window after it (kpa ActiveFor). */
  activeSince?: number;
  isReady: boolean;
  /** Crashes since the last ready pod, and when a replacement may start (CrashLoopBackOff). */
  failures: number;
  retryAt: number;
  retryTimer?: NodeJS.Timeout;
}

export interface Service {
  namespace: string;
  name: string;
  object: KubeObject;
  hash: string;
  generation: number;
  revisions: Revision[];
  /** The revision taking all traffic: the newest Ready one. */
  routed?: Revision;
  activator: Activator;
  /** Deleted: late callbacks of its pods must not start new ones. */
  removed: boolean;
}

/** What every piece of Serving reads and changes; Serving owns one and passes it along. */
export interface Context {
  readonly opts: ResolvedOptions;
  readonly log: Logger;
  readonly sink: LogSink;
  /** Serving itself: `pod` and `change` events go out through it. */
  readonly events: EventEmitter;
  /** Services by `namespace/name`. */
  readonly services: Map<string, Service>;
  /** Pods of removed Services, until their processes exit. */
  readonly exiting: Set<Pod>;
  /** Ports given to pods still alive, so two pods never get the same one. */
  readonly usedPorts: Set<number>;
  readonly agent: PodAgent;
  stopping?: Promise<void>;
  /**
   * A pod changed (lifecycle.ts). A hook rather than an import: pods are born in replicas.ts and
   * their changes lead back into it.
   */
  readonly podChanged: (svc: Service, rev: Revision, pod: Pod, change: PodChange) => void;
}

export const serviceKey = (svc: Service) => `${svc.namespace}/${svc.name}`;

/** Ready pods not on their way out: what traffic can go to. */
export const readyPods = (rev: Revision) => [...rev.pods].filter((p) => p.record.ready && !p.record.terminating).length;

/** Pods running or starting, not terminating: what counts towards `desired`. */
export const livePods = (rev: Revision) => [...rev.pods].filter((p) => !p.record.terminating && !p.gone);

/** What the log says about a pod: its name, revision and address. */
export const podFields = (p: PodRecord) => ({ pod: p.name, revision: p.revision, ip: p.ip, port: p.port });
