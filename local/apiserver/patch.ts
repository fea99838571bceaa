/**
 * The patch types a client may send: JSON merge patch (RFC 7386, what kubectl sends for custom
 * resources), JSON patch (RFC 6902, via fast-json-patch) and strategic merge patch for the
 * built-in kinds (what `kubectl apply` sends for them). The built-in kinds served here have no
 * list with a patch merge key that a client can patch (pods are the runtime's), so a strategic
 * merge patch is a merge patch once its `$`-directives are read.
 */
import fastJsonPatch from 'fast-json-patch';
import { ApiError, errors } from './status.js';
import type { KubeObject } from '../../lib/kube/object.js';

const { applyPatch } = fastJsonPatch;

/** RFC 7386 JSON merge patch: objects merge, `null` deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Strategic merge patch without merge keys: `$patch: replace|delete` honoured, ordering directives dropped. */
function strategicToMerge(patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const p = patch as Record<string, unknown>;
  if (p.$patch === 'delete') return null;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/') || k.startsWith('$deleteFromPrimitiveList/')) continue;
    out[k] = strategicToMerge(v);
  }
  return out;
}

export const PATCH_TYPES = ['application/merge-patch+json', 'application/json-patch+json', 'application/strategic-merge-patch+json'];

/** The object after a patch of the given content type, or a 4xx naming what is wrong. */
export function patched(type: string, old: KubeObject, body: unknown, builtin: boolean): KubeObject {
  switch (type) {
    case 'application/merge-patch+json':
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw errors.badRequest('a merge patch must be a JSON object');
      return mergePatch(old, body) as KubeObject;
    case 'application/strategic-merge-patch+json':
      if (!builtin) throw new ApiError(415, 'UnsupportedMediaType', 'strategic merge patch is not supported for custom resources: use a merge patch (--type=merge) or a JSON patch');
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw errors.badRequest('a strategic merge patch must be a JSON object');
      if ((body as { $patch?: unknown }).$patch === 'replace') return strategicToMerge(body) as KubeObject;
      return mergePatch(old, strategicToMerge(body)) as KubeObject;
    case 'application/json-patch+json': {
      if (!Array.isArray(body)) throw errors.badRequest('a JSON patch must be a JSON array of operations');
      try {
        return applyPatch(structuredClone(old), body, true, false).newDocument as KubeObject;
      } catch (e) {
        const err = e as { name?: string; message?: string; index?: number };
        throw new ApiError(422, 'Invalid', `the JSON patch could not be applied: operation ${err.index ?? '?'}: ${(err.message ?? String(e)).split('\n')[0]} (${err.name})`);
      }
    }
    default:
      throw errors.unsupportedMediaType(type);
  }
}
