/**
 * Admission of one write through the REST handlers, in the API server's order: the resource's own
 * shaping (a CRD's schema, under the request's fieldValidation), its own admission, the webhooks,
 * then the ValidatingAdmissionPolicies; warnings go back as `Warning: 299` headers.
 */
import type { WriteRequest } from './registry.js';
import { errors } from './status.js';
import type { FieldValidation } from './crd-schema.js';
import type { RestRequest } from './rest.js';
import type { KubeObject } from '../../lib/kube/object.js';

const FIELD_VALIDATIONS: readonly FieldValidation[] = ['Strict', 'Warn', 'Ignore'];

/** `?fieldValidation=`, Warn when absent (the server's default since Kubernetes 1.27). */
function fieldValidation(url: URL): FieldValidation {
  const v = url.searchParams.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (!(FIELD_VALIDATIONS as readonly string[]).includes(v)) {
    throw errors.badRequest(`fieldValidation: invalid value "${v}": must be one of ${FIELD_VALIDATIONS.join(', ')}`);
  }
  return v as FieldValidation;
}

/**
 * The resource's own admission, then the server's webhook: the object as it will be stored. What
 * the schema's shaping warns about goes back as `Warning: 299` headers, which kubectl prints.
 */
export async function admit(r: RestRequest, req: WriteRequest): Promise<KubeObject | undefined> {
  const mode = req.operation === 'DELETE' ? 'Ignore' : fieldValidation(r.url);
  const warn = (message: string) => {
    const now = r.res.getHeader('Warning');
    const list = Array.isArray(now) ? now.map(String) : now === undefined ? [] : [String(now)];
    const header = `299 - ${JSON.stringify(message)}`;
    // A patch that is retried on a newer object shapes it again: say each thing once.
    if (!list.includes(header)) r.res.setHeader('Warning', [...list, header]);
  };
  const shaped = req.object && r.resource.shape
    ? { ...req, object: r.resource.shape(req.object, req.oldObject, { fieldValidation: mode, warn }) } : req;
  const own = (await r.resource.admit?.(shaped)) ?? shaped.object;
  const hooked = req.operation === 'DELETE' || !own ? own : (await r.webhook?.({ ...shaped, object: own })) ?? own;
  const { resource } = r;
  const outcome = r.policies?.({
    operation: req.operation, group: resource.group, version: resource.version, resource: resource.resource, kind: resource.kind,
    namespace: resource.namespaced ? req.namespace : undefined, name: (hooked ?? req.oldObject)?.metadata.name ?? '', user: req.user,
    ...(hooked ? { object: hooked } : {}), ...(req.oldObject ? { oldObject: req.oldObject } : {}),
  });
  for (const w of outcome?.warnings ?? []) warn(w);
  return hooked;
}
