// Bearer-token and x509 client-certificate authentication and a small RBAC authorizer with the real matching rules
// (k8s.io/kubernetes/pkg/apis/rbac/v1/evaluation_helpers.go).
import { randomBytes } from 'node:crypto';
import type { PolicyRule } from '../types.ts';

export interface User {
  name: string;
  groups: string[];
  rules: PolicyRule[];
}

export interface Attributes {
  verb: string;
  group: string;
  resource: string; // "pods" or "pods/exec"
  namespace?: string;
  name?: string;
}

export interface Decision {
  allowed: boolean;
  reason: string;
}

export const MASTERS = 'system:masters';

export class Users {
  private readonly byToken = new Map<string, User>();

  add(name: string, rules: PolicyRule[], groups: string[] = []): { user: User; token: string } {
    const token = randomBytes(24).toString('hex');
    const user = { name, groups: [...groups, 'system:authenticated'], rules: structuredClone(rules) };
    this.byToken.set(token, user);
    return { user, token };
  }

  private readonly byName = new Map<string, User>();
  /** Tokens whose rules are read at each request (ServiceAccount tokens: RBAC objects in the store). */
  private readonly dynamic = new Map<string, { name: string; groups: string[]; rules: () => PolicyRule[] }>();

  /** A token user whose rules are `rules()` at each request. */
  addDynamic(name: string, groups: string[], rules: () => PolicyRule[]): string {
    const token = randomBytes(24).toString('hex');
    this.dynamic.set(token, { name, groups: [...groups, 'system:authenticated'], rules });
    return token;
  }

  /** A user known by name: a client certificate with this CN gets its rules. */
  addNamed(name: string, rules: PolicyRule[]): void {
    this.byName.set(name, { name, groups: [], rules: structuredClone(rules) });
  }

  /**
   * The user behind an `Authorization: Bearer …` header, else behind a client certificate the cluster
   * CA signed (CN the user, O its groups, as the x509 authenticator reads them), or undefined (→ 401).
   */
  authenticate(header: string | undefined, peer?: { cn: string; orgs: string[] }): User | undefined {
    const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
    if (m) {
      const dynamic = this.dynamic.get(m[1]!);
      return dynamic ? { name: dynamic.name, groups: dynamic.groups, rules: dynamic.rules() } : this.byToken.get(m[1]!);
    }
    if (!peer) return undefined;
    return { name: peer.cn, groups: [...peer.orgs, 'system:authenticated'], rules: this.byName.get(peer.cn)?.rules ?? [] };
  }
}

const has = (list: string[], value: string) => list.includes('*') || list.includes(value);

const resourceMatches = (rule: PolicyRule, resource: string): boolean => {
  const sub = resource.includes('/') ? resource.slice(resource.indexOf('/')) : undefined;
  return rule.resources.some((r) => r === '*' || r === resource || (sub !== undefined && r === `*${sub}`));
};

export function ruleAllows(rule: PolicyRule, a: Attributes): boolean {
  if (rule.namespaces && (a.namespace === undefined || !rule.namespaces.includes(a.namespace))) return false;
  if (!has(rule.verbs, a.verb) || !has(rule.apiGroups, a.group) || !resourceMatches(rule, a.resource)) return false;
  // A rule limited to names never matches a request without one (list, create).
  return !rule.resourceNames?.length || (a.name !== undefined && a.name !== '' && rule.resourceNames.includes(a.name));
}

// system:basic-user: every authenticated user may ask what it may do.
const BASIC_USER_RULES: PolicyRule[] = [{ apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'], verbs: ['create'] }];

export function authorize(user: User, a: Attributes): Decision {
  if (user.groups.includes(MASTERS)) return { allowed: true, reason: `allowed by group "${MASTERS}"` };
  if (BASIC_USER_RULES.some((r) => ruleAllows(r, a))) return { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "system:basic-user" of ClusterRole "system:basic-user" to Group "system:authenticated"' };
  const index = user.rules.findIndex((r) => ruleAllows(r, a));
  if (index < 0) return { allowed: false, reason: '' };
  return { allowed: true, reason: `RBAC: allowed by ClusterRoleBinding "sim:${user.name}" of ClusterRole "sim:${user.name}" to User "${user.name}" (rule ${index})` };
}
