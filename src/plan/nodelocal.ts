// NodeLocal DNSCache's local addresses as targets: from a probe pod they reach the cache on the probe's
// node, so each probe node checks its own cache. The Service IP, which the cache also binds in iptables
// mode, is a Service target already. Pure.
import type { Target } from '../probe/contract.ts';
import type { DnsWorkload } from '../discover/types.ts';

/** The cache's default DNS port when its DaemonSet names none. */
const NODE_LOCAL_PORT = 53;

export function nodeLocalTargets(workload: DnsWorkload): Target[] {
  const cache = workload.nodeLocal;
  if (!cache) return [];
  const own = cache.localIPs.filter((ip) => !workload.service.clusterIPs.includes(ip));
  return own.map((ip, i) => ({
    id: i === 0 ? 'node-local' : `node-local/${ip}`,
    address: ip,
    port: cache.port ?? NODE_LOCAL_PORT,
    kind: 'node-local' as const,
    label: `${cache.daemonSet} ${ip}`,
  }));
}
