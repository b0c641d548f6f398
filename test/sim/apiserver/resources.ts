// The resource types the simulated API server serves, as discovery describes them.
import type { ResourceType } from '../store.ts';

export interface ServedType extends ResourceType {
  singular: string;
  verbs: string[];
  subresources: string[];
  /** Only `create` is served (reviews): nothing is stored. */
  virtual?: boolean;
  categories?: string[];
}

const RW = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

const t = (group: string, version: string, resource: string, kind: string, namespaced: boolean, extra: Partial<ServedType> = {}): ServedType => ({
  group,
  version,
  resource,
  kind,
  namespaced,
  singular: kind.toLowerCase(),
  verbs: RW,
  subresources: [],
  ...extra,
});

export const SERVED_TYPES: readonly ServedType[] = [
  t('', 'v1', 'namespaces', 'Namespace', false, { shortNames: ['ns'], subresources: ['status'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] }),
  t('', 'v1', 'nodes', 'Node', false, { shortNames: ['no'], subresources: ['status'] }),
  t('', 'v1', 'pods', 'Pod', true, { shortNames: ['po'], subresources: ['status', 'exec', 'portforward', 'log', 'eviction'], categories: ['all'] }),
  t('', 'v1', 'services', 'Service', true, { shortNames: ['svc'], subresources: ['status'], categories: ['all'] }),
  t('', 'v1', 'endpoints', 'Endpoints', true, { shortNames: ['ep'], singular: 'endpoints' }),
  t('', 'v1', 'configmaps', 'ConfigMap', true, { shortNames: ['cm'] }),
  t('', 'v1', 'events', 'Event', true, { shortNames: ['ev'] }),
  t('', 'v1', 'serviceaccounts', 'ServiceAccount', true, { shortNames: ['sa'] }),
  t('', 'v1', 'limitranges', 'LimitRange', true, { shortNames: ['limits'] }),
  t('', 'v1', 'resourcequotas', 'ResourceQuota', true, { shortNames: ['quota'], subresources: ['status'] }),
  t('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true),
  t('apps', 'v1', 'deployments', 'Deployment', true, { shortNames: ['deploy'], subresources: ['status', 'scale'], categories: ['all'] }),
  t('apps', 'v1', 'daemonsets', 'DaemonSet', true, { shortNames: ['ds'], subresources: ['status'], categories: ['all'] }),
  t('apps', 'v1', 'statefulsets', 'StatefulSet', true, { shortNames: ['sts'], subresources: ['status', 'scale'], categories: ['all'] }),
  t('apps', 'v1', 'replicasets', 'ReplicaSet', true, { shortNames: ['rs'], subresources: ['status', 'scale'], categories: ['all'] }),
  t('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true, { shortNames: ['pdb'], subresources: ['status'] }),
  t('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
  t('events.k8s.io', 'v1', 'events', 'Event', true, { shortNames: ['ev'] }),
  // Jobs and CronJobs have their controllers (test/sim/batch.ts).
  t('batch', 'v1', 'jobs', 'Job', true, { subresources: ['status'], categories: ['all'] }),
  t('batch', 'v1', 'cronjobs', 'CronJob', true, { shortNames: ['cj'], subresources: ['status'], categories: ['all'] }),
  // Stored only (no controller acts on them): the objects of manifests/ and charts/ — RBAC, the
  // ServiceMonitor, the PrometheusRule — so `kubectl create -f` of a rendered kustomization works
  // (test/sim/incluster.ts turns a ServiceAccount's bindings into that account's token user).
  t('rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true),
  t('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true),
  t('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false),
  t('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false),
  t('monitoring.coreos.com', 'v1', 'servicemonitors', 'ServiceMonitor', true),
  t('monitoring.coreos.com', 'v1', 'prometheusrules', 'PrometheusRule', true),
  t('authorization.k8s.io', 'v1', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', false, { verbs: ['create'], virtual: true }),
];

/** Kind and verbs of each subresource, as /api/v1 lists "pods/exec" and friends. */
export const SUBRESOURCE_INFO: Record<string, { kind: string; verbs: string[]; group?: string; version?: string }> = {
  status: { kind: '', verbs: ['get', 'patch', 'update'] },
  exec: { kind: 'PodExecOptions', verbs: ['create', 'get'] },
  portforward: { kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
  log: { kind: 'Pod', verbs: ['get'] },
  eviction: { kind: 'Eviction', verbs: ['create'], group: 'policy', version: 'v1' },
  scale: { kind: 'Scale', verbs: ['get', 'patch', 'update'], group: 'autoscaling', version: 'v1' },
};

export const groupVersion = (group: string, version: string) => (group ? `${group}/${version}` : version);

export function findType(group: string, version: string, resource: string): ServedType | undefined {
  return SERVED_TYPES.find((s) => s.group === group && s.version === version && s.resource === resource);
}

/** Groups in the order /apis lists them; "" (core) is served under /api. */
export function servedGroups(): { group: string; version: string }[] {
  const seen = new Map<string, string>();
  for (const s of SERVED_TYPES) if (s.group && !seen.has(s.group)) seen.set(s.group, s.version);
  return [...seen].map(([group, version]) => ({ group, version }));
}

/** Types whose status only the status subresource may change. */
export const hasStatus = (s: ServedType) => s.subresources.includes('status');
