// GKE's kube-dns (not CoreDNS): the cluster domain from the kubedns container's --domain flag, stub
// domains and upstream nameservers from ConfigMap kube-dns (JSON values, GKE "Using kube-dns"), as the
// same Zones a Corefile gives (src/discover/corefile.ts). Pure.
import type { KConfigMap, KContainer } from '../kube/index.ts';
import { DEFAULT_CLUSTER_DOMAIN } from './corefile.ts';
import type { ServedZone, Zones } from './types.ts';

/** kube-dns pods run a container named kubedns (with dnsmasq and sidecar beside it). */
export const isKubeDns = (containers: KContainer[]): boolean => containers.some((c) => c.name === 'kubedns');

/** `--domain=cluster.local.` of the kubedns container. */
export function kubeDnsDomain(containers: KContainer[]): string | undefined {
  const arg = containers.find((c) => c.name === 'kubedns')?.args?.find((a) => /^--?domain=/.test(a));
  const domain = arg?.split('=')[1]?.replace(/\.$/, '');
  return domain || undefined;
}

function json(text: string | undefined, what: string, notes: string[]): unknown {
  if (text === undefined || !text.trim()) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    notes.push(`ConfigMap kube-dns key ${what} is not JSON: ignored`);
    return undefined;
  }
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** The zones kube-dns serves on `port`: the cluster domain, each stub domain, and `.` to the upstreams (or the node's resolv.conf). */
export function kubeDnsZones(cm: KConfigMap | undefined, containers: KContainer[], port: number): Zones {
  const notes: string[] = [];
  const domain = kubeDnsDomain(containers) ?? DEFAULT_CLUSTER_DOMAIN;
  const origin = cm ? `ConfigMap ${cm.name}` : 'kube-dns defaults';
  const stubs = json(cm?.data.stubDomains, 'stubDomains', notes);
  const stubMap = typeof stubs === 'object' && stubs !== null && !Array.isArray(stubs) ? (stubs as Record<string, unknown>) : {};
  const upstream = strings(json(cm?.data.upstreamNameservers, 'upstreamNameservers', notes));
  const served: ServedZone[] = [
    { zone: domain, port, by: 'kubernetes', origin: 'kube-dns --domain' },
    ...Object.entries(stubMap).map(([zone, to]): ServedZone => ({ zone: zone.replace(/\.$/, ''), port, by: 'forward', origin: `${origin} stubDomains`, forwarders: strings(to) })),
    { zone: '.', port, by: 'forward', origin: upstream.length ? `${origin} upstreamNameservers` : 'kube-dns: the node\'s resolv.conf', forwarders: upstream.length ? upstream : ['/etc/resolv.conf'] },
  ];
  return {
    clusterDomain: domain,
    stubDomains: Object.keys(stubMap).map((z) => z.replace(/\.$/, '')).sort(),
    fromCorefile: cm !== undefined,
    ...(cm ? (notes.length ? { note: notes.join('; ') } : {}) : { note: 'kube-dns: no ConfigMap kube-dns, so no stub domains; upstream is the node\'s resolv.conf' }),
    served,
  };
}
