// What every handler of the simulated API server shares, and the checks every request passes:
// authentication (401), RBAC (403) and injected faults.
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

export function authenticate(ctx: ServerContext, header: string | undefined): User {
  const user = ctx.users.authenticate(header);
  if (!user) throw SimError.unauthorized();
  return user;
}

export function mustAuthorize(user: User, a: Attributes): void {
  if (!authorize(user, a).allowed) throw SimError.forbidden(user.name, a.verb, a.resource, a.group, a.namespace, a.name || undefined);
}
