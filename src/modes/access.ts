// What each mode needs the API server to allow, as SelfSubjectAccessReview questions, and the shipped
// manifest granting it. Every mode reads the DNS workload (manifests/rbac-direct.yaml holds exactly
// that); probe-pod adds the pod's lifecycle, port-forward the tunnel. The checks mirror the manifests:
// src/modes/modes.test.ts parses them and fails when the two drift apart.
import type { AccessCheck } from '../kube/index.ts';

/** How to apply a mode's manifest (src/modes/registry.ts): a file, or a kustomization directory. */
export const applyCommand = (manifest: string): string => `kubectl apply ${manifest.endsWith('.yaml') ? '-f' : '-k'} ${manifest}`;

export interface Scope {
  /** The DNS workload's namespace (-n). */
  namespace: string;
  service: string;
  probeNamespace: string;
}

/**
 * Reading the DNS workload: what discovery cannot do without (every mode). The Corefile's ConfigMap,
 * the controller and Events are optional reads (a refusal is a report note), so they decide nothing.
 */
export const readChecks = (s: Scope): AccessCheck[] => [
  { verb: 'get', group: '', resource: 'services', namespace: s.namespace, name: s.service },
  { verb: 'list', group: '', resource: 'pods', namespace: s.namespace },
];

/** The probe pod's life in the probe namespace; exec needs get and create (KEP-4006, 1.35+). */
export const probePodChecks = (s: Scope): AccessCheck[] => [
  { verb: 'create', group: '', resource: 'pods', namespace: s.probeNamespace },
  { verb: 'watch', group: '', resource: 'pods', namespace: s.probeNamespace },
  { verb: 'delete', group: '', resource: 'pods', namespace: s.probeNamespace },
  { verb: 'get', group: '', resource: 'pods/exec', namespace: s.probeNamespace },
  { verb: 'create', group: '', resource: 'pods/exec', namespace: s.probeNamespace },
];

/** pods/portforward to the CoreDNS pods: get and create, like exec. */
export const portForwardChecks = (s: Scope): AccessCheck[] => [
  { verb: 'get', group: '', resource: 'pods/portforward', namespace: s.namespace },
  { verb: 'create', group: '', resource: 'pods/portforward', namespace: s.namespace },
];

/** "create pods/exec in namespace default". */
export const describeCheck = (c: AccessCheck): string => `${c.verb} ${c.resource}${c.name ? ` ${c.name}` : ''}${c.namespace ? ` in namespace ${c.namespace}` : ''}`;
