/**
 * The built-in kinds the manifests use besides pods: namespaces, ConfigMaps, Secrets,
 * ServiceAccounts, the RBAC kinds, CustomResourceDefinitions and ValidatingAdmissionPolicies with
 * their bindings, and NetworkPolicies (stored and shown, not enforced: the runtime has no pod
 * network to filter; docs/risks.md), each printed as kubectl prints it on a cluster.
 */
import type { ResourceDefinition, Verb } from './registry.js';
import type { ObjectStore } from './store.js';
import { formatLabelSelector } from './selectors.js';
import { AGE_COLUMN, NAME_COLUMN, age, type TableColumn, type TablePrinter } from './table.js';
import { EVENT_FIELDS, EVENT_PRINTER } from './events.js';
import type { KubeObject } from '../../lib/kube/object.js';

const ALL_VERBS: Verb[] = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];
const col = (name: string, description = '', type = 'string'): TableColumn => ({ name, type, format: '', description, priority: 0 });
const count = (o: unknown) => (o && typeof o === 'object' ? Object.keys(o).length : 0);

function printer(columns: TableColumn[], cells: (o: KubeObject) => unknown[], withAge = true): TablePrinter {
  return {
    columns: [NAME_COLUMN, ...columns, ...(withAge ? [AGE_COLUMN] : [])],
    cells: (o, now) => [o.metadata.name, ...cells(o), ...(withAge ? [age(o.metadata.creationTimestamp, now)] : [])],
  };
}

const CREATED_AT: TablePrinter = {
  columns: [NAME_COLUMN, col('Created At', 'CreationTimestamp', 'date')],
  cells: (o) => [o.metadata.name, o.metadata.creationTimestamp ?? null],
};

interface Kind {
  group: string; version: string; resource: string; kind: string; namespaced: boolean; shortNames?: string[];
  printer?: TablePrinter; statusSubresource?: boolean; selectableFields?: Record<string, (o: KubeObject) => string>;
}

const KINDS: Kind[] = [
  { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false, shortNames: ['ns'], statusSubresource: true,
    printer: printer([col('Status')], (o) => [(o.status as { phase?: string } | undefined)?.phase ?? 'Active']) },
  { group: '', version: 'v1', resource: 'events', kind: 'Event', namespaced: true, shortNames: ['ev'], printer: EVENT_PRINTER, selectableFields: EVENT_FIELDS },
  { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'],
    printer: printer([col('Data', '', 'integer')], (o) => [count(o.data) + count(o.binaryData)]) },
  { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true,
    printer: printer([col('Type'), col('Data', '', 'integer')], (o) => [o.type ?? 'Opaque', count(o.data) + count(o.stringData)]) },
  { group: '', version: 'v1', resource: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true, shortNames: ['sa'],
    printer: printer([col('Secrets', '', 'integer')], (o) => [Array.isArray(o.secrets) ? o.secrets.length : 0]) },
  { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'roles', kind: 'Role', namespaced: true, printer: CREATED_AT },
  { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles', kind: 'ClusterRole', namespaced: false, printer: CREATED_AT },
  { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'rolebindings', kind: 'RoleBinding', namespaced: true,
    printer: printer([col('Role')], (o) => [`${(o.roleRef as { kind?: string })?.kind}/${(o.roleRef as { name?: string })?.name}`]) },
  { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: false,
    printer: printer([col('Role')], (o) => [`${(o.roleRef as { kind?: string })?.kind}/${(o.roleRef as { name?: string })?.name}`]) },
  { group: 'networking.k8s.io', version: 'v1', resource: 'networkpolicies', kind: 'NetworkPolicy', namespaced: true, shortNames: ['netpol'],
    printer: printer([col('Pod-Selector')], (o) => [formatLabelSelector(o.spec?.podSelector)]) },
  { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false,
    shortNames: ['crd', 'crds'], printer: CREATED_AT, statusSubresource: true },
  { group: 'admissionregistration.k8s.io', version: 'v1', resource: 'validatingadmissionpolicies', kind: 'ValidatingAdmissionPolicy', namespaced: false,
    statusSubresource: true,
    printer: printer([col('Validations', '', 'integer'), col('ParamKind')], (o) => [Array.isArray(o.spec?.validations) ? o.spec.validations.length : 0,
      o.spec?.paramKind ? `${o.spec.paramKind.apiVersion}/${o.spec.paramKind.kind}` : '<unset>']) },
  { group: 'admissionregistration.k8s.io', version: 'v1', resource: 'validatingadmissionpolicybindings', kind: 'ValidatingAdmissionPolicyBinding', namespaced: false,
    printer: printer([col('PolicyName'), col('ParamRef')], (o) => [o.spec?.policyName ?? '',
      o.spec?.paramRef ? `${o.spec.paramRef.namespace ? `${o.spec.paramRef.namespace}/` : '*/'}${o.spec.paramRef.name ?? '*'}` : '<unset>']) },
];

/** The built-in resources, each on its own store from `newStore`. */
export function builtinResources(newStore: () => ObjectStore): ResourceDefinition[] {
  return KINDS.map((k) => ({
    ...k,
    singularName: k.kind.toLowerCase(),
    verbs: ALL_VERBS,
    store: newStore(),
  }));
}
