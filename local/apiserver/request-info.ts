/**
 * Reads what a request asks for from its method, path and query, as Kubernetes'
 * RequestInfoFactory does, so authorization sees the same verb, resource and name a real API
 * server would (GET collection → list, `?watch=true` → watch, DELETE collection → deletecollection…).
 */
import { parseFieldSelector } from './selectors.js';

/** The parsed request (k8s `request.RequestInfo`). */
export interface RequestInfo {
  isResourceRequest: boolean;
  path: string;
  verb: string;
  apiPrefix: '' | 'api' | 'apis';
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  /** Set when the URL names the object (not from a field selector): a single-object request. */
  pathName: string;
}

/** `/watch/...` and `/proxy/...` before the resource, the legacy way to say the verb. */
const SPECIAL_VERBS = new Set(['proxy', 'watch']);
/** Subresources of a namespace itself, not resources inside it. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

const safeDecode = (s: string): string => { try { return decodeURIComponent(s); } catch { return s; } };

/** True when a query flag is set the way Go's ParseBool accepts it. */
export const queryFlag = (v: string | null): boolean => v !== null && ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v);

/** Parses a request; never throws (a malformed field selector just leaves the name unset). */
export function requestInfo(method: string, url: URL): RequestInfo {
  const path = url.pathname;
  const info: RequestInfo = {
    isResourceRequest: false, path, verb: method.toLowerCase(), apiPrefix: '', apiGroup: '', apiVersion: '',
    namespace: '', resource: '', subresource: '', name: '', pathName: '',
  };
  let parts = path.split('/').filter((p) => p !== '').map(safeDecode);
  if (parts.length < 3 || (parts[0] !== 'api' && parts[0] !== 'apis')) return info;
  const prefix = parts[0] as 'api' | 'apis';
  parts = parts.slice(1);
  let group = '';
  if (prefix === 'apis') {
    if (parts.length < 3) return info;
    group = parts[0]!;
    parts = parts.slice(1);
  }
  Object.assign(info, { isResourceRequest: true, apiPrefix: prefix, apiGroup: group, apiVersion: parts[0]! });
  parts = parts.slice(1);

  let verb: string;
  if (SPECIAL_VERBS.has(parts[0]!)) {
    verb = parts[0]!;
    parts = parts.slice(1);
  } else {
    verb = ({ POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' } as Record<string, string>)[method] ?? '';
  }
  if (parts[0] === 'namespaces') {
    if (parts.length > 1) {
      info.namespace = parts[1]!;
      if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2]!)) parts = parts.slice(2);
    }
  }
  if (parts.length >= 3 && verb !== 'proxy') info.subresource = parts[2]!;
  if (parts.length >= 2) info.name = parts[1]!;
  if (parts.length >= 1) info.resource = parts[0]!;
  info.pathName = info.name;

  if (!info.name && verb === 'get') {
    verb = queryFlag(url.searchParams.get('watch')) ? 'watch' : 'list';
    // A list or watch of one name (`fieldSelector=metadata.name=x`) is authorized as that name, so a
    // rule with resourceNames can grant it, as in Kubernetes.
    try {
      const byName = parseFieldSelector(url.searchParams.get('fieldSelector') ?? '').filter((r) => r.key === 'metadata.name' && r.op === '=');
      if (byName.length === 1 && /^[^/%]+$/.test(byName[0]!.value) && byName[0]!.value !== '.' && byName[0]!.value !== '..') info.name = byName[0]!.value;
    } catch { /* the handler answers 400 for the bad selector */ }
  }
  if (!info.name && verb === 'delete') verb = 'deletecollection';
  info.verb = verb;
  return info;
}
