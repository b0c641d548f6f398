// CoreDNS as dnsmasq: records generated from the store's Services like the kubernetes plugin, one real
// dnsmasq per CoreDNS pod (behind the pod network front on podIP:<dns port>), health/ready endpoints,
// CoreDNS-like log lines, and the simulated upstream resolver (one more dnsmasq).
import { mkdirSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import dnsPacket from 'dns-packet';
import type { KObject, Store } from './store.ts';
import { spawnContained, type Exit } from './images.ts';
import { openRelayPair, type Backend, type RelayPair } from './network.ts';
import type { FaultState } from './faults.ts';
import { corefileLoadError, corefileParseError, corefileSha512, forwardsRoot, kubernetesZones, parseZoneFile, stubZones, zoneDnsmasqLines, type ServerBlock } from './corefile.ts';

type ServicePort = { name?: string; port: number; protocol?: string };

const fqdn = (svc: KObject, domain: string) => `${svc.metadata.name}.${svc.metadata.namespace}.svc.${domain}`;

/** A records as `ip name` pairs: ClusterIP Services, and ready endpoints of headless ones. */
export function serviceARecords(services: KObject[], slices: KObject[], domain: string): [string, string][] {
  const out: [string, string][] = [];
  for (const svc of services) {
    const spec = svc.spec as { clusterIP?: string; clusterIPs?: string[] } | undefined;
    const ip = spec?.clusterIP;
    if (ip && ip !== 'None') {
      for (const each of spec?.clusterIPs ?? [ip]) out.push([each, fqdn(svc, domain)]);
      continue;
    }
    if (ip !== 'None') continue;
    for (const s of slices) {
      if (s.metadata.namespace !== svc.metadata.namespace || s.metadata.labels?.['kubernetes.io/service-name'] !== svc.metadata.name) continue;
      for (const e of (s.endpoints as { addresses: string[]; conditions?: { ready?: boolean } }[] | undefined) ?? [])
        if (e.conditions?.ready !== false) for (const a of e.addresses) out.push([a, fqdn(svc, domain)]);
    }
  }
  return out;
}

/** dnsmasq srv-host lines: `_<port name>._<proto>.<svc>.<ns>.svc.<domain>` → "<port> <svc fqdn>". */
export function serviceSrvLines(services: KObject[], domain: string): string[] {
  const lines: string[] = [];
  for (const svc of services) {
    const ip = (svc.spec as { clusterIP?: string } | undefined)?.clusterIP;
    if (!ip || ip === 'None') continue;
    for (const p of (svc.spec as { ports?: ServicePort[] }).ports ?? [])
      if (p.name) lines.push(`srv-host=_${p.name}._${(p.protocol ?? 'TCP').toLowerCase()}.${fqdn(svc, domain)},${fqdn(svc, domain)},${p.port},0,100`);
  }
  return lines;
}

/** The hosts file text, with per-pod overrides (the wrongRecord fault) replacing the truth for a name. */
export function hostsText(records: [string, string][], overrides: ReadonlyMap<string, string> = new Map()): string {
  const kept = records.filter(([, name]) => !overrides.has(name));
  const all = [...kept, ...[...overrides].map(([name, ip]) => [ip, name] as [string, string])];
  return all.map(([ip, name]) => `${ip} ${name}\n`).join('');
}

/** "127.10" → "10.127.in-addr.arpa": the reverse zone of the sim's /16. */
export const reverseZone = (subnet: string) => `${subnet.split('.').reverse().join('.')}.in-addr.arpa`;

// Stay root: any uid/gid change would clear the parent-death signal that ties dnsmasq to the sim.
// No pid file: dnsmasq's default /var/run/dnsmasq.pid is shared by every instance, and instances that
// start at the same moment (several sims at once) race on it ("failed to open pidfile: File exists").
const processLines = () => ['pid-file=', ...(process.getuid?.() === 0 ? ['user=root', 'group=root'] : [])];

/** What one DNS server container is configured to serve: its server blocks and the files it sees. */
export interface DnsServerConfig {
  blocks: ServerBlock[];
  /** Container path → content (its ConfigMap volumes). */
  files: ReadonlyMap<string, string>;
  /** CoreDNS's Corefile (its -conf path and text); absent for kube-dns and when none is mounted. */
  corefile?: { path: string; text: string };
}

/**
 * The pod's dnsmasq configuration for its server blocks: the kubernetes zone (records in hostsDir) only
 * where a kubernetes plugin serves it, file-plugin zones from their zone files, the root forwarded to the
 * upstream and each stub domain to its own upstream.
 */
export function podDnsmasqConf(o: { reverse6?: string; listen: Backend; hostsDir: string; domain: string; subnet: string; upstream: Backend; stubs: ReadonlyMap<string, Backend>; srv: string[]; config: DnsServerConfig }): string {
  const k8s = kubernetesZones(o.config.blocks);
  const servesCluster = k8s.includes(o.domain) || k8s.includes('.');
  const servesReverse = k8s.some((z) => z === 'in-addr.arpa' || z === '.' || reverseZone(o.subnet).endsWith(z));
  const zoneLines = o.config.blocks.flatMap((b) => b.files.flatMap((f) => f.zones.flatMap((z) => zoneDnsmasqLines([z], parseZoneFile(o.config.files.get(f.path) ?? '', z)))));
  return [
    `listen-address=${o.listen.address}`,
    `port=${o.listen.port}`,
    'bind-interfaces',
    'no-resolv',
    'no-hosts',
    `hostsdir=${o.hostsDir}`,
    ...(servesCluster ? [`local=/${o.domain}/`] : []),
    ...(servesReverse ? [`local=/${reverseZone(o.subnet)}/`, ...(o.reverse6 ? [`local=/${o.reverse6}/`] : [])] : []),
    ...zoneLines,
    ...(forwardsRoot(o.config.blocks) ? [`server=${o.upstream.address}#${o.upstream.port}`] : []),
    ...[...o.stubs].map(([zone, b]) => `server=/${zone}/${b.address}#${b.port}`),
    // No cache: a fault or a record change shows on the very next query.
    'cache-size=0',
    // dnsmasq serves at most 20 TCP connections at once by default; CoreDNS has no such cap.
    'max-tcp-connections=256',
    ...processLines(),
    ...(servesCluster ? o.srv : []),
    '',
  ].join('\n');
}

/** The hosts plugin's entries (hosts files such as k3s's NodeHosts, and inline lines) as hosts-file text. */
export function hostsPluginText(config: DnsServerConfig): string {
  return config.blocks
    .flatMap((b) => b.hosts.flatMap((h) => [...(h.path ? (config.files.get(h.path) ?? '').split('\n') : []), ...h.inline]))
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter(Boolean)
    .map((l) => `${l}\n`)
    .join('');
}

/** A stub domain's upstream: authoritative for its zone (its apex answers, other names NXDOMAIN). */
export function stubDnsmasqConf(listen: Backend, zone: string): string {
  return [`listen-address=${listen.address}`, `port=${listen.port}`, 'bind-interfaces', 'no-resolv', 'no-hosts', `local=/${zone}/`, `host-record=${zone},${listen.address}`, 'max-tcp-connections=1024', ...processLines(), ''].join('\n');
}

export function upstreamDnsmasqConf(listen: Backend, external: Record<string, string>): string {
  return [
    `listen-address=${listen.address}`,
    `port=${listen.port}`,
    'bind-interfaces',
    'no-resolv',
    'no-hosts',
    ...Object.entries(external).map(([name, ip]) => `host-record=${name},${ip}`),
    // Everything else: NXDOMAIN.
    'address=/#/',
    // Every CoreDNS pod forwards TCP questions over TCP: the default cap of 20 connections would make
    // external names fail over TCP in clusters with more than 20 replicas.
    'max-tcp-connections=1024',
    ...processLines(),
    '',
  ].join('\n');
}

/** kubeadm's Corefile's hash: what a CoreDNS started without a readable Corefile logs here. */
const DEFAULT_SHA512 = '591cf328cccc12bc490481273e738df59329c62c0b729d94e8b61db9961c2fa5f046dd37f1cf888b953814040d180f52594972691cd6ff41be96639138a43908';

const runningLine = (sha512: string) => `[INFO] plugin/reload: Running configuration SHA512 = ${sha512}`;

const COREDNS_BANNER = (blocks: ServerBlock[], sha512: string) => [
  ...blocks.map((b) => `${b.zones.map((z) => (z === '.' ? '.' : `${z}.`)).join(' ')}:${b.port}`),
  runningLine(sha512),
  'CoreDNS-1.11.3',
  'linux/amd64, go1.21.11, a6338e9',
];

export const LOOP_FATAL =
  '[FATAL] plugin/loop: Loop (127.0.0.1:59925 -> :53) detected for zone ".", see https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO 4547991504243258144.3688648895315093531."';

/** What the kubelet needs from a started container. */
export interface ContainerHandle {
  pid?: number;
  exited: Promise<Exit>;
  signal(sig: NodeJS.Signals): void;
}

export interface CoreDnsPod {
  name: string;
  namespace: string;
  ip: string;
  /** The ports its server blocks listen on (one pod network front each). */
  ports: number[];
  config: DnsServerConfig;
  /** HTTP probe endpoints of the pod's containers (health, ready, …) that the stand-in answers. */
  probes: { port: number; path: string }[];
}

/** Where the pod's dnsmasq listens behind its fronts: a port none of its server blocks uses. */
const backendPort = (pod: CoreDnsPod) => [10053, 10054, 10055].find((p) => !pod.ports.includes(p)) ?? 10056;

/** Streams a child's output into a log sink line by line. */
function pipeLines(stream: NodeJS.ReadableStream | null, log: (line: string) => void): void {
  let rest = '';
  stream?.on('data', (d: Buffer) => {
    const parts = (rest + d.toString()).split('\n');
    rest = parts.pop() ?? '';
    for (const p of parts) log(p);
  });
}

function listenHttp(address: string, port: number, paths: string[]): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const ok = paths.includes(req.url ?? '');
    res.writeHead(ok ? 200 : 404, { 'content-type': 'text/plain' }).end(ok ? 'OK' : '404 page not found\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => resolve(server));
  });
}

/** The CoreDNS side of the cluster: upstream, per-pod dnsmasq and fronts, and the records they serve. */
export class ClusterDns {
  private readonly live = new Map<string, { pod: CoreDnsPod; hostsFile: string }>(); // pod name → instance
  /** Per pod, the last Corefile hash its reload plugin saw (loaded or refused). */
  private readonly reloadSeen = new Map<string, string>();
  private readonly stubs = new Map<string, { listen: Backend; pid?: number; stop: () => Promise<void> }>(); // zone → its upstream
  private upstreamPid?: number;
  private upstreamStop?: () => Promise<void>;
  private unsubscribe?: () => void;
  private refreshPending = false;

  constructor(
    private readonly store: Store,
    private readonly o: { reverse6?: string; dir: string; domain: string; subnet: string; upstream: Backend; external: Record<string, string>; faults: FaultState },
  ) {}

  get upstreamProcess(): number | undefined {
    return this.upstreamPid;
  }

  /** The stub domains some running DNS server forwards, with their simulated upstreams. */
  stubDomains(): { zone: string; address: Backend; pid?: number }[] {
    return [...this.stubs].map(([zone, s]) => ({ zone, address: s.listen, ...(s.pid ? { pid: s.pid } : {}) }));
  }

  /** Starts (once) the upstream of a stub domain: 127.x.0.60 and up, same port as the main upstream. */
  private async stubUpstream(zone: string): Promise<Backend> {
    const known = this.stubs.get(zone);
    if (known) return known.listen;
    const listen = { address: `${this.o.subnet}.0.${60 + this.stubs.size}`, port: this.o.upstream.port };
    const entry: { listen: Backend; pid?: number; stop: () => Promise<void> } = { listen, stop: async () => undefined };
    this.stubs.set(zone, entry);
    const dir = join(this.o.dir, 'stubs', zone);
    mkdirSync(dir, { recursive: true });
    const conf = join(dir, 'dnsmasq.conf');
    writeFileSync(conf, stubDnsmasqConf(listen, zone));
    const { child, exited } = spawnContained(['dnsmasq', '--keep-in-foreground', `--conf-file=${conf}`, '--log-facility=-'], { env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' } });
    const lines: string[] = [];
    pipeLines(child.stderr, (l) => lines.push(l));
    entry.pid = child.pid;
    entry.stop = async () => {
      child.kill('SIGKILL');
      await exited;
    };
    await Promise.race([waitForLine(lines, 'started, version', 5000), exited]);
    return listen;
  }

  /** A forward target that is an address of the sim (a Service IP, e.g. NodeLocal DNSCache's kube-dns-upstream) is used as it is. */
  private inSim(target: string | undefined): Backend | undefined {
    const m = /^(?:dns:\/\/)?(\d+\.\d+\.\d+\.\d+)(?::(\d+))?$/.exec(target ?? '');
    if (!m || !m[1]!.startsWith(`${this.o.subnet}.`)) return undefined;
    return { address: m[1]!, port: m[2] ? Number(m[2]) : this.o.upstream.port };
  }

  /** stub-down: the stub domain's upstream stops answering (SIGSTOP), other zones keep working. */
  pauseStub(zone: string, pause: boolean): void {
    const s = this.stubs.get(zone.replace(/\.$/, '').toLowerCase());
    if (!s?.pid) throw new Error(`no stub domain "${zone}" is forwarded by a running DNS server; stub domains: ${[...this.stubs.keys()].join(', ') || 'none'}`);
    process.kill(s.pid, pause ? 'SIGSTOP' : 'SIGCONT');
  }

  async start(): Promise<void> {
    const dir = join(this.o.dir, 'upstream');
    mkdirSync(dir, { recursive: true });
    const conf = join(dir, 'dnsmasq.conf');
    writeFileSync(conf, upstreamDnsmasqConf(this.o.upstream, this.o.external));
    const { child, exited } = spawnContained(['dnsmasq', '--keep-in-foreground', `--conf-file=${conf}`, '--log-facility=-'], { env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' } });
    const lines: string[] = [];
    pipeLines(child.stderr, (l) => lines.push(l));
    const started = await Promise.race([waitForLine(lines, 'started, version', 5000), exited.then(() => false)]);
    if (!started) throw new Error(`the simulated upstream dnsmasq did not start on ${this.o.upstream.address}:${this.o.upstream.port}: ${lines.join(' | ')}`);
    this.upstreamPid = child.pid;
    this.upstreamStop = async () => {
      child.kill('SIGKILL');
      await exited;
    };
    this.unsubscribe = this.store.subscribe((ev) => {
      if (ev.resource === 'services' || ev.resource === 'endpointslices.discovery.k8s.io') this.scheduleRefresh();
    });
  }

  private records(): [string, string][] {
    return serviceARecords(this.store.list('services'), this.store.list('endpointslices.discovery.k8s.io'), this.o.domain);
  }

  private scheduleRefresh(): void {
    if (this.refreshPending) return;
    this.refreshPending = true;
    setImmediate(() => {
      this.refreshPending = false;
      const records = this.records();
      for (const name of this.live.keys()) if (!this.o.faults.staleWatch.has(name)) this.writeHosts(name, records);
    });
  }

  private writeHosts(podName: string, records = this.records()): void {
    const inst = this.live.get(podName);
    if (!inst) return;
    const k8s = kubernetesZones(inst.pod.config.blocks);
    if (!k8s.includes(this.o.domain) && !k8s.includes('.')) records = [];
    // Atomic replace: dnsmasq's inotify sees one complete file (IN_MOVED_TO), never a half-written one.
    const tmp = join(inst.hostsFile, '..', '.services.tmp');
    writeFileSync(tmp, hostsText(records, this.o.faults.wrongRecords.get(podName)), { mode: 0o644 });
    renameSync(tmp, inst.hostsFile);
  }

  /** Re-renders one pod's records (after a wrongRecord fault or its removal). */
  refresh(podName: string): void {
    this.writeHosts(podName);
  }

  /** The pod network front on podIP:<dns port>: relays to the pod's dnsmasq; network faults apply here. */
  openFront(pod: CoreDnsPod, port: number, log: (line: string) => void, address = pod.ip): Promise<RelayPair> {
    const backend = { address: pod.ip, port: backendPort(pod) };
    const f = this.o.faults;
    const slow = () => f.slowMs.get(pod.name) ?? 0;
    // drop-family: the pod network loses one address family (its fronts of that family answer nothing).
    const family = address.includes(':') ? 'ipv6' : 'ipv4';
    const dropped = () => f.droppedFamilies.has(family) || f.droppedPodFamilies.has(`${pod.name}/${family}`);
    return openRelayPair(
      {
        listen: { address, port },
        route: () => backend,
        inbound: (msg) => {
          if (f.dropUdp.has(pod.name) || dropped()) return false;
          if (f.upstreamDown) this.noteUpstreamTimeout(pod, msg, log);
          return true;
        },
        replyDelayMs: slow,
        flowIdleMs: 3000,
      },
      { listen: { address, port }, route: () => (dropped() ? undefined : backend), replyDelayMs: slow, dnsConcurrent: true },
    );
  }

  /** CoreDNS's errors plugin logs a forward i/o timeout about 2 s after an external question goes unanswered. */
  private noteUpstreamTimeout(pod: CoreDnsPod, msg: Buffer, log: (line: string) => void): void {
    let q: { name: string; type: string } | undefined;
    try {
      q = dnsPacket.decode(msg).questions?.[0];
    } catch {
      return;
    }
    if (!q) return;
    const name = q.name.toLowerCase();
    if (name === this.o.domain || name.endsWith(`.${this.o.domain}`) || name.endsWith(reverseZone(this.o.subnet))) return;
    setTimeout(() => {
      if (this.o.faults.upstreamDown)
        log(`[ERROR] plugin/errors: 2 ${name}. ${q.type}: read udp ${pod.ip}:${randomInt(32768, 60999)}->${this.o.upstream.address}:${this.o.upstream.port}: i/o timeout`);
    }, 2000).unref();
  }

  /**
   * Starts one CoreDNS container: dnsmasq on podIP:<backend port> plus /health (8080) and /ready (8181).
   * SRV records are fixed at container start (dnsmasq reloads only its hosts directory); A/PTR follow
   * Service changes live.
   */
  async startCoreDns(pod: CoreDnsPod, log: (line: string) => void): Promise<ContainerHandle> {
    const corefile = pod.config.corefile;
    // A Corefile CoreDNS cannot load: it prints the error and exits 1, so the kubelet crash-loops it.
    const loadError = corefile && corefileLoadError(corefile.text, corefile.path, pod.config.files);
    if (loadError) {
      log(loadError);
      return { exited: new Promise((r) => setTimeout(() => r({ code: 1, signal: null }), 10)), signal: () => undefined };
    }
    const sha512 = (corefile && corefileSha512(corefile.text, corefile.path, pod.config.files)) ?? DEFAULT_SHA512;
    this.reloadSeen.set(pod.name, sha512);
    for (const l of COREDNS_BANNER(pod.config.blocks, sha512)) log(l);
    if (this.o.faults.crashLoop.has(pod.name)) {
      log(LOOP_FATAL);
      return { exited: new Promise((r) => setTimeout(() => r({ code: 1, signal: null }), 10)), signal: () => undefined };
    }
    const dir = join(this.o.dir, 'coredns', pod.name);
    const hostsDir = join(dir, 'hosts');
    mkdirSync(hostsDir, { recursive: true });
    this.live.set(pod.name, { pod, hostsFile: join(hostsDir, 'services') });
    this.writeHosts(pod.name);
    writeFileSync(join(hostsDir, 'hosts-plugin'), hostsPluginText(pod.config), { mode: 0o644 });
    const conf = join(dir, 'dnsmasq.conf');
    const listen = { address: pod.ip, port: backendPort(pod) };
    const stubs = new Map<string, Backend>();
    for (const { zone, to } of stubZones(pod.config.blocks)) stubs.set(zone, this.inSim(to[0]) ?? (await this.stubUpstream(zone)));
    writeFileSync(
      conf,
      podDnsmasqConf({ ...(this.o.reverse6 ? { reverse6: this.o.reverse6 } : {}), listen, hostsDir, domain: this.o.domain, subnet: this.o.subnet, upstream: this.o.upstream, stubs, srv: serviceSrvLines(this.store.list('services'), this.o.domain), config: pod.config }),
    );
    const { child, exited } = spawnContained(['dnsmasq', '--keep-in-foreground', `--conf-file=${conf}`, '--log-facility=-'], { env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' } });
    const lines: string[] = [];
    pipeLines(child.stderr, (l) => (lines.push(l), log(l)));
    pipeLines(child.stdout, log);
    const servers: http.Server[] = [];
    const forget = () => {
      for (const s of servers) s.close();
      servers.length = 0;
      if (this.live.get(pod.name)?.pod === pod) this.live.delete(pod.name);
    };
    void exited.then(forget);
    const up = await Promise.race([waitForLine(lines, 'started, version', 5000), exited.then(() => false)]);
    if (up) {
      try {
        for (const port of [...new Set(pod.probes.map((p) => p.port))])
          servers.push(await listenHttp(pod.ip, port, pod.probes.filter((p) => p.port === port).map((p) => p.path)));
      } catch (err) {
        log(`[ERROR] health/ready listeners: ${(err as Error).message}`);
        child.kill('SIGKILL');
      }
    }
    return { pid: child.pid, exited, signal: (sig) => child.kill(sig) };
  }

  /**
   * The reload plugin's check of a running pod against its Corefile now (coredns plugin/reload): a
   * Corefile that does not parse is warned about at every check; a changed one is loaded, or refused
   * with CoreDNS's error while the old configuration keeps running — and the same file is not tried
   * again. A reloaded Corefile is logged as running; dnsmasq keeps serving the zones it started with.
   */
  reloadCorefile(pod: CoreDnsPod, next: DnsServerConfig, log: (line: string) => void): void {
    const running = pod.config.corefile;
    if (!running || !next.corefile || !/^\s*reload(\s|$)/m.test(running.text) || !this.live.has(pod.name)) return;
    const { path, text } = next.corefile;
    const parseError = corefileParseError(text, path, next.files);
    if (parseError) return log(`[WARNING] plugin/reload: Corefile parse failed: ${parseError}`);
    const sha512 = corefileSha512(text, path, next.files)!;
    if (sha512 === this.reloadSeen.get(pod.name)) return;
    this.reloadSeen.set(pod.name, sha512);
    const loadError = corefileLoadError(text, path, next.files);
    if (loadError) {
      log(`[ERROR] Restart failed: ${loadError}`);
      return log(`[ERROR] plugin/reload: Corefile changed but reload failed: starting with listener file descriptors: ${loadError}`);
    }
    log('[INFO] Reloading');
    log(runningLine(sha512));
    log('[INFO] Reloading complete');
    pod.config = { ...pod.config, corefile: next.corefile };
  }

  /** Pod gone: its records directory goes too. */
  forget(podName: string): void {
    this.live.delete(podName);
    this.reloadSeen.delete(podName);
    // Faults belong to a pod instance: a StatefulSet's replacement of the same name starts clean.
    const f = this.o.faults;
    for (const set of [f.hung, f.dropUdp, f.crashLoop, f.staleWatch]) set.delete(podName);
    f.slowMs.delete(podName);
    f.wrongRecords.delete(podName);
    rmSync(join(this.o.dir, 'coredns', podName), { recursive: true, force: true });
  }

  pauseUpstream(): void {
    if (this.upstreamPid) process.kill(this.upstreamPid, 'SIGSTOP');
  }

  resumeUpstream(): void {
    if (this.upstreamPid) process.kill(this.upstreamPid, 'SIGCONT');
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    for (const s of this.stubs.values()) {
      if (s.pid) process.kill(s.pid, 'SIGCONT');
      await s.stop();
    }
    await this.upstreamStop?.();
  }
}

/** Polls collected output for a line (dnsmasq says "started" once its sockets are bound). */
async function waitForLine(lines: string[], needle: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (lines.some((l) => l.includes(needle))) return true;
    await new Promise((r) => setTimeout(r, 5));
  }
  return false;
}
