// What every handler of the simulated API server shares, and the checks every request passes:
// authentication (401), RBAC (403) and injected faults.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Store } from '../store.ts';
import { SimError } from '../status.ts';
import type { ApiRequestRecord, NodeRuntime } from '../types.ts';
import { authorize, type Attributes, type User, type Users } from './auth.ts';
import type { FaultTable } from './faults.ts';

export interface ServerContext {
  store: Store;
  runtime: NodeRuntime;
  users: Users;
  faults: FaultTable;
  requests: ApiRequestRecord[];
  /** host:port as clients reach it (for /api's serverAddressByClientCIDRs). */
  serverAddress: string;
  /** Closers of open watch streams, for stop(). */
  watches: Set<() => void>;
}

/** The verified client certificate's CN and O of a request's TLS connection, if any. */
function peerOf(req: IncomingMessage): { cn: string; orgs: string[] } | undefined {
  const socket = req.socket as TLSSocket;
  if (!socket.authorized) return undefined;
  const subject = socket.getPeerCertificate()?.subject as Record<string, string | string[] | undefined> | undefined;
  const cn = subject?.CN;
  if (typeof cn !== 'string' || !cn) return undefined;
  const o = subject?.O;
  return { cn, orgs: o === undefined ? [] : Array.isArray(o) ? o : [o] };
}

export function authenticate(ctx: ServerContext, req: IncomingMessage): User {
  const user = ctx.users.authenticate(req.headers.authorization, peerOf(req));
  if (!user) throw SimError.unauthorized();
  return user;
}

export function mustAuthorize(user: User, a: Attributes): void {
  if (!authorize(user, a).allowed) throw SimError.forbidden(user.name, a.verb, a.resource, a.group, a.namespace, a.name || undefined);
}
