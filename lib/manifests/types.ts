/**
 * Shapes shared by the manifest loader, the validators and their users (the tests, the local
 * runtime's loader and API server).
 */
import type { KubeObject } from '../kube/object.js';

/** One thing wrong with one manifest, named precisely enough to fix without reading code. */
export interface ManifestProblem {
  /** The file the resource came from, as the loader named it. */
  file: string;
  /** `Kind/namespace/name` (namespace empty for cluster-scoped kinds), or `Kind/name` when unknown. */
  resource: string;
  /** Dotted path inside the resource, e.g. `spec.template.spec.containers[0].env[1].name`; `` for the whole. */
  field: string;
  message: string;
}

/** One YAML document of one file. */
export interface LoadedResource {
  /** The file, relative to the kustomization root (loadKustomization) or as given (loadFiles). */
  file: string;
  /** The document's position in its file (0-based), counting only non-empty documents. */
  index: number;
  object: KubeObject;
}

/** Options of the validators. */
export interface ValidateOptions {
  /**
   * Also refuse what the local runtime cannot run (e.g. `cesql` filters). Off: the cluster's rules
   * only.
   */
  local?: boolean;
  /**
   * Knative `config-features` flags that are enabled, e.g. `kubernetes.podspec-fieldref`. Defaults
   * to Knative's defaults (DEFAULT_FEATURES).
   */
  features?: Iterable<string>;
  /** Custom kinds (`group/version/Kind`) defined by CRDs in the same set: accepted, checked elsewhere. */
  customKinds?: ReadonlySet<string>;
}
