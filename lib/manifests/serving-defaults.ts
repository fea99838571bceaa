/**
 * Knative Serving's defaulting webhook for a Service, the part a user sees in `kubectl get -o
 * yaml` (SRV pkg/apis/serving/v1 *_defaults.go, config-defaults): containerConcurrency 0,
 * timeoutSeconds 300, enableServiceLinks false, a lone container named user-container, empty
 * resources, and traffic 100% to the latest revision. Pure: returns a defaulted copy.
 */
import { MAX_TIMEOUT_SECONDS } from './serving-rules.js';

export const DEFAULT_TIMEOUT_SECONDS = 300;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function defaultService<T extends { apiVersion?: string; kind?: string }>(object: T): T {
  if (object.kind !== 'Service' || !String(object.apiVersion).startsWith('serving.knative.dev/')) return object;
  const o = structuredClone(object) as T & { spec?: Obj };
  const spec = (o.spec ??= {});
  const template = (isObj(spec.template) ? spec.template : (spec.template = {})) as Obj;
  const pod = (isObj(template.spec) ? template.spec : (template.spec = {})) as Obj;
  pod.containerConcurrency ??= 0;
  pod.timeoutSeconds ??= Math.min(DEFAULT_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS);
  pod.enableServiceLinks ??= false;
  const containers = Array.isArray(pod.containers) ? pod.containers.filter(isObj) : [];
  if (containers.length === 1) containers[0]!.name ??= 'user-container';
  for (const c of containers) c.resources ??= {};
  spec.traffic ??= [{ latestRevision: true, percent: 100 }];
  return o;
}
