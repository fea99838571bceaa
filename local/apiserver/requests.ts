/**
 * One HTTP request, end to end: who sent it (bearer token, impersonation, anonymous), whether the
 * RBAC in force lets it through, and where it goes (a resource's REST handlers, or discovery,
 * /version, the health checks and OpenAPI); any failure is answered as a Kubernetes Status.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../lib/log.js';
import type { TokenAuthenticator } from './auth.js';
import { apiGroupDoc, apiGroupList, apiResourceList, apiVersions, SERVER_VERSION } from './discovery.js';
import { impersonated } from './impersonation.js';
import { negotiate } from './negotiate.js';
import { openApiDocument, openApiRoot } from './openapi.js';
import { authorize, forbiddenMessage, type RbacPolicy, type RequestAttributes, type UserInfo } from './rbac.js';
import type { ResourceRegistry } from './registry.js';
import { requestInfo, type RequestInfo } from './request-info.js';
import { sendJson, serveResource, type RestRequest } from './rest.js';
import { ApiError, errors } from './status.js';

/** The identity of a request without credentials; only public paths let it through. */
const ANONYMOUS: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'] };

/** What answering requests needs of the server; the REST handlers' share is passed on as is. */
export interface RequestContext extends Pick<RestRequest, 'now' | 'watches' | 'defaultWatchSeconds' | 'watchBufferBytes' | 'webhook' | 'policies'> {
  registry: ResourceRegistry;
  tokens: TokenAuthenticator;
  /** The RBAC in force now: it is replaced whenever the manifests' RBAC changes. */
  policy: () => RbacPolicy;
  log?: Logger;
}

/** The server's request listener. */
export function requestHandler(ctx: RequestContext): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const started = Date.now();
    let who = '';
    let info: RequestInfo | undefined;
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      info = requestInfo(req.method ?? 'GET', url);
      const user = authenticate(ctx, req, info);
      who = user.name;
      await serve(ctx, req, res, url, info, user);
    } catch (e) {
      const err = e instanceof ApiError ? e : errors.internal('the local API server failed; see its log');
      if (!(e instanceof ApiError)) ctx.log?.error({ err: e, path: info?.path }, 'local API server request failed');
      if (res.headersSent) res.destroy();
      else sendJson(res, err.code, err.toStatus());
    } finally {
      // The path and user only: never headers, which hold the token.
      ctx.log?.debug({ method: req.method, path: info?.path, verb: info?.verb, user: who, code: res.statusCode, ms: Date.now() - started }, 'api request');
    }
  };
}

/**
 * The user of a request. A wrong token is always 401; no token is anonymous, which RBAC lets
 * read /version and the health checks only, so anything else without a token is 401 too.
 */
function authenticate(ctx: RequestContext, req: IncomingMessage, info: RequestInfo): UserInfo {
  const user = ctx.tokens.authenticate(req.headers.authorization);
  if (user) return impersonated(ctx.policy(), req.headers, user);
  if (user === null && authorize(ctx.policy(), attributes(ANONYMOUS, info)).allowed) return ANONYMOUS;
  throw errors.unauthorized();
}

function attributes(user: UserInfo, info: RequestInfo): RequestAttributes {
  return {
    user, verb: info.verb, resourceRequest: info.isResourceRequest, apiGroup: info.apiGroup, resource: info.resource,
    subresource: info.subresource, name: info.name, namespace: info.namespace, path: info.path,
  };
}

async function serve(ctx: RequestContext, req: IncomingMessage, res: ServerResponse, url: URL, info: RequestInfo, user: UserInfo): Promise<void> {
  // Authorization comes before routing, as in Kubernetes: a resource not granted is 403 even if
  // this server does not serve it.
  const attrs = attributes(user, info);
  if (!authorize(ctx.policy(), attrs).allowed) {
    throw new ApiError(403, 'Forbidden', forbiddenMessage(attrs), {
      ...(info.name ? { name: info.name } : {}), ...(info.apiGroup ? { group: info.apiGroup } : {}), ...(info.resource ? { kind: info.resource } : {}),
    });
  }
  if (!info.isResourceRequest) return serveNonResource(ctx.registry, req, res, info);
  const resource = ctx.registry.find(info.apiGroup, info.apiVersion, info.resource);
  if (!resource) throw errors.noRoute();
  await serveResource({
    req, res, url, info, user, resource, output: negotiate(req.headers.accept),
    now: ctx.now, watches: ctx.watches, defaultWatchSeconds: ctx.defaultWatchSeconds, webhook: ctx.webhook, policies: ctx.policies,
    watchBufferBytes: ctx.watchBufferBytes,
  });
}

/** Discovery, /version and the health checks; anything else is 404. */
function serveNonResource(registry: ResourceRegistry, req: IncomingMessage, res: ServerResponse, info: RequestInfo): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw errors.methodNotAllowed();
  const parts = info.path.split('/').filter(Boolean);
  const host = req.headers.host ?? '127.0.0.1';
  let body: unknown;
  if (info.path === '/version' || info.path === '/version/') body = SERVER_VERSION;
  else if (['/healthz', '/livez', '/readyz'].includes(info.path)) {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    return void res.end('ok');
  } else if (parts[0] === 'api' && parts.length === 1) body = apiVersions(host);
  else if (parts[0] === 'api' && parts.length === 2 && parts[1] === 'v1') body = apiResourceList(registry, '', 'v1');
  else if (parts[0] === 'apis' && parts.length === 1) body = apiGroupList(registry);
  else if (parts[0] === 'apis' && parts.length === 2) body = apiGroupDoc(registry, parts[1]!);
  else if (parts[0] === 'apis' && parts.length === 3) body = apiResourceList(registry, parts[1]!, parts[2]!);
  else if (parts[0] === 'openapi' && parts[1] === 'v3') {
    const crds = registry.forKind('apiextensions.k8s.io/v1', 'CustomResourceDefinition')!.store!.list().items;
    if (parts.length === 2) body = openApiRoot(registry, crds);
    else if (parts[2] === 'api' && parts.length === 4) body = openApiDocument(registry, crds, '', parts[3]!);
    else if (parts[2] === 'apis' && parts.length === 5) body = openApiDocument(registry, crds, parts[3]!, parts[4]!);
  }
  if (body === undefined) throw errors.noRoute();
  sendJson(res, 200, body);
}
