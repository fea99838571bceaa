/**
 * Content negotiation on `Accept`: plain JSON, a Table (kubectl's server-side printing) or
 * PartialObjectMetadata (metadata-only clients). The first acceptable media type wins.
 */
import { ApiError } from './status.js';

/** The shape the answer takes. */
export type Output =
  | { as: 'json' }
  | { as: 'Table'; apiVersion: string }
  | { as: 'PartialObjectMetadata'; apiVersion: string };

/** Parses one `type/subtype;k=v;…` entry. */
function mediaType(entry: string): { type: string; params: Record<string, string> } {
  const [type = '', ...rest] = entry.split(';').map((s) => s.trim());
  const params: Record<string, string> = {};
  for (const p of rest) {
    const i = p.indexOf('=');
    if (i > 0) params[p.slice(0, i).trim().toLowerCase()] = p.slice(i + 1).trim().replace(/^"|"$/g, '');
  }
  return { type: type.toLowerCase(), params };
}

/** Picks the output for an Accept header; 406 when nothing in it can be served. */
export function negotiate(accept: string | undefined): Output {
  if (!accept) return { as: 'json' };
  for (const entry of accept.split(',')) {
    const { type, params } = mediaType(entry);
    if (type !== 'application/json' && type !== '*/*' && type !== 'application/*') continue;
    if (!params.as) return { as: 'json' };
    // Conversions are offered only in meta.k8s.io v1 and v1beta1, as by the API server.
    if (params.g !== 'meta.k8s.io' || (params.v !== 'v1' && params.v !== 'v1beta1')) continue;
    const apiVersion = `meta.k8s.io/${params.v}`;
    if (params.as === 'Table') return { as: 'Table', apiVersion };
    if (params.as === 'PartialObjectMetadata' || params.as === 'PartialObjectMetadataList') return { as: 'PartialObjectMetadata', apiVersion };
  }
  throw new ApiError(406, 'NotAcceptable', 'only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=meta.k8s.io');
}
