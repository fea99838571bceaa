export { Serving, ServingValidationError, DEFAULT_DOMAIN, CLUSTER_LOCAL_DOMAIN, VISIBILITY_LABEL,
  type ServingOptions, type ServiceStatus, type RevisionStatus } from './serving.js';
export type { PodCommand, LogSink, Probe } from './pod.js';
export type { ResolveEnvFrom } from './env.js';
export { DEFAULT_QUEUE_LIMIT } from './activator.js';
export { revisionSettings, type RevisionSettings } from './settings.js';
export { decideScale, type ScaleInput, type ScaleDecision } from './autoscaler.js';
export { revisionName, podName, templateHash } from './names.js';
