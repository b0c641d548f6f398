// Where DNS really is on each pod: the port the Service routes to (its EndpointSlice port, or its
// targetPort resolved against the pod's named containerPorts), per protocol, since UDP and TCP may
// differ (OpenShift: Service port 53 → targetPort "dns" = containerPort 5353). Pure functions.
import type { KContainer, KEndpointSlice, KServicePort } from '../kube/index.ts';

export type Protocol = 'UDP' | 'TCP';

/** The Service's DNS ports, one per protocol (either may be missing). */
export interface ServiceDnsPorts {
  udp?: KServicePort;
  tcp?: KServicePort;
}

const isProto = (p: { protocol?: string }, proto: Protocol) => (p.protocol ?? 'TCP').toUpperCase() === proto;

/**
 * UDP: the port named "dns", else 53, else the first UDP port. TCP: "dns-tcp", else the UDP port's
 * number, else a port named dns…, else 53 (a TCP-only Service: its first port).
 */
export function serviceDnsPorts(ports: KServicePort[]): ServiceDnsPorts {
  const udps = ports.filter((p) => isProto(p, 'UDP'));
  const tcps = ports.filter((p) => isProto(p, 'TCP'));
  const udp = udps.find((p) => p.name === 'dns') ?? udps.find((p) => p.port === 53) ?? udps[0];
  const tcp =
    tcps.find((p) => p.name === 'dns-tcp') ??
    (udp && tcps.find((p) => p.port === udp.port)) ??
    tcps.find((p) => p.name?.startsWith('dns')) ??
    tcps.find((p) => p.port === 53) ??
    (udp ? undefined : tcps[0]);
  return { ...(udp && { udp }), ...(tcp && { tcp }) };
}

/** The Service IP's ports: UDP's (or TCP's) and TCP's; 53 when the Service declares none. */
export function serviceProbePorts(ports: ServiceDnsPorts): { udp: number; tcp: number } {
  const udp = ports.udp?.port ?? ports.tcp?.port ?? 53;
  return { udp, tcp: ports.tcp?.port ?? udp };
}

/** A pod as port resolution needs it. */
export interface PortPod {
  name: string;
  ips: string[];
  containers: KContainer[];
}

/** The pod's own DNS containerPort for `proto` when no Service says: named dns / dns-tcp, else 53, else dns…, else the first. */
export function declaredDnsPort(containers: KContainer[], proto: Protocol): number | undefined {
  const ports = containers.flatMap((c) => c.ports).filter((p) => isProto(p, proto));
  const named = proto === 'UDP' ? 'dns' : 'dns-tcp';
  return (ports.find((p) => p.name === named) ?? ports.find((p) => p.containerPort === 53) ?? ports.find((p) => p.name?.startsWith('dns')) ?? ports[0])?.containerPort;
}

/** The EndpointSlice port for this Service port on a slice that holds the pod (slice ports carry the Service port's name). */
function slicePort(pod: PortPod, sp: KServicePort, proto: Protocol, slices: KEndpointSlice[]): number | undefined {
  const holding = slices.filter((s) => s.endpoints.some((e) => e.podName === pod.name || e.addresses.some((a) => pod.ips.includes(a))));
  for (const s of holding) {
    const port = s.ports.find((p) => (p.name ?? '') === (sp.name ?? '') && isProto(p, proto) && p.port !== undefined)?.port;
    if (port !== undefined) return port;
  }
  return undefined;
}

/** targetPort resolved against the pod: a number as is, a name through its containerPorts, unset = the Service port. */
export function resolveTargetPort(sp: KServicePort, containers: KContainer[], proto: Protocol): number | undefined {
  const target = sp.targetPort;
  if (target === undefined || target === 0) return sp.port;
  if (typeof target === 'number') return target;
  return containers.flatMap((c) => c.ports).find((p) => p.name === target && isProto(p, proto))?.containerPort;
}

/**
 * The pod's UDP and TCP DNS ports: what the EndpointSlices say, else the resolved targetPort, else the
 * pod's declared DNS port; a protocol with nothing declared shares the other's port (CoreDNS serves
 * both on a server block's port).
 */
export function podDnsPorts(pod: PortPod, service: ServiceDnsPorts | undefined, slices: KEndpointSlice[] | undefined): { udp: number; tcp: number } {
  const one = (proto: Protocol): number | undefined => {
    const sp = proto === 'UDP' ? service?.udp : service?.tcp;
    const routed = sp && slices ? slicePort(pod, sp, proto, slices) : undefined;
    return routed ?? (sp ? resolveTargetPort(sp, pod.containers, proto) : undefined) ?? declaredDnsPort(pod.containers, proto);
  };
  const udp = one('UDP');
  const tcp = one('TCP');
  return { udp: udp ?? tcp ?? 53, tcp: tcp ?? udp ?? 53 };
}

const DNS_CONTAINERS = ['coredns', 'dns', 'kubedns'];

/** The container serving DNS: coredns, dns (OpenShift) or kubedns (kube-dns), else the one holding the UDP port, else the first. */
export function dnsContainerOf(containers: KContainer[], udpPort: number): string | undefined {
  for (const name of DNS_CONTAINERS) if (containers.some((c) => c.name === name)) return name;
  return (containers.find((c) => c.ports.some((p) => p.containerPort === udpPort && isProto(p, 'UDP'))) ?? containers[0])?.name;
}
