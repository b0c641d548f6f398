// One HTTP request: authenticate, parse the request info, serve discovery or authorize + fault +
// dispatch the resource verb, and record it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SimError } from '../status.ts';
import type { ApiRequestRecord } from '../types.ts';
import { authorize, type Attributes, type User } from './auth.ts';
import { authenticate, mustAuthorize, type ServerContext } from './context.ts';
import { discoveryDoc } from './discovery.ts';
import { dispatch } from './handlers.ts';
import { parseJson, readBody, sendJson, sendStatus, toStatus } from './http.ts';
import { ConnectionReset, nodeOfPod } from './faults.ts';
import { parseRequestInfo, resourcePath, type RequestInfo } from './requestinfo.ts';
import { findType, type ServedType } from './resources.ts';

// Paths every client may read without credentials (system:public-info-viewer).
const PUBLIC = new Set(['/version', '/version/', '/healthz', '/livez', '/readyz']);

const notFound = () => SimError.of(404, 'NotFound', 'the server could not find the requested resource');

function nonResource(ctx: ServerContext, res: ServerResponse, path: string): void {
  if (['/healthz', '/livez', '/readyz'].includes(path)) {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('ok');
    return;
  }
  const doc = discoveryDoc(path, ctx.serverAddress);
  if (!doc) throw notFound(); // includes /openapi/v2 and /openapi/v3: kubectl copes without them
  sendJson(res, 200, doc);
}

interface ReviewSpec {
  resourceAttributes?: { namespace?: string; verb?: string; group?: string; resource?: string; subresource?: string; name?: string };
  nonResourceAttributes?: { path?: string; verb?: string };
}

/** selfsubjectaccessreviews: the same RBAC answers "may I?". */
async function selfSubjectAccessReview(req: IncomingMessage, res: ServerResponse, user: User): Promise<void> {
  const body = (parseJson(await readBody(req), 'SelfSubjectAccessReview') ?? {}) as { spec?: ReviewSpec; metadata?: object };
  const ra = body.spec?.resourceAttributes;
  const na = body.spec?.nonResourceAttributes;
  if (!ra && !na) throw SimError.of(422, 'Invalid', 'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified');
  let status: { allowed: boolean; reason?: string };
  if (ra) {
    const attrs: Attributes = {
      verb: ra.verb ?? '',
      group: ra.group ?? '',
      resource: ra.subresource ? `${ra.resource}/${ra.subresource}` : (ra.resource ?? ''),
      ...(ra.namespace ? { namespace: ra.namespace } : {}),
      ...(ra.name ? { name: ra.name } : {}),
    };
    const d = authorize(user, attrs);
    status = { allowed: d.allowed, ...(d.reason ? { reason: d.reason } : {}) };
  } else {
    const publicPath = PUBLIC.has(na!.path ?? '') || /^\/apis?(\/|$)/.test(na!.path ?? '');
    status = { allowed: publicPath && na!.verb === 'get' ? true : authorize(user, { verb: '*', group: '*', resource: '*' }).allowed };
  }
  sendJson(res, 201, { kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: body.metadata ?? {}, spec: body.spec, status });
}

async function resourceRequest(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, url: URL, info: RequestInfo, user: User): Promise<void> {
  const type: ServedType | undefined = findType(info.group, info.version, info.resource);
  if (!type || (info.subresource && !type.subresources.includes(info.subresource))) throw notFound();
  if (!type.verbs.includes(info.verb) && !info.subresource) throw SimError.of(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  const resource = resourcePath(info);
  mustAuthorize(user, { verb: info.verb, group: info.group, resource, namespace: info.namespace, name: info.name });
  const node = info.resource === 'pods' && info.name ? nodeOfPod(ctx.store.get('pods', info.namespace, info.name)) : undefined;
  await ctx.faults.apply({ verb: info.verb, resource, namespace: info.namespace, ...(info.name && { name: info.name }), ...(node && { node }), user: user.name });
  if (type.virtual) return selfSubjectAccessReview(req, res, user);
  await dispatch({ ctx, req, res, url, info, type, namespace: type.namespaced ? info.namespace : undefined });
}

export async function handleRequest(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://sim');
  const info = parseRequestInfo(req.method ?? 'GET', url);
  const record: ApiRequestRecord = {
    verb: info.verb,
    resource: resourcePath(info),
    ...(info.namespace ? { namespace: info.namespace } : {}),
    ...(info.name ? { name: info.name } : {}),
    user: '',
    code: 0,
    path: req.url ?? '/',
  };
  let dropped = false;
  try {
    const anonymous = !req.headers.authorization && PUBLIC.has(url.pathname);
    if (anonymous) return nonResource(ctx, res, url.pathname);
    const user = authenticate(ctx, req);
    record.user = user.name;
    if (info.isResource) await resourceRequest(ctx, req, res, url, info, user);
    else nonResource(ctx, res, url.pathname);
  } catch (e) {
    if (e instanceof ConnectionReset) dropped = true;
    if (!res.headersSent && !dropped) sendStatus(res, toStatus(e));
    else res.destroy();
  } finally {
    record.code = dropped ? 0 : res.statusCode;
    ctx.requests.push(record);
  }
}
