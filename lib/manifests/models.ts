// One module per kind: a group's index loads every model of the group (tens of MiB held for good).
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service as CoreService } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import { ValidatingAdmissionPolicy } from 'kubernetes-models/admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy';
import { ValidatingAdmissionPolicyBinding } from 'kubernetes-models/admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding';
import { Service as KnativeService } from '@kubernetes-models/knative/serving.knative.dev/v1/Service';
import { Broker } from '@kubernetes-models/knative/eventing.knative.dev/v1/Broker';
import { Trigger } from '@kubernetes-models/knative/eventing.knative.dev/v1/Trigger';
import { ApiServerSource } from '@kubernetes-models/knative/sources.knative.dev/v1/ApiServerSource';
import { PingSource } from '@kubernetes-models/knative/sources.knative.dev/v1/PingSource';
import { SinkBinding } from '@kubernetes-models/knative/sources.knative.dev/v1/SinkBinding';
import serviceCrd from './schemas/knative-service.schema.json' with { type: 'json' };
import brokerCrd from './schemas/knative-broker.schema.json' with { type: 'json' };
import triggerCrd from './schemas/knative-trigger.schema.json' with { type: 'json' };
import pingSourceCrd from './schemas/knative-pingsource.schema.json' with { type: 'json' };
import sinkBindingCrd from './schemas/knative-sinkbinding.schema.json' with { type: 'json' };
import apiServerSourceCrd from './schemas/knative-apiserversource.schema.json' with { type: 'json' };

/** The typed model's validate(): throws a ValidationError whose `errors` are ajv errors. */
type ModelClass = new (data: any) => { validate(): void };

/**
 * A kind the project validates: its typed model (type and required-field checks) and where its
 * complete field list comes from, for the unknown-field check the models do not make: Knative
 * kinds from their CRD schema (vendored), built-in kinds from @kubernetes/client-node's
 * generated model of the same name.
 */
export interface KindInfo {
  model: ModelClass;
  /** The vendored CRD openAPIV3Schema, for Knative kinds. */
  crd?: Record<string, any>;
  /** The @kubernetes/client-node model name, for built-in kinds. */
  clientModel?: string;
  namespaced: boolean;
}

const builtin = (model: ModelClass, clientModel: string, namespaced = true): KindInfo => ({ model, clientModel, namespaced });
const knative = (model: ModelClass, crd: { schema: Record<string, any> }): KindInfo => ({ model, crd: crd.schema, namespaced: true });

/** Every kind the manifests may use, by `apiVersion/kind`. */
export const KINDS: ReadonlyMap<string, KindInfo> = new Map<string, KindInfo>([
  ['v1/Namespace', builtin(Namespace, 'V1Namespace', false)],
  ['v1/ServiceAccount', builtin(ServiceAccount, 'V1ServiceAccount')],
  ['v1/ConfigMap', builtin(ConfigMap, 'V1ConfigMap')],
  ['v1/Secret', builtin(Secret, 'V1Secret')],
  ['v1/Service', builtin(CoreService, 'V1Service')],
  ['v1/PersistentVolumeClaim', builtin(PersistentVolumeClaim, 'V1PersistentVolumeClaim')],
  ['apps/v1/StatefulSet', builtin(StatefulSet, 'V1StatefulSet')],
  ['apps/v1/Deployment', builtin(Deployment, 'V1Deployment')],
  ['batch/v1/Job', builtin(Job, 'V1Job')],
  ['networking.k8s.io/v1/NetworkPolicy', builtin(NetworkPolicy, 'V1NetworkPolicy')],
  ['rbac.authorization.k8s.io/v1/Role', builtin(Role, 'V1Role')],
  ['rbac.authorization.k8s.io/v1/RoleBinding', builtin(RoleBinding, 'V1RoleBinding')],
  ['rbac.authorization.k8s.io/v1/ClusterRole', builtin(ClusterRole, 'V1ClusterRole', false)],
  ['rbac.authorization.k8s.io/v1/ClusterRoleBinding', builtin(ClusterRoleBinding, 'V1ClusterRoleBinding', false)],
  ['apiextensions.k8s.io/v1/CustomResourceDefinition', builtin(CustomResourceDefinition, 'V1CustomResourceDefinition', false)],
  ['admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy', builtin(ValidatingAdmissionPolicy, 'V1ValidatingAdmissionPolicy', false)],
  ['admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding', builtin(ValidatingAdmissionPolicyBinding, 'V1ValidatingAdmissionPolicyBinding', false)],
  ['serving.knative.dev/v1/Service', knative(KnativeService, serviceCrd)],
  ['eventing.knative.dev/v1/Broker', knative(Broker, brokerCrd)],
  ['eventing.knative.dev/v1/Trigger', knative(Trigger, triggerCrd)],
  ['sources.knative.dev/v1/PingSource', knative(PingSource, pingSourceCrd)],
  ['sources.knative.dev/v1/SinkBinding', knative(SinkBinding, sinkBindingCrd)],
  ['sources.knative.dev/v1/ApiServerSource', knative(ApiServerSource, apiServerSourceCrd)],
]);

/** The registry key of an object: `apiVersion/kind`. */
export const kindKey = (obj: { apiVersion?: unknown; kind?: unknown }): string => `${String(obj.apiVersion)}/${String(obj.kind)}`;
