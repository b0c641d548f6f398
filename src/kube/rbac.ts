// Which rule of which shipped manifest grants a request, so a 403 can name the exact rule to bind.
// The table mirrors manifests/rbac-check.yaml and manifests/rbac-repair.yaml; a unit test
// (src/kube/kube.test.ts) parses those files and fails when the two drift apart.
import type { RequestContext } from './errors.ts';

export const RBAC_CHECK = 'manifests/rbac-check.yaml';
export const RBAC_REPAIR = 'manifests/rbac-repair.yaml';
export const RBAC_SAMPLE = 'manifests/rbac-sample.yaml';
export const RBAC_PORTFORWARD = 'manifests/rbac-portforward.yaml';
export const RBAC_QUARANTINE = 'manifests/rbac-quarantine.yaml';

/** The Role of this tool's own objects in the probe namespace: probe pods and freshness canaries. */
export const PROBE_ROLE = 'coredns-sentinel-check-probe';

export interface GrantRule {
  manifest: typeof RBAC_CHECK | typeof RBAC_REPAIR | typeof RBAC_SAMPLE | typeof RBAC_PORTFORWARD | typeof RBAC_QUARANTINE;
  role: string;
  /** A ClusterRole's rule: it grants requests made across all namespaces. */
  clusterWide?: boolean;
  apiGroup: string;
  resource: string;
  verbs: string[];
  resourceNames?: string[];
}

const check = (role: string, apiGroup: string, resource: string, verbs: string[], resourceNames?: string[]): GrantRule =>
  ({ manifest: RBAC_CHECK, role: `coredns-sentinel-check-${role}`, apiGroup, resource, verbs, ...(resourceNames ? { resourceNames } : {}) });
const repair = (role: string, apiGroup: string, resource: string, verbs: string[], resourceNames?: string[]): GrantRule =>
  ({ manifest: RBAC_REPAIR, role: role ? `coredns-sentinel-repair-${role}` : 'coredns-sentinel-repair', apiGroup, resource, verbs, ...(resourceNames ? { resourceNames } : {}) });

// --sample-services lists across all namespaces (ClusterRole coredns-sentinel-sample).
const sample = (apiGroup: string, resource: string): GrantRule => ({ manifest: RBAC_SAMPLE, role: 'coredns-sentinel-sample', apiGroup, resource, verbs: ['list'], clusterWide: true });

export const RBAC_RULES: readonly GrantRule[] = [
  check('discover', '', 'services', ['get'], ['kube-dns', 'rke2-coredns-rke2-coredns', 'rke2-coredns', 'dns-default']),
  check('discover', '', 'services', ['list']),
  check('discover', 'apps', 'deployments', ['get'], ['coredns', 'kube-dns', 'rke2-coredns-rke2-coredns']),
  check('discover', 'apps', 'daemonsets', ['get'], ['dns-default', 'node-local-dns']),
  check('discover', 'apps', 'statefulsets', ['get'], ['coredns']),
  check('discover', '', 'events', ['list']),
  check('discover', '', 'pods', ['list']),
  check('discover', 'discovery.k8s.io', 'endpointslices', ['list']),
  check('discover', '', 'configmaps', ['get'], ['coredns', 'coredns-custom', 'kube-dns', 'rke2-coredns-rke2-coredns', 'rke2-coredns', 'dns-default', 'node-local-dns']),
  check('kubernetes-service', '', 'services', ['get'], ['kubernetes']),
  check('probe', '', 'pods', ['create', 'delete', 'list', 'watch']),
  check('probe', '', 'pods/exec', ['get', 'create']),
  check('probe', '', 'services', ['create', 'delete', 'list']),
  // Pinned probe pods (--probe-nodes, corroboration): the nodes and their taints.
  { manifest: RBAC_CHECK, role: 'coredns-sentinel-check-nodes', apiGroup: '', resource: 'nodes', verbs: ['list'], clusterWide: true },
  // The probe namespace's OpenShift SCC UID range: whether the SCC assigns the probe pod's UID.
  { manifest: RBAC_CHECK, role: 'coredns-sentinel-check-nodes', apiGroup: '', resource: 'namespaces', verbs: ['get'], clusterWide: true },
  repair('', '', 'pods/eviction', ['create']),
  repair('', '', 'pods/log', ['get']),
  repair('', 'policy', 'poddisruptionbudgets', ['list']),
  repair('', 'coordination.k8s.io', 'leases', ['create']),
  repair('', 'coordination.k8s.io', 'leases', ['get', 'update'], ['coredns-sentinel-repair']),
  repair('', '', 'configmaps', ['create']),
  repair('', '', 'configmaps', ['get', 'update'], ['coredns-sentinel-state']),
  repair('', '', 'events', ['create']),
  repair('delete', '', 'pods', ['delete']),
  repair('rollout', 'apps', 'deployments', ['patch'], ['coredns', 'kube-dns', 'rke2-coredns-rke2-coredns']),
  repair('rollout', 'apps', 'daemonsets', ['patch'], ['dns-default']),
  repair('rollout', 'apps', 'statefulsets', ['patch'], ['coredns']),
  // --repair: a silent pod whose restart is refused leaves rotation by relabelling; deleted at its TTL.
  { manifest: RBAC_QUARANTINE, role: 'coredns-sentinel-quarantine', apiGroup: '', resource: 'pods', verbs: ['patch', 'delete'] },
  // --mode port-forward: the tunnel to each CoreDNS pod (its read rules are the check manifest's).
  { manifest: RBAC_PORTFORWARD, role: 'coredns-sentinel-portforward', apiGroup: '', resource: 'pods/portforward', verbs: ['get', 'create'] },
  sample('', 'services'),
  sample('discovery.k8s.io', 'endpointslices'),
];

const GRANT_MANIFEST = { check: RBAC_CHECK, repair: RBAC_REPAIR, quarantine: RBAC_QUARANTINE, probe: RBAC_CHECK } as const;

/** "endpointslices.discovery.k8s.io" → "endpointslices"; subresources stay ("pods/exec"). */
const bareResource = (resource: string) => resource.split('.')[0]!;

/**
 * The shipped rule granting `verb` on `resource` (named `name`): one whose resourceNames hold the name
 * first, then any for that verb and resource (a renamed Service or ConfigMap is still that rule).
 * `grant` picks the manifest where both hold a rule (pods delete: the probe pod, or a repair).
 */
export function grantingRule(ctx: RequestContext): GrantRule | undefined {
  const resource = bareResource(ctx.resource);
  const matching = RBAC_RULES.filter((r) => r.resource === resource && r.verbs.includes(ctx.verb) &&
    (ctx.grant === undefined || r.manifest === GRANT_MANIFEST[ctx.grant]) &&
    (ctx.grant !== 'probe' || r.role === PROBE_ROLE));
  // A request without a namespace needs a ClusterRole's rule; a namespaced one a Role's.
  const scoped = matching.filter((r) => (r.clusterWide === true) === (ctx.namespace === undefined));
  const candidates = scoped.length > 0 ? scoped : matching;
  return candidates.find((r) => ctx.name !== undefined && r.resourceNames?.includes(ctx.name)) ?? candidates.find((r) => !r.resourceNames) ?? candidates[0];
}

/** The one-line hint for a 403: the rule to grant, where, and the manifest (and Role) holding it. */
export function forbiddenHint(ctx: RequestContext, fromServer?: { verb: string; resource: string; namespace?: string }): string {
  const asked = { ...ctx, ...(fromServer ? { verb: fromServer.verb, resource: fromServer.resource } : {}) };
  const rule = grantingRule(asked);
  const resource = bareResource(asked.resource);
  const namespace = fromServer ? fromServer.namespace : ctx.namespace;
  const where = namespace ? `in namespace ${namespace}` : 'cluster-wide';
  // KEP-4006: from Kubernetes 1.35 exec and port-forward need create as well as get.
  const verbs = resource === 'pods/exec' || resource === 'pods/portforward' ? 'get and create' : asked.verb;
  const named = rule?.resourceNames && asked.name ? ` ${asked.name}` : '';
  const writes = !['get', 'list', 'watch'].includes(asked.verb);
  const source = rule ? `${rule.clusterWide ? 'ClusterRole' : 'Role'} ${rule.role} in ${rule.manifest}` : `see ${writes ? RBAC_REPAIR : RBAC_CHECK}`;
  return `missing RBAC: grant ${verbs} on ${resource}${named} ${where} (${source})`;
}
