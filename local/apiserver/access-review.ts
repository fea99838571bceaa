/**
 * `SelfSubjectAccessReview` and `SelfSubjectRulesReview` (authorization.k8s.io/v1), so
 * `kubectl auth can-i` answers from the same RBAC decision the server enforces.
 */
import type { ResourceDefinition } from './registry.js';
import { authorize, rulesFor, type RbacPolicy, type RequestAttributes } from './rbac.js';
import { errors } from './status.js';
import type { KubeObject } from '../../lib/kube/object.js';

interface ResourceAttributes { namespace?: string; verb?: string; group?: string; resource?: string; subresource?: string; name?: string }
interface NonResourceAttributes { path?: string; verb?: string }

/** The two review resources; `policy` is read at each request, so RBAC changes apply at once. */
export function accessReviewResources(policy: () => RbacPolicy): ResourceDefinition[] {
  const base = { group: 'authorization.k8s.io', version: 'v1', namespaced: false, verbs: ['create' as const] };
  return [
    {
      ...base, resource: 'selfsubjectaccessreviews', singularName: 'selfsubjectaccessreview', kind: 'SelfSubjectAccessReview',
      create(body, { user }) {
        const spec = (body.spec ?? {}) as { resourceAttributes?: ResourceAttributes; nonResourceAttributes?: NonResourceAttributes };
        const ra = spec.resourceAttributes;
        const nra = spec.nonResourceAttributes;
        if (!ra === !nra) throw errors.badRequest('spec: Invalid value: exactly one of nonResourceAttributes or resourceAttributes must be specified');
        const attrs: RequestAttributes = ra
          ? { user, verb: ra.verb ?? '', resourceRequest: true, apiGroup: ra.group ?? '', resource: ra.resource ?? '', subresource: ra.subresource ?? '', name: ra.name ?? '', namespace: ra.namespace ?? '', path: '' }
          : { user, verb: nra!.verb ?? '', resourceRequest: false, apiGroup: '', resource: '', subresource: '', name: '', namespace: '', path: nra!.path ?? '' };
        const d = authorize(policy(), attrs);
        return { ...body, apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: { ...body.metadata, name: '' }, status: { allowed: d.allowed, ...(d.reason ? { reason: d.reason } : {}) } } as KubeObject;
      },
    },
    {
      ...base, resource: 'selfsubjectrulesreviews', singularName: 'selfsubjectrulesreview', kind: 'SelfSubjectRulesReview',
      create(body, { user }) {
        const ns = ((body.spec ?? {}) as { namespace?: string }).namespace ?? '';
        const rules = rulesFor(policy(), user, ns);
        return {
          ...body, apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', metadata: { ...body.metadata, name: '' },
          status: {
            resourceRules: rules.filter((r) => !r.nonResourceURLs?.length).map((r) => ({ verbs: r.verbs, apiGroups: r.apiGroups ?? [], resources: r.resources ?? [], ...(r.resourceNames ? { resourceNames: r.resourceNames } : {}) })),
            nonResourceRules: rules.filter((r) => r.nonResourceURLs?.length).map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs })),
            incomplete: false,
          },
        } as KubeObject;
      },
    },
  ];
}
