/** The local Kubernetes API server: what the CLI and the next resources use. */
export { LocalApiServer, type LocalApiServerOptions, type WriteKubeconfigsOptions } from './server.js';
export type { KubeconfigPaths } from './kubeconfig.js';
export type { ResourceDefinition, Resource, Verb, WriteRequest } from './registry.js';
export { ObjectStore, timestamp, type Change } from './store.js';
export { ApiError, errors } from './status.js';
export { podObject } from './pods.js';
export { authorize, buildPolicy, type RbacPolicy, type RequestAttributes, type UserInfo } from './rbac.js';
