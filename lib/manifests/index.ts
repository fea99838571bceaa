/**
 * The manifests as data: load them as kustomize would (load.ts), validate them as a Knative
 * cluster would admit them (validate.ts), check their cross-references (references.ts) and the
 * func.yaml files (func-yaml.ts). The tests and the local runtime use the same functions.
 */
export * from './types.js';
export { loadKustomization, loadFiles, kustomizationGenerators, kustomizationDirs, kustomizationFiles, ManifestLoadError, type GeneratedResource } from './load.js';
export { validateResource, validateAll, localRuntimeProblems, DEFAULT_FEATURES, CESQL_UNSUPPORTED } from './validate.js';
export { referenceProblems, referencesOf, type Reference } from './references.js';
export { validateFuncYaml, checkFuncYamlFile } from './func-yaml.js';
export { renderKustomization, hasKubectl, freshCloneFiles, type Rendering } from './kustomize.js';
export { parseGoDuration, parseIsoDuration } from './durations.js';
export { cronProblem, isTimeZone, ATTRIBUTE_NAME, FILTER_DIALECTS } from './eventing-rules.js';
export { AUTOSCALING_PREFIX, RESERVED_ENV, RESERVED_PORTS } from './serving-rules.js';
export { defaultService, DEFAULT_TIMEOUT_SECONDS } from './serving-defaults.js';
export { KINDS, kindKey, type KindInfo } from './models.js';
