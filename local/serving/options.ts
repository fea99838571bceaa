import type { Logger } from 'pino';
import type { KubeObject } from '../../lib/kube/object.js';
import type { RuntimeEvent } from '../types.js';
import { DEFAULT_QUEUE_LIMIT } from './activator.js';
import type { ResolveEnvFrom } from './env.js';
import type { LogSink, PodCommand } from './pod.js';

/**
 * What the runtime tells Serving, and the defaults it falls back on: one place, so every piece
 * reads the same resolved values.
 */

export const DEFAULT_DOMAIN = '127.0.0.1.sslip.io';

export interface ServingOptions {
  /** Told of rollouts, scaling and pod failures, which the runtime records as Events. */
  record?: (e: RuntimeEvent) => void;
  /** The global stable window (config-autoscaler `stable-window`, 60 s); `window` annotations override it. */
  stableWindowMs?: number;
  /** How often the autoscaler decides (Knative: every 2 s). */
  tickMs?: number;
  /** Which process runs a container (the CLI maps FUNCTION_TARGET to functionCommand). */
  podCommand: (service: KubeObject, container: any) => PodCommand;
  /** Extra env for a pod of a revision (DATABASE_URL, KUBECONFIG, K_SINK…). */
  podEnv?: (service: KubeObject, revision: string, pod: string) => Record<string, string> | Promise<Record<string, string>>;
  /** Resolves env `valueFrom` (configMapKeyRef, secretKeyRef). */
  resolveEnvFrom?: ResolveEnvFrom;
  log?: Logger;
  /** Where pod output goes, one prefixed line at a time (default: stdout). */
  logSink?: LogSink;
  /** Grace for in-flight requests to drain, then between SIGTERM and SIGKILL (default 10 s). */
  terminationGraceMs?: number;
  /** Requests buffered per Service before 503 (default 10000, Knative's breakerQueueDepth). */
  queueLimit?: number;
  /** The external domain (config-domain); default 127.0.0.1.sslip.io. */
  domain?: string;
  /** Working directory of pod processes (default process.cwd()). */
  cwd?: string;
  /**
   * Variables of the runtime's own environment a pod inherits, as a container image would have
   * them (PATH, HOME…); nothing else of the host leaks in.
   */
  inheritEnv?: string[];
}

export type ResolvedOptions = Required<Pick<ServingOptions, 'stableWindowMs' | 'tickMs' | 'terminationGraceMs' | 'queueLimit' | 'domain' | 'cwd' | 'inheritEnv'>> & ServingOptions;

const DEFAULT_INHERIT = ['PATH', 'HOME', 'TMPDIR', 'TMP', 'TEMP', 'LANG', 'LC_ALL', 'TZ', 'NODE_EXTRA_CA_CERTS', 'SYSTEMROOT'];

/** The options with defaults filled in; an option given as undefined counts as not given. */
export function resolveOptions(options: ServingOptions): ResolvedOptions {
  return {
    stableWindowMs: 60_000, tickMs: 2_000, terminationGraceMs: 10_000, queueLimit: DEFAULT_QUEUE_LIMIT,
    domain: DEFAULT_DOMAIN, cwd: process.cwd(), inheritEnv: DEFAULT_INHERIT,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  } as ResolvedOptions;
}
