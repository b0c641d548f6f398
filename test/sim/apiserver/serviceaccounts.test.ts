// A ServiceAccount's rules as the sim's API server reads them from the RBAC objects in its store at each
// request: RoleBindings limit a Role's or ClusterRole's rules to their namespace, ClusterRoleBindings do
// not; subjects by account or by the accounts' groups; other accounts' bindings count for nothing.
import { expect } from 'chai';
import { Store } from '../store.ts';
import { serviceAccountRules } from './serviceaccounts.ts';

const RBAC = 'rbac.authorization.k8s.io';
const rule = (resource: string, verbs = ['get']) => ({ apiGroups: [''], resources: [resource], verbs });
const account = (name: string, namespace = 'tools') => ({ kind: 'ServiceAccount', name, namespace });

describe('sim: ServiceAccount rules from the store', () => {
  let store: Store;
  const add = (resource: string, o: Record<string, unknown>) => store.create(`${resource}.${RBAC}`, { apiVersion: `${RBAC}/v1`, ...o } as Parameters<Store['create']>[1]);

  beforeEach(() => {
    store = new Store();
    add('roles', { kind: 'Role', metadata: { name: 'read-pods', namespace: 'kube-system' }, rules: [rule('pods', ['list'])] });
    add('clusterroles', { kind: 'ClusterRole', metadata: { name: 'read-nodes' }, rules: [rule('nodes')] });
    add('clusterroles', { kind: 'ClusterRole', metadata: { name: 'read-cm' }, rules: [rule('configmaps')] });
  });

  it('a RoleBinding of a Role: its rules in the binding’s namespace only', () => {
    add('rolebindings', { kind: 'RoleBinding', metadata: { name: 'b', namespace: 'kube-system' }, roleRef: { kind: 'Role', name: 'read-pods' }, subjects: [account('sentinel')] });
    expect(serviceAccountRules(store, 'tools', 'sentinel')).to.deep.equal([{ ...rule('pods', ['list']), namespaces: ['kube-system'] }]);
  });

  it('a ClusterRoleBinding: everywhere; a RoleBinding of a ClusterRole: in its namespace', () => {
    add('clusterrolebindings', { kind: 'ClusterRoleBinding', metadata: { name: 'c' }, roleRef: { kind: 'ClusterRole', name: 'read-nodes' }, subjects: [account('sentinel')] });
    add('rolebindings', { kind: 'RoleBinding', metadata: { name: 'd', namespace: 'default' }, roleRef: { kind: 'ClusterRole', name: 'read-cm' }, subjects: [account('sentinel')] });
    expect(serviceAccountRules(store, 'tools', 'sentinel')).to.deep.equal([{ ...rule('configmaps'), namespaces: ['default'] }, rule('nodes')]);
  });

  it('bound through its groups; other accounts, namespaces and missing roles give nothing', () => {
    add('clusterrolebindings', { kind: 'ClusterRoleBinding', metadata: { name: 'all-sa' }, roleRef: { kind: 'ClusterRole', name: 'read-nodes' }, subjects: [{ kind: 'Group', name: 'system:serviceaccounts:tools' }] });
    add('clusterrolebindings', { kind: 'ClusterRoleBinding', metadata: { name: 'other' }, roleRef: { kind: 'ClusterRole', name: 'read-cm' }, subjects: [account('sentinel', 'elsewhere'), account('someone')] });
    add('clusterrolebindings', { kind: 'ClusterRoleBinding', metadata: { name: 'dangling' }, roleRef: { kind: 'ClusterRole', name: 'no-such-role' }, subjects: [account('sentinel')] });
    expect(serviceAccountRules(store, 'tools', 'sentinel')).to.deep.equal([rule('nodes')]);
    expect(serviceAccountRules(store, 'elsewhere', 'nobody')).to.deep.equal([]);
  });
});
