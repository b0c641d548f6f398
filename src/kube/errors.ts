// One typed error for everything that goes wrong talking to the API server, with a hint saying what to
// do next. Pure: works on plain shapes (ApiException-like objects, fetch/socket errors, Status bodies),
// so it is unit-tested without a server.

export type KubeErrorKind =
  | 'config'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'invalid'
  | 'throttled'
  | 'server'
  | 'unreachable'
  | 'timeout'
  | 'exec';

/** What the failed request was doing; names the resource in messages and hints. */
export interface RequestContext {
  verb: string;
  resource: string;
  namespace?: string;
  name?: string;
}

export interface KubeStatus {
  code?: number;
  reason?: string;
  message?: string;
  details?: { retryAfterSeconds?: number; causes?: { reason?: string; message?: string; field?: string }[] };
}

export class KubeError extends Error {
  constructor(
    readonly kind: KubeErrorKind,
    /** HTTP status code; 0 when none arrived. */
    readonly code: number,
    message: string,
    /** What to do next, one line. */
    readonly hint: string,
    /** Seconds the server asked us to wait (Retry-After), when it did. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'KubeError';
  }

  /** Message and hint as one line, for users. */
  get line(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }
}

const RBAC_CHECK = 'manifests/rbac-check.yaml';
const RBAC_REPAIR = 'manifests/rbac-repair.yaml';
const REPAIR_RESOURCES = new Set(['pods/eviction', 'pods/log', 'leases', 'events', 'deployments']);

/** The manifest granting this rule: repair's extra rights live in their own file. */
function rbacFileFor(verb: string, resource: string): string {
  const repair = REPAIR_RESOURCES.has(resource) || (resource === 'configmaps' && verb !== 'get');
  return repair ? RBAC_REPAIR : RBAC_CHECK;
}

/** Parses a Status from an ApiException body, which client-node keeps as a raw JSON string. */
export function parseStatus(body: unknown): KubeStatus | undefined {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const s = value as Record<string, unknown>;
  if (typeof s.message !== 'string' && typeof s.reason !== 'string') return undefined;
  return value as KubeStatus;
}

/**
 * The RBAC rule a 403 asks for, read from the server's message:
 * `User "u" cannot get resource "pods/exec" in API group "" in the namespace "ns"`.
 */
export function missingRule(message: string): { verb: string; resource: string; group: string; namespace?: string } | undefined {
  const m = /cannot (\w+) resource "([^"]+)" in API group "([^"]*)"(?: in the namespace "([^"]+)")?/.exec(message);
  if (!m) return undefined;
  return { verb: m[1]!, resource: m[2]!, group: m[3]!, ...(m[4] ? { namespace: m[4] } : {}) };
}

function forbiddenHint(message: string, ctx: RequestContext): string {
  const rule = missingRule(message) ?? { verb: ctx.verb, resource: ctx.resource, namespace: ctx.namespace, group: '' };
  const where = rule.namespace ? `in namespace ${rule.namespace}` : 'cluster-wide';
  // KEP-4006: from Kubernetes 1.35 exec needs create as well as get.
  const verbs = rule.resource === 'pods/exec' ? 'get and create' : rule.verb;
  return `missing RBAC: grant ${verbs} on ${rule.resource} ${where} — see ${rbacFileFor(rule.verb, rule.resource)}`;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EPIPE']);
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|DEPTH_ZERO/;

function errorCode(err: Record<string, unknown>): string {
  const cause = err.cause as Record<string, unknown> | undefined;
  const code = err.code ?? err.errno ?? cause?.code;
  return typeof code === 'string' ? code : '';
}

function retryAfterOf(headers: unknown, status: KubeStatus | undefined): number | undefined {
  const h = headers as Record<string, unknown> | undefined;
  const raw = h?.['retry-after'] ?? h?.['Retry-After'];
  const fromHeader = typeof raw === 'string' || typeof raw === 'number' ? Number(raw) : NaN;
  if (Number.isFinite(fromHeader) && fromHeader >= 0) return fromHeader;
  return status?.details?.retryAfterSeconds;
}

function what(ctx: RequestContext): string {
  const name = ctx.name ? ` ${ctx.name}` : '';
  const ns = ctx.namespace ? ` in namespace ${ctx.namespace}` : '';
  return `${ctx.verb} ${ctx.resource}${name}${ns}`;
}

/** Maps an HTTP status code and Status to a KubeError. */
export function fromHttp(code: number, status: KubeStatus | undefined, ctx: RequestContext, headers?: unknown): KubeError {
  const message = status?.message?.trim() || `${what(ctx)} failed with HTTP ${code}`;
  const retryAfter = retryAfterOf(headers, status);
  switch (code) {
    case 401:
      return new KubeError('unauthorized', code, `unauthorized: ${message}`, 'the credentials in the kubeconfig were rejected: log in again or refresh the token');
    case 403:
      return new KubeError('forbidden', code, message, forbiddenHint(message, ctx));
    case 404:
      return new KubeError('not-found', code, message, '');
    case 409:
      return new KubeError('conflict', code, message, 'the object changed meanwhile: run again');
    case 400:
    case 422: {
      const causes = status?.details?.causes?.map((c) => c.message).filter(Boolean) ?? [];
      const detail = causes.length && !message.includes(causes[0]!) ? `${message}: ${causes.join('; ')}` : message;
      return new KubeError('invalid', code, detail, 'the cluster rejected the object (admission, Pod Security or quota): see the message');
    }
    case 429:
      return new KubeError('throttled', code, message, 'the API server is throttling requests: wait and run again', retryAfter);
    default:
      if (code >= 500) return new KubeError('server', code, message, 'the API server failed: check its health and run again', retryAfter);
      return new KubeError('server', code, message, '');
  }
}

/** Maps anything thrown by client-node, fetch or a socket to a KubeError. */
export function toKubeError(err: unknown, ctx: RequestContext): KubeError {
  if (err instanceof KubeError) return err;
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as Record<string, unknown>;
  // ApiException { code, body, headers }; the watch's error { statusCode }.
  const code = typeof e.code === 'number' ? e.code : typeof e.statusCode === 'number' ? e.statusCode : 0;
  if (code >= 100) return fromHttp(code, parseStatus(e.body), ctx, e.headers);
  const sysCode = errorCode(e);
  const text = typeof e.message === 'string' ? e.message.split('\n')[0]! : String(err);
  if (TLS_CODES.test(sysCode) || /certificate/i.test(text))
    return new KubeError('unreachable', 0, `TLS error talking to the API server: ${text}`, 'check the cluster CA in the kubeconfig (certificate-authority-data)');
  if (NETWORK_CODES.has(sysCode) || /ECONNREFUSED|ENOTFOUND|socket hang up|network/i.test(text))
    return new KubeError('unreachable', 0, `cannot reach the API server (${sysCode || text})`, 'check the server address in the kubeconfig, VPN and network');
  if (sysCode === 'ETIMEDOUT' || e.name === 'AbortError' || e.name === 'TimeoutError')
    return new KubeError('timeout', 0, `${what(ctx)} timed out`, 'the API server is slow or unreachable: check it and run again');
  return new KubeError('server', 0, `${what(ctx)} failed: ${text}`, '');
}

/** Kinds worth retrying for idempotent reads. */
export const isRetryable = (e: KubeError): boolean =>
  e.kind === 'throttled' || e.kind === 'unreachable' || e.kind === 'timeout' || (e.kind === 'server' && e.code >= 500);
