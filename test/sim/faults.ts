// Fault injection: plain state read by the DNS network, the fronts and the kubelet, and the Faults API
// that tests and the demo's fault CLI use.
import type { Faults, ApiFault } from './types.ts';
import type { RegistryOutcome } from './registry.ts';

export interface FaultState {
  /** Pod names (in the DNS namespace) whose dnsmasq is SIGSTOPped. */
  hung: Set<string>;
  dropUdp: Set<string>;
  slowMs: Map<string, number>;
  crashLoop: Set<string>;
  /** Pod name → (fully qualified name without trailing dot → wrong address). */
  wrongRecords: Map<string, Map<string, string>>;
  /** Pods whose records stop following Service changes (a CoreDNS whose Kubernetes watch went stale). */
  staleWatch: Set<string>;
  upstreamDown: boolean;
  /** Service forwarders drop the second datagram of a new UDP flow (the conntrack insertion race). */
  conntrackRace: boolean;
  nodesWithoutNetwork: Set<string>;
  unpullableImages: Set<string>;
  /** Registry host → how its pulls fail (test/sim/registry.ts). */
  registries: Map<string, RegistryOutcome>;
  /** Registry host → pulls that still go through before its rate limit applies. */
  registryAllowance: Map<string, number>;
  /** Node names and "namespace/pod" keys whose pod sandboxes cannot be created (CNI failure). */
  cniFail: Set<string>;
  /** NodeLocal DNSCache processes stopped by nodelocal-down, by pod name. */
  nodeLocalDown: Map<string, number>;
  /** Address families the pod network drops (drop-family). */
  droppedFamilies: Set<'ipv4' | 'ipv6'>;
  /** "pod/family": one pod's addresses of a family dropped (drop-family ipv6 <pod>). */
  droppedPodFamilies: Set<string>;
  /** Stub domains whose upstream is stopped. */
  stubsDown: Set<string>;
  /** Image repository → the memory cgroup limit its containers get under runc instead of their pod's. */
  memoryLimits: Map<string, string>;
}

export const emptyFaultState = (): FaultState => ({
  hung: new Set(),
  dropUdp: new Set(),
  slowMs: new Map(),
  crashLoop: new Set(),
  wrongRecords: new Map(),
  staleWatch: new Set(),
  upstreamDown: false,
  conntrackRace: false,
  nodesWithoutNetwork: new Set(),
  unpullableImages: new Set(),
  registries: new Map(),
  registryAllowance: new Map(),
  cniFail: new Set(),
  stubsDown: new Set(),
  droppedFamilies: new Set(),
  droppedPodFamilies: new Set(),
  nodeLocalDown: new Map(),
  memoryLimits: new Map(),
});

/** What the faults need from the rest of the sim. */
export interface FaultTargets {
  /** Throws a one-line error when the name is not a CoreDNS pod. */
  requireDnsPod(pod: string): void;
  signalDns(pod: string, sig: NodeJS.Signals): void;
  /** Re-renders the pod's records (wrongRecord). */
  refreshRecords(pod: string): void;
  pauseUpstream(): void;
  resumeUpstream(): void;
  requireNode(node: string): void;
  /** Stops (true) or resumes (false) a stub domain's upstream; throws when no DNS server forwards it. */
  pauseStub(zone: string, pause: boolean): void;
  /** Sets the DNS workload's replicas; throws for a DaemonSet. */
  scaleDns(replicas: number): void;
  /** "namespace/pod" when the name is a pod (DNS pods first), undefined when it is a node; throws when neither. */
  podOrNode(name: string): string | undefined;
  /** The node's running node-local-dns pod and its cache process; throws without one. */
  nodeLocalPod(node: string): { name: string; pid: number };
  /** cni-fail on a running pod: its sandbox is lost. */
  loseSandbox(podKey: string): void;
  /** Fills every Linux node's cpu with workload pods; returns their names. */
  fillNodes(): string[];
  api?: { add(f: ApiFault): number; clear(id?: number): void };
}

export function createFaults(state: FaultState, t: FaultTargets): Faults {
  const apiServer = () => {
    if (!t.api) throw new Error('API faults need the API server, which is not running');
    return t.api;
  };
  return {
    hangDns(pod) {
      t.requireDnsPod(pod);
      t.signalDns(pod, 'SIGSTOP');
      state.hung.add(pod);
    },
    dropUdp(pod) {
      t.requireDnsPod(pod);
      state.dropUdp.add(pod);
    },
    crash(pod) {
      t.requireDnsPod(pod);
      t.signalDns(pod, 'SIGKILL');
    },
    crashLoop(pod) {
      t.requireDnsPod(pod);
      state.crashLoop.add(pod);
      t.signalDns(pod, 'SIGKILL');
    },
    wrongRecord(pod, name, address) {
      t.requireDnsPod(pod);
      const m = state.wrongRecords.get(pod) ?? new Map<string, string>();
      m.set(name.replace(/\.$/, '').toLowerCase(), address);
      state.wrongRecords.set(pod, m);
      t.refreshRecords(pod);
    },
    staleWatch(pod) {
      t.requireDnsPod(pod);
      state.staleWatch.add(pod);
    },
    slow(pod, ms) {
      t.requireDnsPod(pod);
      state.slowMs.set(pod, ms);
    },
    conntrackRace() {
      state.conntrackRace = true;
    },
    upstreamDown() {
      state.upstreamDown = true;
      t.pauseUpstream();
    },
    nodeNoNetwork(node) {
      t.requireNode(node);
      state.nodesWithoutNetwork.add(node);
    },
    memoryLimit(image, limit) {
      state.memoryLimits.set(image, limit);
    },
    unpullableImage(image) {
      state.unpullableImages.add(image);
    },
    registry(host, outcome, afterPulls) {
      if (afterPulls !== undefined && (outcome !== 'rate-limited' || !Number.isInteger(afterPulls) || afterPulls < 0))
        throw new Error(`registry ${host}: only rate-limited takes a pull count (an integer ≥ 0), got ${outcome} after ${afterPulls}`);
      state.registries.set(host, outcome);
      state.registryAllowance.set(host, afterPulls ?? 0);
    },
    nodesAtCapacity: () => t.fillNodes(),
    stubDown(domain) {
      const zone = domain.replace(/\.$/, '').toLowerCase();
      t.pauseStub(zone, true);
      state.stubsDown.add(zone);
    },
    scale(replicas) {
      if (!Number.isInteger(replicas) || replicas < 0) throw new Error(`scale needs a replica count ≥ 0, got ${replicas}`);
      t.scaleDns(replicas);
    },
    cniFail(target) {
      const pod = t.podOrNode(target);
      state.cniFail.add(pod ?? target);
      if (pod) t.loseSandbox(pod);
    },
    dropFamily(family, pod) {
      if (family !== 'ipv6' && family !== 'ipv4') throw new Error(`drop-family takes ipv4 or ipv6, got "${family}"`);
      if (pod === undefined) return void state.droppedFamilies.add(family);
      t.requireDnsPod(pod);
      state.droppedPodFamilies.add(`${pod}/${family}`);
    },
    nodeLocalDown(node, how = 'hung') {
      t.requireNode(node);
      const { name, pid } = t.nodeLocalPod(node);
      if (how === 'dead') {
        state.crashLoop.add(name);
        return void process.kill(pid, 'SIGKILL');
      }
      process.kill(pid, 'SIGSTOP');
      state.nodeLocalDown.set(name, pid);
    },
    api: (f) => apiServer().add(f),
    clearApi: (id) => apiServer().clear(id),
    clear() {
      for (const pod of state.hung) {
        try {
          t.signalDns(pod, 'SIGCONT');
        } catch {
          // the pod is gone; nothing to resume
        }
      }
      const rerender = [...state.wrongRecords.keys(), ...state.staleWatch];
      if (state.upstreamDown) t.resumeUpstream();
      for (const zone of state.stubsDown) t.pauseStub(zone, false);
      for (const pid of state.nodeLocalDown.values()) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // the cache pod is gone
        }
      }
      Object.assign(state, emptyFaultState());
      for (const pod of rerender) t.refreshRecords(pod);
      t.api?.clear();
    },
  };
}
