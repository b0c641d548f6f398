// The resource verbs: get, list, watch, create, update, patch, delete, deletecollection, and the
// status, scale, log and eviction subresources, over the store.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { resourceKey, type KObject } from '../store.ts';
import { SimError } from '../status.ts';
import type { ServerContext } from './context.ts';
import { checkEviction, withPdbStatus } from './eviction.ts';
import { parseJson, readBody, sendJson, successStatus } from './http.ts';
import { applyPatch } from './patch.ts';
import type { RequestInfo } from './requestinfo.ts';
import { groupVersion, hasStatus, type ServedType } from './resources.ts';
import { parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { toTable, wantsTable } from './table.ts';
import { checkDecodable, applyCreateDefaults, validate } from './validate.ts';
import { serveWatch } from './watch.ts';
import { admitPod } from './admission.ts';

export interface Call {
  ctx: ServerContext;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  info: RequestInfo;
  type: ServedType;
  /** The namespace for the store: undefined for cluster-scoped types. */
  namespace?: string;
}

const key = (c: Call) => resourceKey(c.type);
const isDryRun = (c: Call) => c.url.searchParams.getAll('dryRun').includes('All');
const nowRfc3339 = (offsetSeconds = 0) => new Date(Date.now() + offsetSeconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

/** How an object of this type is read: PDBs with their status computed now. */
const readView = (c: Call) => (o: KObject) => (c.type.kind === 'PodDisruptionBudget' ? withPdbStatus(c.ctx.store, o) : o);

async function bodyObject(c: Call): Promise<KObject> {
  const body = parseJson(await readBody(c.req), c.type.kind);
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw SimError.badRequest(`${c.type.kind} in version "${c.type.version}" cannot be handled as a ${c.type.kind}: the body must be a JSON object`);
  const o = body as KObject;
  o.metadata = typeof o.metadata === 'object' && o.metadata !== null ? o.metadata : {};
  return o;
}

function sendObject(c: Call, code: number, o: KObject): void {
  if (wantsTable(c.req.headers.accept)) sendJson(c.res, code, toTable(c.type.kind, [o], o.metadata.resourceVersion));
  else sendJson(c.res, code, o);
}

function get(c: Call): void {
  const o = c.ctx.store.mustGet(key(c), c.namespace, c.info.name);
  sendObject(c, 200, readView(c)(o));
}

function selectors(c: Call) {
  const labels = parseLabelSelector(c.url.searchParams.get('labelSelector'));
  const fields = parseFieldSelector(c.type.resource, c.url.searchParams.get('fieldSelector'));
  return (o: KObject) => labels(o) && fields(o);
}

function list(c: Call): void {
  const items = c.ctx.store.list(key(c), c.namespace, selectors(c)).map(readView(c));
  const rv = c.ctx.store.resourceVersion;
  if (wantsTable(c.req.headers.accept)) return sendJson(c.res, 200, toTable(c.type.kind, items, rv));
  sendJson(c.res, 200, { kind: `${c.type.kind}List`, apiVersion: groupVersion(c.type.group, c.type.version), metadata: { resourceVersion: rv }, items });
}

function watch(c: Call): void {
  const table = wantsTable(c.req.headers.accept);
  const view = readView(c);
  const timeout = Number(c.url.searchParams.get('timeoutSeconds') ?? '');
  const close = serveWatch(c.res, c.ctx.store, {
    resource: key(c),
    namespace: c.namespace,
    matches: selectors(c),
    resourceVersion: c.url.searchParams.get('resourceVersion') ?? undefined,
    timeoutSeconds: timeout > 0 ? timeout : undefined,
    encode: (o) => (table ? toTable(c.type.kind, [view(o)]) : view(o)),
  });
  c.ctx.watches.add(close);
  c.res.on('close', () => c.ctx.watches.delete(close));
}

function requireNamespace(c: Call): void {
  if (!c.type.namespaced) return;
  if (!c.namespace) throw SimError.of(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
  if (!c.ctx.store.get('namespaces', undefined, c.namespace)) throw SimError.notFound('namespaces', c.namespace);
}

/** The identity fields a client may not change: from the URL and the stored object. */
function pinIdentity(c: Call, o: KObject, cur?: KObject): KObject {
  o.apiVersion = groupVersion(c.type.group, c.type.version);
  o.kind = c.type.kind;
  if (c.type.namespaced) o.metadata.namespace = c.namespace;
  else delete o.metadata.namespace;
  if (cur) {
    o.metadata.deletionTimestamp = cur.metadata.deletionTimestamp;
    o.metadata.deletionGracePeriodSeconds = cur.metadata.deletionGracePeriodSeconds;
    if (!o.metadata.deletionTimestamp) delete o.metadata.deletionTimestamp;
    if (o.metadata.deletionGracePeriodSeconds === undefined) delete o.metadata.deletionGracePeriodSeconds;
  }
  return o;
}

type ManagedFields = { manager: string; operation: string; apiVersion: string; time: string; fieldsType: 'FieldsV1'; fieldsV1: Record<string, unknown> };

/**
 * metadata.managedFields as the API server keeps them, for ConfigMaps only: per field manager
 * (?fieldManager=, else the User-Agent's program name) and operation, the time of its last write that
 * changed the data. Clients cannot set them.
 */
function trackManagedFields(c: Call, o: KObject, cur?: KObject): void {
  if (key(c) !== 'configmaps') return;
  const prev = (cur?.metadata.managedFields as ManagedFields[] | undefined) ?? [];
  o.metadata.managedFields = prev;
  const dataOf = (x: KObject | undefined) => JSON.stringify([x?.data ?? {}, x?.binaryData ?? {}]);
  if (cur && dataOf(cur) === dataOf(o)) return;
  const manager = c.url.searchParams.get('fieldManager') ?? (String(c.req.headers['user-agent'] ?? '').split('/')[0] || 'unknown');
  const operation = String(c.req.headers['content-type'] ?? '').startsWith('application/apply-patch') ? 'Apply' : 'Update';
  const owned = (field: string) => Object.fromEntries(Object.keys((o[field] as Record<string, unknown> | undefined) ?? {}).map((k) => [`f:${k}`, {}]));
  const entry: ManagedFields = { manager, operation, apiVersion: 'v1', time: nowRfc3339(), fieldsType: 'FieldsV1', fieldsV1: { 'f:data': owned('data'), ...(o.binaryData ? { 'f:binaryData': owned('binaryData') } : {}) } };
  o.metadata.managedFields = [...prev.filter((m) => m.manager !== manager || m.operation !== operation), entry];
}

async function create(c: Call): Promise<void> {
  requireNamespace(c);
  const o = pinIdentity(c, await bodyObject(c));
  checkDecodable(c.type, o);
  validate(c.type, o, true);
  if (c.type.kind === 'Pod') admitPod(c.ctx.store, o);
  applyCreateDefaults(c.type, o);
  for (const f of ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds'] as const) delete o.metadata[f];
  trackManagedFields(c, o);
  if (isDryRun(c)) {
    if (c.ctx.store.get(key(c), c.namespace, o.metadata.name ?? '')) throw SimError.alreadyExists(key(c), o.metadata.name ?? '');
    o.metadata.name ??= `${o.metadata.generateName}dryrun`;
    o.metadata.creationTimestamp = nowRfc3339();
    return sendJson(c.res, 201, o);
  }
  sendJson(c.res, 201, readView(c)(c.ctx.store.create(key(c), o)));
}

/** Stores `next` as the new state of `cur` (after update or patch), honouring the status split. */
function storeUpdate(c: Call, cur: KObject, next: KObject, statusOnly: boolean): KObject {
  let o: KObject;
  if (statusOnly) {
    o = { ...cur, status: next.status, metadata: { ...cur.metadata, resourceVersion: next.metadata.resourceVersion } };
  } else {
    o = pinIdentity(c, next, cur);
    if (hasStatus(c.type)) o.status = cur.status; // only the status subresource writes status
    trackManagedFields(c, o, cur);
  }
  if (o.metadata.name !== c.info.name)
    throw SimError.badRequest(`the name of the object (${o.metadata.name}) does not match the name on the URL (${c.info.name})`);
  // ValidateObjectMetaUpdate: a body naming another uid is refused, which makes a uid in a patch a precondition.
  if (o.metadata.uid && o.metadata.uid !== cur.metadata.uid)
    throw SimError.invalid(key(c), c.info.name, `metadata.uid: Invalid value: "${o.metadata.uid}": field is immutable`, 'metadata.uid');
  checkDecodable(c.type, o);
  validate(c.type, o, false);
  if (isDryRun(c)) return o;
  return c.ctx.store.update(key(c), o);
}

async function update(c: Call, statusOnly: boolean): Promise<void> {
  const body = await bodyObject(c);
  const cur = c.ctx.store.mustGet(key(c), c.namespace, c.info.name);
  body.metadata.name ??= c.info.name;
  sendJson(c.res, 200, readView(c)(storeUpdate(c, cur, body, statusOnly)));
}

async function patch(c: Call, statusOnly: boolean): Promise<void> {
  const body = parseJson(await readBody(c.req), c.type.kind);
  const cur = c.ctx.store.mustGet(key(c), c.namespace, c.info.name);
  const next = applyPatch(cur, c.req.headers['content-type'], body, c.type.kind, c.info.name);
  if (typeof next !== 'object' || next === null || typeof next.metadata !== 'object') throw SimError.badRequest('the patch did not produce an object');
  sendJson(c.res, 200, readView(c)(storeUpdate(c, cur, next, statusOnly)));
}

interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: string;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: string[];
}

async function deleteOptions(c: Call): Promise<DeleteOptions> {
  const body = (parseJson(await readBody(c.req), 'DeleteOptions') ?? {}) as DeleteOptions;
  const q = c.url.searchParams.get('gracePeriodSeconds');
  if (q !== null) body.gracePeriodSeconds = Number(q);
  if (body.dryRun?.includes('All')) c.url.searchParams.append('dryRun', 'All');
  return body;
}

function checkPreconditions(c: Call, cur: KObject, pre: DeleteOptions['preconditions']): void {
  if (pre?.uid && pre.uid !== cur.metadata.uid)
    throw SimError.of(409, 'Conflict', `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid}`, { name: c.info.name, kind: c.type.resource });
  if (pre?.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion)
    throw SimError.of(409, 'Conflict', `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.metadata.resourceVersion}`, { name: c.info.name, kind: c.type.resource });
}

/**
 * Deletes a pod as the registry does: unscheduled and finished pods go at once, others get
 * deletionTimestamp + deletionGracePeriodSeconds and the kubelet (node side) removes them.
 * Returns the HTTP code (200 removed, 202 pending) and the object.
 */
export function deletePod(c: Pick<Call, 'ctx'>, pod: KObject, requestedGrace: number | undefined, dryRun: boolean): { code: number; object: KObject } {
  const spec = (pod.spec ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  let grace = requestedGrace ?? spec.terminationGracePeriodSeconds ?? 30;
  if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') grace = 0;
  const { namespace, name } = pod.metadata;
  const current = pod.metadata.deletionGracePeriodSeconds;
  if (pod.metadata.deletionTimestamp && grace > 0 && current !== undefined && grace >= current) return { code: 202, object: pod };
  if (dryRun) return { code: grace === 0 ? 200 : 202, object: pod };
  if (grace === 0) return { code: 200, object: c.ctx.store.remove('pods', namespace, name!) };
  const object = c.ctx.store.mutate('pods', namespace, name!, (p) => {
    p.metadata.deletionTimestamp = nowRfc3339(grace);
    p.metadata.deletionGracePeriodSeconds = grace;
  })!;
  return { code: 202, object };
}

/** A namespace goes with everything in it (the namespace controller's job, done at once). */
function removeNamespace(c: Call, name: string): KObject {
  for (const k of ['pods', 'services', 'endpoints', 'configmaps', 'events', 'serviceaccounts', 'endpointslices.discovery.k8s.io', 'deployments.apps', 'replicasets.apps', 'daemonsets.apps', 'statefulsets.apps', 'poddisruptionbudgets.policy', 'leases.coordination.k8s.io', 'events.events.k8s.io'])
    for (const o of c.ctx.store.list(k, name)) c.ctx.store.remove(k, name, o.metadata.name!);
  return c.ctx.store.remove('namespaces', undefined, name);
}

function deleteOne(c: Call, cur: KObject, opts: DeleteOptions): { code: number; body: unknown } {
  checkPreconditions(c, cur, opts.preconditions);
  const dry = isDryRun(c);
  if (c.type.kind === 'Pod') {
    const { code, object } = deletePod(c, cur, opts.gracePeriodSeconds, dry);
    return { code, body: object };
  }
  if (c.type.kind === 'Namespace') {
    const gone = dry ? cur : removeNamespace(c, cur.metadata.name!);
    return { code: 200, body: { ...gone, status: { phase: 'Terminating' } } };
  }
  if (!dry) c.ctx.store.remove(key(c), c.namespace, cur.metadata.name!);
  return { code: 200, body: successStatus(200, { name: cur.metadata.name, group: c.type.group, kind: c.type.resource, uid: cur.metadata.uid }) };
}

async function remove(c: Call): Promise<void> {
  const opts = await deleteOptions(c);
  const cur = c.ctx.store.mustGet(key(c), c.namespace, c.info.name);
  const { code, body } = deleteOne(c, cur, opts);
  sendJson(c.res, code, body);
}

async function removeCollection(c: Call): Promise<void> {
  const opts = await deleteOptions(c);
  const items = c.ctx.store.list(key(c), c.namespace, selectors(c)).map((o) => deleteOne(c, o, opts).body);
  sendJson(c.res, 200, { kind: `${c.type.kind}List`, apiVersion: groupVersion(c.type.group, c.type.version), metadata: { resourceVersion: c.ctx.store.resourceVersion }, items });
}

function logs(c: Call): void {
  c.ctx.store.mustGet('pods', c.namespace, c.info.name);
  const q = c.url.searchParams;
  const tail = q.get('tailLines');
  const text = c.ctx.runtime.logs(c.namespace!, c.info.name, {
    ...(q.get('container') ? { container: q.get('container')! } : {}),
    ...(tail !== null ? { tailLines: Number(tail) } : {}),
    previous: ['true', '1'].includes(q.get('previous') ?? ''),
  });
  c.res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) });
  c.res.end(text);
}

async function evict(c: Call): Promise<void> {
  const body = parseJson(await readBody(c.req), 'Eviction') as { metadata?: { name?: string }; deleteOptions?: DeleteOptions } | undefined;
  if (body?.metadata?.name && body.metadata.name !== c.info.name) throw SimError.badRequest('name in URL does not match name in Eviction object');
  const pod = c.ctx.store.mustGet('pods', c.namespace, c.info.name);
  checkPreconditions(c, pod, body?.deleteOptions?.preconditions);
  checkEviction(c.ctx.store, pod);
  deletePod(c, pod, body?.deleteOptions?.gracePeriodSeconds, isDryRun(c) || !!body?.deleteOptions?.dryRun?.includes('All'));
  sendJson(c.res, 201, successStatus(201));
}

const selectorString = (sel: { matchLabels?: Record<string, string> } | undefined) =>
  Object.entries(sel?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

function toScale(o: KObject): KObject {
  const spec = (o.spec ?? {}) as { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
  const { name, namespace, uid, resourceVersion, creationTimestamp } = o.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: spec.replicas ?? 1 },
    status: { replicas: (o.status as { replicas?: number } | undefined)?.replicas ?? 0, selector: selectorString(spec.selector) },
  };
}

async function scale(c: Call): Promise<void> {
  const cur = c.ctx.store.mustGet(key(c), c.namespace, c.info.name);
  if (c.info.verb === 'get') return sendJson(c.res, 200, toScale(cur));
  const text = await readBody(c.req);
  const next = (c.info.verb === 'patch' ? applyPatch(toScale(cur), c.req.headers['content-type'], parseJson(text, 'Scale'), 'Scale', c.info.name) : parseJson(text, 'Scale')) as KObject;
  const replicas = (next?.spec as { replicas?: unknown } | undefined)?.replicas;
  if (typeof replicas !== 'number' || replicas < 0) throw SimError.of(422, 'Invalid', `Scale.autoscaling "${c.info.name}" is invalid: spec.replicas: Invalid value: ${String(replicas)}: must be greater than or equal to 0`);
  const stored = storeUpdate(c, cur, { ...cur, spec: { ...(cur.spec as object), replicas }, metadata: { ...cur.metadata, resourceVersion: next.metadata?.resourceVersion } }, false);
  sendJson(c.res, 200, toScale(stored));
}

const notAllowed = () => SimError.of(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');

/** Runs the verb of a resource request (authorization and faults already passed). */
export async function dispatch(c: Call): Promise<void> {
  const { verb, subresource } = c.info;
  switch (subresource) {
    case '':
      if (verb === 'get') return get(c);
      if (verb === 'list') return list(c);
      if (verb === 'watch') return watch(c);
      if (verb === 'create') return create(c);
      if (verb === 'update') return update(c, false);
      if (verb === 'patch') return patch(c, false);
      if (verb === 'delete') return remove(c);
      if (verb === 'deletecollection') return removeCollection(c);
      break;
    case 'status':
      if (verb === 'get') return get(c);
      if (verb === 'update') return update(c, true);
      if (verb === 'patch') return patch(c, true);
      break;
    case 'scale':
      if (['get', 'update', 'patch'].includes(verb)) return scale(c);
      break;
    case 'log':
      if (verb === 'get') return logs(c);
      break;
    case 'eviction':
      if (verb === 'create') return evict(c);
      break;
    case 'exec':
      throw SimError.badRequest('Upgrade request required');
  }
  throw notAllowed();
}
