// The simulated pod network: the address plan, the "pod network front" that stands for a CoreDNS
// pod's DNS port (where network faults live), and kube-proxy (Service ClusterIP:port → ready endpoint).
// Everything is a UDP/TCP relay inside the sim process, bound to 127.x addresses of the sim's /16.
import dgram from 'node:dgram';
import net from 'node:net';
import type { KObject, Store } from './store.ts';
import type { FaultState } from './faults.ts';

/** Every address the sim uses, derived from the first two octets of its /16. */
export interface AddressPlan {
  subnet: string;
  apiServer: string;
  upstream: string;
  node(index: number): string; // index from 0 → .0.10 …
  kubernetesService: string;
  dnsService: string;
  /**
   * NodeLocal DNSCache's local address (nodelocal preset). Real clusters use a link-local one such as
   * 169.254.20.10; each sim needs its own, so it takes one of its /16 that no pool hands out.
   */
  nodeLocal: string;
  /** The external test names' answers (inside the subnet, never routed anywhere). */
  external: Record<string, string>;
}


export function addressPlan(subnet: string): AddressPlan {
  if (!/^127\.(25[0-5]|2[0-4]\d|1?\d?\d)$/.test(subnet)) throw new Error(`subnet must look like "127.N" (0–255), got "${subnet}"`);
  return {
    subnet,
    apiServer: `${subnet}.0.1`,
    upstream: `${subnet}.0.53`,
    node: (i) => `${subnet}.0.${10 + i}`,
    kubernetesService: `${subnet}.1.1`,
    dnsService: `${subnet}.1.10`,
    nodeLocal: `${subnet}.255.10`,
    external: { 'kubernetes.io': `${subnet}.0.80`, 'example.com': `${subnet}.0.81`, 'www.example.com': `${subnet}.0.81` },
  };
}

/** Hands out addresses from a range of the /16 in order, never twice in a run. */
export class AddressPool {
  private next: number;
  constructor(
    private readonly subnet: string,
    firstThirdOctet: number,
    private readonly lastThirdOctet: number,
    private readonly taken = new Set<string>(),
  ) {
    this.next = firstThirdOctet * 256 + 1;
  }

  allocate(): string {
    for (;;) {
      if (this.next >= (this.lastThirdOctet + 1) * 256) throw new Error(`address pool of ${this.subnet}.0.0/16 exhausted`);
      const n = this.next++;
      if (n % 256 === 0 || n % 256 === 255) continue;
      const ip = `${this.subnet}.${Math.floor(n / 256)}.${n % 256}`;
      if (!this.taken.has(ip)) return (this.taken.add(ip), ip);
    }
  }

  reserve(ip: string): void {
    this.taken.add(ip);
  }
}

export interface Backend {
  address: string;
  port: number;
}

interface UdpFlow {
  socket: dgram.Socket;
  backend: Backend;
  timer: NodeJS.Timeout;
}

export interface UdpRelayOptions {
  listen: Backend;
  /** Where a new flow goes; undefined drops the datagram. */
  route(client: Backend): Backend | undefined;
  /** Client → backend: return false to drop. */
  inbound?(msg: Buffer, client: Backend): boolean;
  /** Backend → client delay in ms (0 = none). */
  replyDelayMs?(): number;
  /** Idle time after which a flow forgets its backend (conntrack's UDP timeout, shortened). */
  flowIdleMs: number;
}

/** A UDP relay with one upstream socket per client flow, like conntrack+DNAT. */
export class UdpRelay {
  private readonly socket: dgram.Socket;
  private readonly flows = new Map<string, UdpFlow>();
  private closed = false;

  constructor(private readonly opts: UdpRelayOptions) {
    this.socket = dgram.createSocket(net.isIPv6(opts.listen.address) ? 'udp6' : 'udp4');
    this.socket.on('message', (msg, rinfo) => this.fromClient(msg, { address: rinfo.address, port: rinfo.port }));
    this.socket.on('error', () => undefined);
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind(this.opts.listen.port, this.opts.listen.address, () => (this.socket.off('error', reject), resolve()));
    });
  }

  private fromClient(msg: Buffer, client: Backend): void {
    if (this.opts.inbound && !this.opts.inbound(msg, client)) return;
    const key = `${client.address}:${client.port}`;
    let flow = this.flows.get(key);
    if (!flow) {
      const backend = this.opts.route(client);
      if (!backend) return;
      flow = this.openFlow(key, client, backend);
    }
    flow.timer.refresh();
    flow.socket.send(msg, flow.backend.port, flow.backend.address);
  }

  private openFlow(key: string, client: Backend, backend: Backend): UdpFlow {
    const v6 = net.isIPv6(backend.address);
    const socket = dgram.createSocket(v6 ? 'udp6' : 'udp4');
    socket.on('error', () => undefined);
    // The backend sees the address the client talked to (when of its family), as after DNAT.
    socket.bind(0, net.isIPv6(this.opts.listen.address) === v6 ? this.opts.listen.address : undefined);
    socket.on('message', (reply) => {
      const delay = this.opts.replyDelayMs?.() ?? 0;
      const send = () => !this.closed && this.socket.send(reply, client.port, client.address);
      if (delay > 0) setTimeout(send, delay).unref();
      else send();
    });
    const timer = setTimeout(() => this.dropFlow(key), this.opts.flowIdleMs);
    timer.unref();
    const flow = { socket, backend, timer };
    this.flows.set(key, flow);
    return flow;
  }

  private dropFlow(key: string): void {
    const flow = this.flows.get(key);
    if (!flow) return;
    clearTimeout(flow.timer);
    flow.socket.close();
    this.flows.delete(key);
  }

  /** Forgets flows whose backend is no longer acceptable (kube-proxy flushes conntrack for removed endpoints). */
  forgetFlows(keep: (b: Backend) => boolean): void {
    for (const [key, flow] of this.flows) if (!keep(flow.backend)) this.dropFlow(key);
  }

  close(): void {
    this.closed = true;
    for (const key of [...this.flows.keys()]) this.dropFlow(key);
    this.socket.close();
  }
}

export interface TcpRelayOptions {
  listen: Backend;
  route(client: Backend): Backend | undefined;
  /** Backend → client delay in ms. */
  replyDelayMs?(): number;
  /**
   * DNS over TCP, answered like CoreDNS: queries pipelined on one client connection are served
   * concurrently (RFC 7766 6.2.1.1). dnsmasq answers one query at a time per connection, so a question
   * stuck on a dead upstream would stall every query behind it; instead each query in flight gets a
   * backend connection of its own (idle ones are reused). Without it the relay is a plain L4 pipe.
   */
  dnsConcurrent?: boolean;
}

/** Splits a DNS-over-TCP byte stream into whole length-prefixed messages. */
function dnsFrames(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 2) {
      const end = 2 + pending.readUInt16BE(0);
      if (pending.length < end) break;
      onFrame(pending.subarray(0, end));
      pending = pending.subarray(end);
    }
  };
}

/** A TCP relay: each accepted connection is piped to a backend chosen at connect time. */
export class TcpRelay {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly opts: TcpRelayOptions) {
    this.server = net.createServer((client) => this.accept(client));
    this.server.on('error', () => undefined);
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.listen.port, this.opts.listen.address, () => (this.server.off('error', reject), resolve()));
    });
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => s.destroy());
  }

  private reply(client: net.Socket, data: Buffer): void {
    const delay = this.opts.replyDelayMs?.() ?? 0;
    if (delay > 0) setTimeout(() => client.write(data), delay).unref();
    else client.write(data);
  }

  private connectBackend(backend: Backend): net.Socket {
    const sameFamily = net.isIPv6(backend.address) === net.isIPv6(this.opts.listen.address);
    const upstream = net.connect({ host: backend.address, port: backend.port, ...(sameFamily ? { localAddress: this.opts.listen.address } : {}) });
    this.track(upstream);
    return upstream;
  }

  private accept(client: net.Socket): void {
    this.track(client);
    const backend = this.opts.route({ address: client.remoteAddress ?? '', port: client.remotePort ?? 0 });
    if (!backend) return void client.destroy();
    if (this.opts.dnsConcurrent) return this.acceptDns(client, backend);
    const upstream = this.connectBackend(backend);
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => this.reply(client, d));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  private acceptDns(client: net.Socket, backend: Backend): void {
    const idle: net.Socket[] = [];
    const open = new Set<net.Socket>();
    const backendFor = (): net.Socket => {
      const reused = idle.pop();
      if (reused) return reused;
      const upstream = this.connectBackend(backend);
      open.add(upstream);
      upstream.on('data', dnsFrames((answer) => {
        this.reply(client, answer);
        idle.push(upstream);
      }));
      // A backend that refuses or drops the connection fails the client's connection, as a dead server would.
      upstream.on('close', () => {
        open.delete(upstream);
        const at = idle.indexOf(upstream);
        if (at >= 0) idle.splice(at, 1);
        if (!client.destroyed && open.size === 0) client.destroy();
      });
      return upstream;
    };
    client.on('data', dnsFrames((query) => backendFor().write(query)));
    client.on('close', () => {
      for (const upstream of open) upstream.destroy();
    });
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Closes a UDP and a TCP relay together. */
export interface RelayPair {
  udp: UdpRelay;
  tcp: TcpRelay;
}

export async function openRelayPair(udp: UdpRelayOptions, tcp: TcpRelayOptions): Promise<RelayPair> {
  const pair = { udp: new UdpRelay(udp), tcp: new TcpRelay(tcp) };
  try {
    await pair.udp.listen();
    await pair.tcp.listen();
  } catch (err) {
    await closeRelayPair(pair);
    throw err;
  }
  return pair;
}

export async function closeRelayPair(p: RelayPair): Promise<void> {
  try {
    p.udp.close();
  } catch {
    // not bound yet
  }
  await p.tcp.close().catch(() => undefined);
}

// ---- kube-proxy ----

type ServicePort = { name?: string; port: number; protocol?: string; targetPort?: number | string };
type SliceEndpoint = { addresses: string[]; conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean } };
type SlicePort = { name?: string; port?: number; protocol?: string };

/**
 * The endpoints a Service port forwards to: ready ones, or when none is ready, serving+terminating ones
 * (kube-proxy's fallback), from the Service's EndpointSlices.
 */
export function serviceBackends(slices: KObject[], port: ServicePort, protocol: 'UDP' | 'TCP'): Backend[] {
  const pick = (want: (c: SliceEndpoint['conditions']) => boolean) => {
    const out: Backend[] = [];
    for (const s of slices) {
      const sp = ((s.ports as SlicePort[] | undefined) ?? []).find((p) => (p.name ?? '') === (port.name ?? '') && (p.protocol ?? 'TCP') === protocol);
      if (!sp?.port) continue;
      for (const e of (s.endpoints as SliceEndpoint[] | undefined) ?? [])
        if (want(e.conditions)) for (const a of e.addresses) out.push({ address: a, port: sp.port });
    }
    return out;
  };
  const ready = pick((c) => c?.ready !== false);
  return ready.length ? ready : pick((c) => c?.serving === true && c?.terminating === true);
}

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/**
 * Where a new flow from a client to a Service ClusterIP:port goes instead of its endpoints (NodeLocal
 * DNSCache's interception on the client's node), or undefined for the Service's own endpoints.
 */
export type Intercept = (protocol: 'udp' | 'tcp', client: Backend, server: Backend) => Backend | undefined;

/** kube-proxy: a UDP+TCP relay on every ClusterIP:port of the subnet, round-robin over ready endpoints. */
export class KubeProxy {
  private readonly listeners = new Map<string, { pair: RelayPair; backends: () => Backend[] }>();
  private unsubscribe?: () => void;
  private syncing = Promise.resolve();
  private pending = false;

  constructor(
    private readonly store: Store,
    private readonly subnet: string,
    private readonly faults?: FaultState,
    /** The IPv6 prefix of a dual-stack sim (network6.ts), whose Service IPs are served too. */
    private readonly ipv6Prefix?: string,
    private readonly intercept?: Intercept,
  ) {}

  /**
   * The conntrack insertion race (fault conntrackRace): when two datagrams of a NEW flow (a new client
   * socket) cross the DNAT at once, the second loses the race for its conntrack entry and is dropped —
   * glibc's parallel A and AAAA from one socket, answered only after the resolver's retry.
   */
  private racing(): (msg: Buffer, client: Backend) => boolean {
    const firstSeen = new Map<string, number>();
    return (_msg, client) => {
      if (!this.faults?.conntrackRace) return true;
      const key = `${client.address}:${client.port}`;
      const seen = firstSeen.get(key);
      if (seen === undefined) {
        firstSeen.set(key, Date.now());
        if (firstSeen.size > 10_000) firstSeen.delete(firstSeen.keys().next().value!);
        return true;
      }
      if (seen > 0 && Date.now() - seen < 20) {
        firstSeen.set(key, 0);
        return false;
      }
      return true;
    };
  }

  start(): Promise<void> {
    this.unsubscribe = this.store.subscribe((ev) => {
      if (ev.resource === 'services' || ev.resource === 'endpointslices.discovery.k8s.io') this.kick();
    });
    this.kick();
    return this.syncing;
  }

  /** Resolves once the listeners match the current Services. */
  whenSynced(): Promise<void> {
    return this.syncing;
  }

  private kick(): void {
    if (this.pending) return;
    this.pending = true;
    this.syncing = this.syncing.then(() => new Promise<void>((r) => setImmediate(r))).then(() => {
      this.pending = false;
      return this.sync();
    });
  }

  /** The Service's EndpointSlices of one address family (a dual-stack Service has one per family). */
  private slicesOf(namespace: string, service: string, family: 'IPv4' | 'IPv6'): KObject[] {
    return this.store.list('endpointslices.discovery.k8s.io', namespace, (s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === service && ((s.addressType as string | undefined) ?? 'IPv4') === family);
  }

  private async sync(): Promise<void> {
    const wanted = new Map<string, { ip: string; port: ServicePort; protocol: 'UDP' | 'TCP'; ns: string; svc: string }>();
    for (const svc of this.store.list('services')) {
      const spec = svc.spec as { clusterIP?: string; clusterIPs?: string[]; ports?: ServicePort[] } | undefined;
      for (const ip of spec?.clusterIPs ?? (spec?.clusterIP ? [spec.clusterIP] : [])) {
        if (!ip.startsWith(`${this.subnet}.`) && !(this.ipv6Prefix && ip.startsWith(this.ipv6Prefix))) continue;
        for (const port of spec?.ports ?? []) {
          const protocol = (port.protocol ?? 'TCP') === 'UDP' ? 'UDP' : 'TCP';
          wanted.set(`${ip}:${port.port}`, { ip, port, protocol, ns: svc.metadata.namespace ?? '', svc: svc.metadata.name ?? '' });
        }
      }
    }
    // One listener per ip:port serves both protocols; each protocol routes to its own slice port.
    for (const [key, l] of this.listeners)
      if (!wanted.has(key)) {
        this.listeners.delete(key);
        await closeRelayPair(l.pair);
      }
    for (const [key, w] of wanted) {
      const existing = this.listeners.get(key);
      if (existing) {
        const live = new Set(existing.backends().map((b) => `${b.address}:${b.port}`));
        existing.pair.udp.forgetFlows((b) => live.has(`${b.address}:${b.port}`));
        continue;
      }
      const portsAt = (this.store.get('services', w.ns, w.svc)?.spec as { ports?: ServicePort[] } | undefined)?.ports ?? [];
      const backendsFor = (protocol: 'UDP' | 'TCP') => () => {
        const p = portsAt.find((x) => x.port === w.port.port && (x.protocol ?? 'TCP') === protocol);
        return p ? serviceBackends(this.slicesOf(w.ns, w.svc, net.isIPv6(w.ip) ? 'IPv6' : 'IPv4'), p, protocol) : [];
      };
      const udpBackends = backendsFor('UDP');
      const tcpBackends = backendsFor('TCP');
      const listen = { address: w.ip, port: w.port.port };
      const roundRobin = (protocol: 'udp' | 'tcp', list: () => Backend[]) => {
        let i = 0;
        return (client: Backend) => {
          const local = this.intercept?.(protocol, client, listen);
          if (local) return local;
          const all = list();
          return all.length ? all[i++ % all.length] : undefined;
        };
      };
      try {
        const pair = await openRelayPair(
          { listen, route: roundRobin('udp', udpBackends), flowIdleMs: 5000, inbound: this.racing() },
          { listen, route: roundRobin('tcp', tcpBackends) },
        );
        this.listeners.set(key, { pair, backends: udpBackends });
      } catch {
        // The address:port is taken (e.g. an unprivileged run and port < 1024): the Service stays unreachable.
      }
    }
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.syncing.catch(() => undefined);
    for (const l of this.listeners.values()) await closeRelayPair(l.pair);
    this.listeners.clear();
  }
}
