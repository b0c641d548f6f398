// One typed error for everything that goes wrong talking to the API server, with a hint saying what to
// do next. Pure: works on plain shapes (ApiException-like objects, fetch/socket errors, Status bodies),
// so it is unit-tested without a server.
import { forbiddenHint } from './rbac.ts';
import { SentinelError, type FailedRequest } from '../common/errors.ts';
import { EXIT } from '../common/exit-codes.ts';

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
  /**
   * Which rule grants this request when verb and resource alone cannot tell: a manifest (pods delete),
   * or 'probe' for this tool's own probe pods and canaries, which the probe Role grants.
   */
  grant?: 'check' | 'repair' | 'quarantine' | 'probe';
}

/** `<verb> <resource> <name> in namespace <ns>`: how every error line starts. */
export function describeRequest(ctx: RequestContext): string {
  const name = ctx.name ? ` ${ctx.name}` : '';
  const ns = ctx.namespace ? ` in namespace ${ctx.namespace}` : '';
  return `${ctx.verb} ${ctx.resource}${name}${ns}`;
}

export interface KubeStatus {
  code?: number;
  reason?: string;
  message?: string;
  details?: { retryAfterSeconds?: number; causes?: { reason?: string; message?: string; field?: string }[] };
}

export interface KubeErrorExtra {
  /** Seconds the server asked us to wait (Retry-After), when it did. */
  retryAfterSeconds?: number;
  /** The request that failed; the line starts with it. */
  request?: RequestContext;
}

/** A request's failure: exit 3, or 2 for a kubeconfig that cannot be used (nothing was sent). */
export class KubeError extends SentinelError {
  readonly retryAfterSeconds?: number;
  /** The request with the rule that grants it (the line and hints name it). */
  readonly context?: RequestContext;

  constructor(
    readonly kind: KubeErrorKind,
    /** HTTP status code; 0 when none arrived. */
    readonly code: number,
    /** What happened, without the request (the line adds it). */
    message: string,
    /** What to do next, one line. */
    readonly hint: string,
    extra: KubeErrorExtra = {},
  ) {
    // `<request>: <what happened> — <what to do>`, one line, for users.
    super(message, {
      exitCode: kind === 'config' ? EXIT.usage : EXIT.cluster,
      line: `${extra.request ? `${describeRequest(extra.request)}: ` : ''}${message}${hint ? ` — ${hint}` : ''}`,
      request: extra.request && failedRequest(extra.request),
    });
    this.name = 'KubeError';
    if (extra.retryAfterSeconds !== undefined) this.retryAfterSeconds = extra.retryAfterSeconds;
    if (extra.request) this.context = extra.request;
  }

  /** The same error with its message extended (e.g. by the attempts spent). */
  withMessage(message: string): KubeError {
    return new KubeError(this.kind, this.code, message, this.hint, { ...(this.retryAfterSeconds !== undefined ? { retryAfterSeconds: this.retryAfterSeconds } : {}), ...(this.context ? { request: this.context } : {}) });
  }
}

const failedRequest = ({ verb, resource, namespace, name }: RequestContext): FailedRequest => ({ verb, resource, ...(namespace && { namespace }), ...(name && { name }) });

/**
 * Removes credential material from text that came from a library, a server or a plugin: bearer tokens,
 * the given known secrets (the kubeconfig's token and password) and, with `opaque`, every long word
 * that looks like a token (letters and digits, 16+ characters) — for plugin output, which holds no
 * names worth keeping.
 */
export function redact(text: string, secrets: readonly string[] = [], opaque = false): string {
  let out = text.replace(/\b(Bearer|Basic)\s+\S+/gi, '$1 [redacted]');
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('[redacted]');
  if (opaque) out = out.replace(/[A-Za-z0-9_+/=.:-]{16,}/g, (w) => (/[0-9]/.test(w) && /[A-Za-z]/.test(w) ? '[redacted]' : w));
  return out;
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
 * A Status, or the body's text as its message: a kubelet's error proxied by API servers ≤ 1.29 (exec's
 * v4 handshake) is a text/plain 500, e.g. `container not found ("probe")`.
 */
export function statusOrText(body: string): KubeStatus | undefined {
  const text = body.trim();
  return parseStatus(text) ?? (text ? { message: text.split('\n')[0]!.slice(0, 300) } : undefined);
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

/** Maps an HTTP status code and Status to a KubeError naming the request. */
export function fromHttp(code: number, status: KubeStatus | undefined, ctx: RequestContext, headers?: unknown): KubeError {
  const text = redact(status?.message?.trim() ?? '');
  const retryAfter = retryAfterOf(headers, status);
  const extra = { request: ctx, ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}) };
  const said = (fallback: string) => text || fallback;
  switch (code) {
    case 401:
      return new KubeError('unauthorized', code, `unauthorized (HTTP 401)${text ? `: ${text}` : ''}`, 'the credentials in the kubeconfig were rejected: log in again or refresh the token', extra);
    case 403: {
      const rule = missingRule(text);
      return new KubeError('forbidden', code, said('forbidden (HTTP 403)'), forbiddenHint(ctx, rule), extra);
    }
    case 404:
      return new KubeError('not-found', code, said('not found (HTTP 404)'), '', extra);
    case 409:
      return new KubeError('conflict', code, said('conflict (HTTP 409)'), 'the object changed meanwhile: run again', extra);
    case 400:
    case 422: {
      const causes = status?.details?.causes?.map((c) => c.message).filter(Boolean).map((m) => redact(m!)) ?? [];
      const message = said(`rejected (HTTP ${code})`);
      const detail = causes.length && !message.includes(causes[0]!) ? `${message}: ${causes.join('; ')}` : message;
      return new KubeError('invalid', code, detail, 'the cluster rejected the object (admission, Pod Security or quota): see the message', extra);
    }
    case 429:
      return new KubeError('throttled', code, `throttled (HTTP 429${retryAfter !== undefined ? `, Retry-After ${retryAfter} s` : ''})${text ? `: ${text}` : ''}`,
        'the API server is overloaded or rate-limiting this client: wait and run again', extra);
    default:
      if (code >= 500) return new KubeError('server', code, `the API server failed (HTTP ${code})${text ? `: ${text}` : ''}`, 'check the API server\'s health and run again', extra);
      return new KubeError('server', code, `unexpected HTTP ${code}${text ? `: ${text}` : ''}`, 'run again; report it if it persists', extra);
  }
}

/** Maps anything thrown by client-node, fetch or a socket to a KubeError naming the request. */
export function toKubeError(err: unknown, ctx: RequestContext): KubeError {
  if (err instanceof KubeError) return err;
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as Record<string, unknown>;
  // ApiException { code, body, headers }; the watch's error { statusCode }.
  const code = typeof e.code === 'number' ? e.code : typeof e.statusCode === 'number' ? e.statusCode : 0;
  if (code >= 100) return fromHttp(code, parseStatus(e.body), ctx, e.headers);
  const sysCode = errorCode(e);
  const text = redact(typeof e.message === 'string' ? e.message.split('\n')[0]! : String(err));
  const extra = { request: ctx };
  if (TLS_CODES.test(sysCode) || /certificate/i.test(text))
    return new KubeError('unreachable', 0, `TLS error talking to the API server: ${text}`, 'check the cluster CA in the kubeconfig (certificate-authority-data)', extra);
  if (sysCode === 'ECONNRESET' || /socket hang up/i.test(text))
    return new KubeError('unreachable', 0, 'the connection to the API server was reset (ECONNRESET)', 'check the API server and any proxy or load balancer in front of it, then run again', extra);
  if (NETWORK_CODES.has(sysCode) || /ECONNREFUSED|ENOTFOUND|network/i.test(text))
    return new KubeError('unreachable', 0, `cannot reach the API server (${sysCode || text})`, 'check the server address in the kubeconfig, VPN and network', extra);
  if (sysCode === 'ETIMEDOUT' || e.name === 'AbortError' || e.name === 'TimeoutError')
    return new KubeError('timeout', 0, 'timed out', 'the API server is slow or unreachable: check it and run again', extra);
  return new KubeError('server', 0, `failed: ${text}`, 'run again; report it if it persists', extra);
}

/** Transient failures: worth another attempt where the request's policy allows (see retry.ts). */
export const isRetryable = (e: KubeError): boolean =>
  e.kind === 'throttled' || e.kind === 'unreachable' || e.kind === 'timeout' || (e.kind === 'server' && e.code >= 500);
