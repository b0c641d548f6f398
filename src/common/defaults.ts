// Every default of coredns-sentinel, once. Stages read their defaults from here, the CLI's help texts
// are written from it (src/cli/main.ts), docs quote it. A leaf module: it imports nothing.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

export const DEFAULTS = {
  /** Where the DNS workload is looked for when the flags say nothing (kubeadm's names). */
  workload: { namespace: 'kube-system', selector: 'k8s-app=kube-dns', service: 'kube-dns', configmap: 'coredns', clusterDomain: 'cluster.local' },
  probe: {
    image: 'node:22-alpine',
    nodes: 1,
    podTimeoutMs: 60 * SECOND,
    /** Probe pods started at once with --probe-nodes all. */
    nodesParallel: 10,
  },
  plan: {
    samples: 3,
    timeoutMs: 2 * SECOND,
    transports: ['udp', 'tcp'] as const,
    externalName: 'kubernetes.io',
    concurrency: 64,
  },
  // Without --latency-threshold, UDP answers (what clients ask) slower than 500 ms count as slow: far
  // above a healthy CoreDNS's answer (operators publish p99 < 100 ms), well below the 2 s timeout. TCP
  // answers carry a connection per query and the server's per-connection work: judged only when asked.
  judge: { confirmCycles: 1, udpLatencyThresholdMs: 500 },
  /** --client-view: the lookup a pod's application makes, and the A+AAAA pairs per target. */
  clientView: { shortName: 'kubernetes.default', pairs: 10, retryAfterMs: 1000 },
  repair: {
    method: 'evict' as const,
    maxUnavailable: 1,
    allowSingleReplica: false,
    allowFullRestart: false,
    cooldownMs: 5 * MINUTE,
    budget: 3,
    windowMs: HOUR,
    escalateAfter: 2,
    /** Bound on each restart until its replacement is Ready (--repair-timeout). */
    timeoutMs: 2 * MINUTE,
    leaseSeconds: 60,
    /** Grace period when evicting a pod that answers no DNS at all (--silent-grace-period), seconds. */
    silentGraceSeconds: 1,
    /** A silent pod whose restart is refused leaves rotation (--no-quarantine), kept until --quarantine-ttl. */
    quarantine: { enabled: true, ttlMs: 30 * MINUTE },
  },
  requestTimeoutMs: 15 * SECOND,
  /** Clusters checked at once with several --context or --all-contexts. */
  fleetParallel: 4,
  output: 'table' as const,
  logFormat: 'text' as const,
  logLevel: 'warn' as const,
  watch: { intervalMs: 30 * SECOND, metricsAddr: '0.0.0.0:9469' },
  /** --mode, and how long direct mode's reachability test waits for an answer from a pod IP. */
  modes: { mode: 'auto' as const, reachTimeoutMs: SECOND },
} as const;

/** A duration as the flags write it: 1h, 5m, 30s, 1m30s, 250ms. */
export function formatDuration(ms: number): string {
  if (ms % SECOND !== 0) return `${ms}ms`;
  let s = ms / SECOND;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s || (!h && !m) ? `${s}s` : ''}`;
}
