// ServiceAccount tokens, as the kubelet mounts them in a pod: a bearer token that authenticates as
// system:serviceaccount:NS:NAME (groups system:serviceaccounts and system:serviceaccounts:NS), authorized
// by what the RoleBindings and ClusterRoleBindings in the store grant it at each request, so RBAC applied
// after the pod started counts at once, as in a real cluster.
import type { Store } from '../store.ts';
import type { PolicyRule } from '../types.ts';

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
}
interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}
type Binding = { metadata: { namespace?: string }; roleRef?: { kind: string; name: string }; subjects?: Subject[] };

const RBAC = 'rbac.authorization.k8s.io';

/** The rules bound to a ServiceAccount (by name or by one of its groups), each limited to its RoleBinding's namespace. */
export function serviceAccountRules(store: Store, namespace: string, name: string): PolicyRule[] {
  const groups = ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'];
  const bound = (s: Subject) => (s.kind === 'ServiceAccount' && s.name === name && s.namespace === namespace) || (s.kind === 'Group' && groups.includes(s.name));
  const rulesOf = (b: Binding): Rule[] => {
    const ref = b.roleRef;
    if (!ref) return [];
    const role = ref.kind === 'ClusterRole' ? store.get(`clusterroles.${RBAC}`, undefined, ref.name) : store.get(`roles.${RBAC}`, b.metadata.namespace, ref.name);
    return (role?.rules as Rule[] | undefined) ?? [];
  };
  const policy = (r: Rule, namespaces?: string[]): PolicyRule => ({
    apiGroups: r.apiGroups ?? [],
    resources: r.resources ?? [],
    verbs: r.verbs ?? [],
    ...(r.resourceNames ? { resourceNames: r.resourceNames } : {}),
    ...(namespaces ? { namespaces } : {}),
  });
  const mine = (b: Binding) => (b.subjects ?? []).some(bound);
  return [
    ...store.list(`rolebindings.${RBAC}`).map((o) => o as unknown as Binding).filter(mine).flatMap((b) => rulesOf(b).map((r) => policy(r, [b.metadata.namespace ?? '']))),
    ...store.list(`clusterrolebindings.${RBAC}`).map((o) => o as unknown as Binding).filter(mine).flatMap((b) => rulesOf(b).map((r) => policy(r))),
  ];
}

export const serviceAccountUser = (namespace: string, name: string) => ({
  name: `system:serviceaccount:${namespace}:${name}`,
  groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`],
});
