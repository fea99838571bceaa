/**
 * Impersonation (kubectl --as, --as-group): a request acts as another user when its caller may
 * `impersonate` (RBAC; the admin may), as the API server's impersonation filter does.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { authorize, type RbacPolicy, type UserInfo } from './rbac.js';
import { ApiError } from './status.js';

/** The groups Kubernetes gives a user by name: a ServiceAccount's two, and system:authenticated. */
export const groupsOf = (user: string): string[] => (user.startsWith('system:serviceaccount:')
  ? ['system:serviceaccounts', `system:serviceaccounts:${user.split(':')[2]}`, 'system:authenticated'] : ['system:authenticated']);

/** The user a request acts as: `Impersonate-User` if the caller may, else the caller (403 if it may not). */
export function impersonated(policy: RbacPolicy, headers: IncomingHttpHeaders, caller: UserInfo): UserInfo {
  const as = headers['impersonate-user'];
  if (typeof as !== 'string' || as === '') return caller;
  const sa = as.startsWith('system:serviceaccount:') ? as.split(':') : undefined;
  const may = authorize(policy, {
    user: caller, verb: 'impersonate', resourceRequest: true, apiGroup: '', resource: sa ? 'serviceaccounts' : 'users',
    subresource: '', name: sa ? sa[3] ?? '' : as, namespace: sa ? sa[2] ?? '' : '', path: '',
  }).allowed;
  if (!may) throw new ApiError(403, 'Forbidden', `users "${as}" is forbidden: User "${caller.name}" cannot impersonate resource "users" in API group "" at the cluster scope`);
  const extra = headers['impersonate-group'];
  const groups = (Array.isArray(extra) ? extra : extra ? [extra] : []).flatMap((g) => g.split(',').map((x) => x.trim()).filter(Boolean));
  return { name: as, groups: [...new Set([...groups, ...groupsOf(as)])] };
}
