// The sim's kubelet, for every node at once: runs scheduled pods as local processes (CoreDNS images as
// dnsmasq), keeps their status like the real kubelet (phases, container states, restarts with
// CrashLoopBackOff, HTTP liveness/readiness probes, activeDeadlineSeconds, graceful deletion), and
// serves exec and logs to the API server (NodeRuntime).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { ChildProcess } from 'node:child_process';
import type { KObject, Store } from './store.ts';
import { SimError } from './status.ts';
import type { ExecProcess, ExecRequest, NodeRuntime } from './types.ts';
import { ImagePuller, type PullTiming } from './pulls.ts';
import { containerArgv, imageId, imageKind, imageLayout, imageRepository, localArgv, spawnContained, type Exit, type ImageKind, type ImageLayout } from './images.ts';
import type { ClusterDns, ContainerHandle, CoreDnsPod, DnsServerConfig } from './dns.ts';
import { blockPorts, kubeDnsBlocks, parseCorefile } from './corefile.ts';
import type { Ipv6Addresses } from './network6.ts';
import { AddressPool, closeRelayPair, type RelayPair } from './network.ts';
import type { FaultState } from './faults.ts';
import { clientSocketInodes, holdsSocket, type SocketEnd } from './sockets.ts';
import { SERVICEACCOUNT_DIR, type Runc, type SecurityContext } from './runc.ts';

interface HttpGetProbe {
  httpGet?: { path?: string; port: number | string };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

interface ContainerSpec {
  name: string;
  image: string;
  imagePullPolicy?: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  livenessProbe?: HttpGetProbe;
  readinessProbe?: HttpGetProbe;
  securityContext?: SecurityContext;
  resources?: { limits?: { memory?: string } };
  volumeMounts?: { name: string; mountPath: string; subPath?: string }[];
}

interface DownwardApiVolume {
  defaultMode?: number;
  items?: { path: string; mode?: number; fieldRef?: { fieldPath: string } }[];
}

interface PodSpec {
  nodeName?: string;
  containers: ContainerSpec[];
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  activeDeadlineSeconds?: number;
  terminationGracePeriodSeconds?: number;
  hostNetwork?: boolean;
  dnsPolicy?: string;
  securityContext?: SecurityContext;
  volumes?: { name: string; emptyDir?: { sizeLimit?: string }; downwardAPI?: DownwardApiVolume }[];
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
}

type Terminated = { exitCode: number; signal?: number; reason: string; message?: string; startedAt?: string; finishedAt: string; containerID?: string };
type ContainerState = { running: { startedAt: string } } | { waiting: { reason: string; message?: string } } | { terminated: Terminated };

const LOG_CAP = 1 << 20;
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const SIGNUM: Partial<Record<NodeJS.Signals, number>> = { SIGKILL: 9, SIGTERM: 15, SIGINT: 2 };

/** The floor of a scaled readiness/liveness timeout. */
const MIN_PROBE_TIMEOUT_MS = 500;

/** Runs a probe periodically and reports when its verdict flips, with the kubelet's thresholds. */
class ProbeLoop {
  private timer?: NodeJS.Timeout;
  private streak = 0;
  private stopped = false;

  constructor(
    private readonly probe: HttpGetProbe,
    private readonly ip: string,
    private readonly sourceIp: string,
    private readonly scale: number,
    private healthy: boolean,
    private readonly onFlip: (healthy: boolean) => void,
  ) {
    this.timer = setTimeout(() => this.tick(), (probe.initialDelaySeconds ?? 0) * 1000 * scale);
  }

  private async tick(): Promise<void> {
    const ok = await this.check();
    if (this.stopped) return;
    const need = ok ? (this.probe.successThreshold ?? 1) : (this.probe.failureThreshold ?? 3);
    if (ok === this.healthy) this.streak = 0;
    else if (++this.streak >= need) {
      this.healthy = ok;
      this.streak = 0;
      this.onFlip(ok);
    }
    if (!this.stopped) this.timer = setTimeout(() => this.tick(), (this.probe.periodSeconds ?? 10) * 1000 * this.scale);
  }

  private check(): Promise<boolean> {
    const get = this.probe.httpGet;
    if (!get || typeof get.port !== 'number') return Promise.resolve(true);
    // The time scale shortens periods, not the answer time a loaded machine needs: at scale 0.1 a 100 ms
    // timeout failed healthy pods' readiness whenever the machine was busy (sims never got Ready).
    const timeoutMs = Math.max((this.probe.timeoutSeconds ?? 1) * 1000 * this.scale, MIN_PROBE_TIMEOUT_MS);
    return new Promise((resolve) => {
      const req = http.get({ host: this.ip, port: get.port, path: get.path ?? '/', localAddress: this.sourceIp, timeout: timeoutMs, agent: false }, (res) => {
        res.resume();
        resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
    });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}

class Container {
  handle?: ContainerHandle;
  state: ContainerState = { waiting: { reason: 'ContainerCreating' } };
  lastState?: Terminated;
  restartCount = 0;
  ready = false;
  everStarted = false;
  containerID?: string;
  startedAt?: string;
  log = '';
  previousLog?: string;
  backoffStep = 0;
  probes: ProbeLoop[] = [];
  /** The running process has a mount namespace of its own (its resolv.conf): execs join it. */
  mountNamespace = false;
  timer?: NodeJS.Timeout;
  readonly kind: ImageKind;
  /** The image's config and programs, for images that run node. */
  readonly layout?: ImageLayout;
  /** Running under runc: its container id and user. */
  runc?: { id: string; uid: number; gid: number; killed: boolean };

  constructor(readonly spec: ContainerSpec) {
    this.kind = imageKind(spec.image);
    this.layout = imageLayout(spec.image);
  }

  append(line: string): void {
    this.log += line.endsWith('\n') ? line : `${line}\n`;
    if (this.log.length > LOG_CAP) this.log = this.log.slice(this.log.length - LOG_CAP / 2);
  }

  get running(): boolean {
    return 'running' in this.state;
  }

  stopProbes(): void {
    for (const p of this.probes) p.stop();
    this.probes = [];
  }
}

interface PodWorker {
  namespace: string;
  name: string;
  uid: string;
  node: string;
  hostIP: string;
  ip?: string;
  /** The pod's IPv6 address in a dual-stack sim. */
  ip6?: string;
  spec: PodSpec;
  containers: Container[];
  execs: Set<ChildProcess>;
  fronts: RelayPair[];
  /** The DNS server container's configuration and addresses, while the pod has a sandbox. */
  dnsPod?: CoreDnsPod;
  /** A reload check of its Corefile is scheduled (checkReload). */
  reloadPending?: boolean;
  startTime?: string;
  /** Set once the pod is ending (deletion or deadline): no more restarts. */
  stopping: boolean;
  /** Set once the object's deletion is being finished. */
  removing: boolean;
  failure?: { reason: string; message: string };
  /** The pod's sandbox cannot be (re)created (the cni-fail fault): containers wait in ContainerCreating. */
  sandboxDown: boolean;
  sandboxEvent?: string;
  timers: Set<NodeJS.Timeout>;
  statusPending: boolean;
  done: boolean;
  /** Where the pod's downwardAPI volumes were written, by volume name. */
  volumeDirs: Map<string, string>;
  /** Where its ServiceAccount volume (token, ca.crt, namespace) was written, when it has one. */
  serviceAccountDir?: string;
}

export interface KubeletOptions {
  store: Store;
  dns: ClusterDns;
  faults: FaultState;
  subnet: string;
  scale: number;
  podStartMs: number;
  /** Where per-pod files (resolv.conf) live. */
  dir: string;
  /** IPv6 addresses for pods (dual-stack sims). */
  ipv6?: Ipv6Addresses;
  /** The kubelet's --cluster-dns and --cluster-domain: what ClusterFirst pods get in /etc/resolv.conf. */
  clusterDns: { ip: string; domain: string };
  /** Runs containers of the images `make images` built under runc; without it, every container is a host process. */
  runc?: Runc;
  /** How long image pulls take (test/sim/pulls.ts). */
  pulls?: PullTiming;
  /** The API server once it listens: the address pods are given as KUBERNETES_SERVICE_HOST/PORT, its CA, ServiceAccount tokens. */
  apiServer?: () => ApiServerForPods | undefined;
}

export interface ApiServerForPods {
  host: string;
  port: string;
  caPath: string;
  serviceAccountToken(namespace: string, name: string): string;
}

/**
 * $(VAR) in a container's command and args, as the kubelet expands them from the container's
 * environment: an undefined variable stays as written, and $$ is a literal $.
 */
export function expandVariables(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => (match === '$$' ? '$' : name !== undefined && name in env ? env[name]! : match));
}

const podKey = (ns: string | undefined, name: string | undefined) => `${ns ?? ''}/${name ?? ''}`;

/** How soon after a ConfigMap change a CoreDNS pod's reload plugin reads its Corefile again. */
const RELOAD_CHECK_MS = 1000;

/**
 * An exec the runtime could not start (`why`, runc's words): the session opens, then ends with the
 * runtime's error (an InternalError status).
 */
function execFailed(why: string): ExecProcess {
  const message = `failed to exec in container: failed to start exec "${randomBytes(32).toString('hex')}": OCI runtime exec failed: exec failed: unable to start container process: ${why}: unknown`;
  const empty = () => new PassThrough().end();
  const exited = Promise.reject(new Error(message));
  exited.catch(() => undefined); // read only once the session is upgraded
  return { stdout: empty(), stderr: empty(), exited, kill: () => undefined };
}

/** A started exec as the session streams it; the pod's worker tracks the process until it exits. */
function execStarted(w: PodWorker, child: ChildProcess, exited: Promise<Exit>, stdin: boolean | undefined): ExecProcess {
  w.execs.add(child);
  void exited.then(() => w.execs.delete(child));
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  child.stdout?.pipe(stdout);
  child.stderr?.pipe(stderr);
  return { stdout, stderr, ...(stdin && child.stdin ? { stdin: child.stdin } : {}), exited, kill: (sig) => child.kill(sig ?? 'SIGKILL') };
}

export class Kubelet implements NodeRuntime {
  private readonly workers = new Map<string, PodWorker>();
  private readonly queued = new Set<string>();
  private readonly pool: AddressPool;
  private unsubscribe?: () => void;
  private stopped = false;
  /** Every container started under runc (Sim.runcContainers). */
  readonly runcContainers: { namespace: string; pod: string; container: string; image: string }[] = [];

  private readonly puller: ImagePuller;

  constructor(private readonly o: KubeletOptions) {
    this.pool = new AddressPool(o.subnet, 2, 254);
    this.puller = new ImagePuller(o.store, o.faults, o.pulls);
  }

  start(): void {
    this.unsubscribe = this.o.store.subscribe((ev) => {
      if (ev.resource === 'pods') this.enqueue(podKey(ev.object.metadata.namespace, ev.object.metadata.name));
      if (ev.resource === 'configmaps') for (const w of this.workers.values()) if (w.dnsPod && w.namespace === ev.object.metadata.namespace) this.checkReload(w);
    });
    for (const p of this.o.store.list('pods')) this.enqueue(podKey(p.metadata.namespace, p.metadata.name));
  }

  private enqueue(key: string): void {
    if (this.queued.has(key) || this.stopped) return;
    this.queued.add(key);
    setImmediate(() => {
      this.queued.delete(key);
      if (!this.stopped) this.reconcile(key);
    });
  }

  private reconcile(key: string): void {
    const [ns, name] = key.split('/') as [string, string];
    const pod = this.o.store.get('pods', ns, name);
    let w = this.workers.get(key);
    if (w && (!pod || pod.metadata.uid !== w.uid)) {
      void this.destroy(w);
      w = undefined;
    }
    if (!pod) return;
    const spec = pod.spec as PodSpec;
    if (!spec.nodeName) return;
    if (!w) {
      const phase = (pod.status as { phase?: string } | undefined)?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') return;
      w = this.createWorker(pod);
    }
    if (pod.metadata.deletionTimestamp && !w.removing) void this.terminate(w, pod.metadata.deletionGracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30, true);
  }

  private nodeIp(node: string): string {
    const n = this.o.store.get('nodes', undefined, node);
    const addr = (n?.status as { addresses?: { type: string; address: string }[] } | undefined)?.addresses?.find((a) => a.type === 'InternalIP');
    return addr?.address ?? `${this.o.subnet}.0.10`;
  }

  private createWorker(pod: KObject): PodWorker {
    const spec = pod.spec as PodSpec;
    const w: PodWorker = {
      namespace: pod.metadata.namespace ?? 'default',
      name: pod.metadata.name ?? '',
      uid: pod.metadata.uid ?? '',
      node: spec.nodeName ?? '',
      hostIP: this.nodeIp(spec.nodeName ?? ''),
      spec,
      containers: spec.containers.map((c) => new Container(c)),
      execs: new Set(),
      fronts: [],
      stopping: false,
      removing: false,
      timers: new Set(),
      statusPending: false,
      done: false,
      sandboxDown: false,
      volumeDirs: new Map(),
    };
    this.workers.set(podKey(w.namespace, w.name), w);
    this.later(w, this.o.podStartMs, () => this.track(this.startPod(w)));
    this.writeStatus(w);
    return w;
  }

  /**
   * A ConfigMap changed: the kubelet updates the pod's volume and CoreDNS's reload plugin reads the
   * Corefile at its next check (every 30 s ± 15 s in CoreDNS; RELOAD_CHECK_MS here).
   */
  private checkReload(w: PodWorker): void {
    if (w.reloadPending) return;
    w.reloadPending = true;
    this.later(w, RELOAD_CHECK_MS, () => {
      w.reloadPending = false;
      const c = w.containers.find((x) => x.kind === 'coredns');
      if (c?.running && w.dnsPod) this.o.dns.reloadCorefile(w.dnsPod, this.dnsConfigOf(w, c.spec), (l) => c.append(l));
    });
  }

  private later(w: PodWorker, ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      w.timers.delete(t);
      if (!w.done) fn();
    }, ms);
    w.timers.add(t);
    return t;
  }

  private cniBroken(w: PodWorker): boolean {
    const f = this.o.faults.cniFail;
    return !w.spec.hostNetwork && (f.has(w.node) || f.has(podKey(w.namespace, w.name)));
  }

  /** The kubelet's FailedCreatePodSandBox Warning, one Event per pod with a growing count, and a retry. */
  private sandboxFailed(w: PodWorker): void {
    w.sandboxDown = true;
    const sandbox = randomBytes(32).toString('hex');
    const message = `Failed to create pod sandbox: rpc error: code = Unknown desc = failed to set up sandbox container "${sandbox}" network for pod "${w.name}": networkPlugin cni failed to set up pod "${w.name}_${w.namespace}" network: plugin type="bridge" failed (add): failed to allocate for range 0: no IP addresses available in range set`;
    const ts = now();
    const existing = w.sandboxEvent ? this.o.store.get('events', w.namespace, w.sandboxEvent) : undefined;
    if (existing)
      this.o.store.mutate('events', w.namespace, w.sandboxEvent!, (e) => Object.assign(e, { message, count: ((e.count as number) ?? 1) + 1, lastTimestamp: ts }));
    else {
      w.sandboxEvent = `${w.name}.${randomBytes(8).toString('hex')}`;
      this.o.store.create('events', {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: w.sandboxEvent, namespace: w.namespace },
        involvedObject: { apiVersion: 'v1', kind: 'Pod', name: w.name, namespace: w.namespace, uid: w.uid },
        reason: 'FailedCreatePodSandBox',
        message,
        type: 'Warning',
        source: { component: 'kubelet', host: w.node },
        reportingComponent: 'kubelet',
        reportingInstance: w.node,
        firstTimestamp: ts,
        lastTimestamp: ts,
        count: 1,
      });
    }
    this.writeStatus(w);
    this.later(w, Math.max(200, 2000 * this.o.scale), () => this.track(this.startPod(w)));
  }

  /** cni-fail on a running pod: its sandbox is lost and cannot be recreated; the pod goes back to ContainerCreating. */
  loseSandbox(namespace: string, name: string): void {
    const w = this.workers.get(podKey(namespace, name));
    if (!w || w.stopping || w.sandboxDown || !w.ip) return;
    w.sandboxDown = true;
    for (const c of w.containers) {
      clearTimeout(c.timer);
      c.stopProbes();
      c.ready = false;
      c.handle?.signal('SIGKILL');
      c.state = { waiting: { reason: 'ContainerCreating' } };
    }
    for (const f of w.fronts) void closeRelayPair(f);
    w.fronts = [];
    if (w.containers.some((c) => c.kind === 'coredns')) this.o.dns.forget(w.name);
    w.ip = undefined;
    w.ip6 = undefined;
    this.sandboxFailed(w);
  }

  private async startPod(w: PodWorker): Promise<void> {
    if (w.stopping) return;
    if (this.cniBroken(w)) return this.sandboxFailed(w);
    w.sandboxDown = false;
    w.ip = w.spec.hostNetwork ? w.hostIP : this.pool.allocate();
    if (this.o.ipv6 && !w.spec.hostNetwork) w.ip6 = this.o.ipv6.add(2);
    w.startTime ??= now();
    if (w.spec.activeDeadlineSeconds !== undefined)
      this.later(w, w.spec.activeDeadlineSeconds * 1000, () => {
        if (w.stopping) return;
        w.failure = { reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' };
        void this.terminate(w, w.spec.terminationGracePeriodSeconds ?? 30, false);
      });
    const dnsContainer = w.containers.find((c) => c.kind === 'coredns');
    if (dnsContainer) {
      const config = this.dnsConfigOf(w, dnsContainer.spec);
      const dnsPod: CoreDnsPod = { name: w.name, namespace: w.namespace, ip: w.ip, ports: blockPorts(config.blocks), config, probes: this.httpProbes(w) };
      w.dnsPod = dnsPod;
      for (const port of dnsPod.ports)
        try {
          for (const address of [w.ip, ...(w.ip6 ? [w.ip6] : [])]) {
            const front = await this.o.dns.openFront(dnsPod, port, (l) => dnsContainer.append(l), address);
            if (w.stopping || w.sandboxDown) return void closeRelayPair(front);
            w.fronts.push(front);
          }
        } catch (err) {
          dnsContainer.append(`[ERROR] pod network: cannot listen on ${w.ip}:${port}: ${(err as Error).message}`);
        }
    }
    w.volumeDirs = this.writeDownwardApiVolumes(w);
    w.serviceAccountDir = this.writeServiceAccountVolume(w);
    for (const c of w.containers) this.track(this.startContainer(w, c));
    this.writeStatus(w);
  }

  /**
   * The pod's downwardAPI volumes, written as the kubelet does before the containers start: a file per
   * item (mode 0644 unless set), a label or annotation the pod lacks as an empty file, a whole map as
   * sorted `key="value"` lines. Under the sim's directory; see inContainer for how a container finds them.
   */
  private writeDownwardApiVolumes(w: PodWorker): Map<string, string> {
    const dirs = new Map<string, string>();
    const meta = this.o.store.get('pods', w.namespace, w.name)?.metadata;
    if (!meta) return dirs;
    const formatMap = (m: Record<string, string> = {}) => Object.keys(m).sort().map((k) => `${k}=${JSON.stringify(m[k])}`).join('\n');
    const value = (fieldPath: string): string => {
      const one = /^metadata\.(labels|annotations)\['([^']+)'\]$/.exec(fieldPath);
      if (one) return (one[1] === 'labels' ? meta.labels : meta.annotations)?.[one[2]!] ?? '';
      return { 'metadata.name': w.name, 'metadata.namespace': w.namespace, 'metadata.uid': w.uid, 'metadata.labels': formatMap(meta.labels), 'metadata.annotations': formatMap(meta.annotations) }[fieldPath] ?? '';
    };
    for (const v of w.spec.volumes ?? []) {
      if (!v.downwardAPI) continue;
      const dir = join(this.o.dir, 'pods', w.uid, 'volumes', v.name);
      for (const item of v.downwardAPI.items ?? []) {
        const file = join(dir, item.path);
        mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
        writeFileSync(file, item.fieldRef ? value(item.fieldRef.fieldPath) : '', { mode: item.mode ?? v.downwardAPI.defaultMode ?? 0o644 });
      }
      dirs.set(v.name, dir);
    }
    return dirs;
  }

  /**
   * The volume the ServiceAccount admission plugin adds to every pod that does not opt out
   * (kube-api-access-…: a projected token of the pod's ServiceAccount, the cluster CA as ca.crt, the
   * namespace), written as the kubelet does before the containers start. Under runc only: a host
   * process cannot be shown it at its path (test/sim/incluster.ts does that for the tests that need it).
   */
  private writeServiceAccountVolume(w: PodWorker): string | undefined {
    const api = this.o.apiServer?.();
    if (!api || w.spec.automountServiceAccountToken === false || !w.containers.some((c) => this.o.runc?.has(c.spec.image))) return undefined;
    const account = w.spec.serviceAccountName ?? 'default';
    if (this.o.store.get('serviceaccounts', w.namespace, account)?.automountServiceAccountToken === false) return undefined;
    const dir = join(this.o.dir, 'pods', w.uid, 'volumes', 'kube-api-access');
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    writeFileSync(join(dir, 'token'), api.serviceAccountToken(w.namespace, account), { mode: 0o644 });
    writeFileSync(join(dir, 'ca.crt'), readFileSync(api.caPath), { mode: 0o644 });
    writeFileSync(join(dir, 'namespace'), w.namespace, { mode: 0o644 });
    return dir;
  }

  /** The container's command and args with $(VAR) expanded from its environment. */
  private expandedArgv(w: PodWorker, spec: ContainerSpec): { command?: string[]; args?: string[] } {
    const env = this.containerEnv(w, spec);
    const expand = (list?: string[]) => list?.map((v) => expandVariables(v, env));
    return { ...(spec.command ? { command: expand(spec.command) } : {}), ...(spec.args ? { args: expand(spec.args) } : {}) };
  }

  /**
   * The argv of a container or an exec as the sim runs it (its programs already mapped to local ones by
   * images.ts): paths under the container's downwardAPI mounts mapped to where the volumes were written.
   */
  private inContainer(w: PodWorker, c: ContainerSpec, argv: string[]): string[] {
    const mounts = (c.volumeMounts ?? []).flatMap((m) => {
      const dir = w.volumeDirs.get(m.name);
      return dir && !m.subPath ? [[m.mountPath.replace(/\/$/, ''), dir] as const] : [];
    });
    return argv.map((a) => {
      const mount = mounts.find(([at]) => a === at || a.startsWith(`${at}/`));
      return mount ? mount[1] + a.slice(mount[0].length) : a;
    });
  }

  /** Container starts in flight: stop() waits for them so nothing they spawn escapes. */
  private readonly inflight = new Set<Promise<void>>();
  private track(p: Promise<void>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }


  private async startContainer(w: PodWorker, c: Container): Promise<void> {
    if (w.stopping || w.done || w.sandboxDown) return;
    // An image the sim can run (a stand-in, or one `make images` built for runc) is one its registry has.
    const playable = c.kind !== 'other' || !!this.o.runc?.has(c.spec.image);
    const pullFailed = await this.puller.pull(w, c.spec.image, c.kind, playable, c.spec.imagePullPolicy, () => !w.stopping && !w.done);
    if (pullFailed) return this.pullFailed(w, c, pullFailed);
    if (w.stopping || w.done || w.sandboxDown) return;
    if (c.everStarted) {
      c.restartCount++;
      c.previousLog = c.log;
      c.log = '';
    }
    c.everStarted = true;
    c.containerID = `containerd://${randomBytes(32).toString('hex')}`;
    c.startedAt = now();
    let handle: ContainerHandle;
    if (c.kind === 'coredns' && w.dnsPod) {
      // A restarted container reads the Corefile its volume holds now (fixed, or broken, since the pod started).
      const current = this.dnsConfigOf(w, c.spec);
      if (current.corefile?.text !== w.dnsPod.config.corefile?.text) w.dnsPod.config = current;
      handle = await this.o.dns.startCoreDns(w.dnsPod, (l) => c.append(l));
    } else if (c.kind === 'aux') {
      // A sidecar (kube-dns, its sidecar, kube-rbac-proxy): a process that runs; the DNS work is the server container's.
      const { child, exited } = spawnContained(['sleep', 'infinity'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
      c.append(`I${new Date().toISOString()} sim: ${imageRepository(c.spec.image)} stand-in started`);
      handle = { pid: child.pid, exited, signal: (sig) => child.kill(sig) };
    } else if (this.o.runc?.has(c.spec.image)) {
      const started = await this.startRunc(w, c, this.o.runc);
      if ('reason' in started) return this.startFailed(w, c, started.message, started.reason);
      handle = started;
    } else {
      const { command, args } = this.expandedArgv(w, c.spec);
      const argv = c.layout ? localArgv(c.layout, containerArgv(c.layout, command, args)) : 'no such image';
      if (typeof argv === 'string') return this.startFailed(w, c, argv);
      const sc = { ...w.spec.securityContext, ...c.spec.securityContext };
      const { child, exited } = spawnContained(this.inContainer(w, c.spec, argv), {
        env: this.containerEnv(w, c.spec),
        uid: sc.runAsUser,
        gid: sc.runAsGroup,
        noNetwork: this.o.faults.nodesWithoutNetwork.has(w.node),
        resolvConf: this.resolvConf(w),
      });
      child.stdout?.on('data', (d: Buffer) => c.append(d.toString()));
      child.stderr?.on('data', (d: Buffer) => c.append(d.toString()));
      handle = { pid: child.pid, exited, signal: (sig) => child.kill(sig) };
      c.mountNamespace = !!this.resolvConf(w) && process.getuid?.() === 0;
    }
    if (w.done) {
      handle.signal('SIGKILL');
      return void (await handle.exited);
    }
    c.handle = handle;
    c.state = { running: { startedAt: c.startedAt } };
    c.ready = !c.spec.readinessProbe;
    if (w.stopping) handle.signal('SIGKILL');
    else this.startProbes(w, c);
    const startedMs = Date.now();
    void handle.exited.then((exit) => this.containerExited(w, c, handle, exit, Date.now() - startedMs));
    this.writeStatus(w);
  }

  private startProbes(w: PodWorker, c: Container): void {
    const ip = w.ip ?? '';
    // Named probe ports resolve against the container's ports, as the kubelet does.
    const numeric = (p: HttpGetProbe): HttpGetProbe => {
      const port = p.httpGet?.port;
      if (!p.httpGet || typeof port === 'number') return p;
      return { ...p, httpGet: { ...p.httpGet, port: c.spec.ports?.find((x) => x.name === port)?.containerPort ?? Number(port) } };
    };
    const readinessProbe = c.spec.readinessProbe && numeric(c.spec.readinessProbe);
    const livenessProbe = c.spec.livenessProbe && numeric(c.spec.livenessProbe);
    if (readinessProbe)
      c.probes.push(
        new ProbeLoop(readinessProbe, ip, w.hostIP, this.o.scale, false, (ok) => {
          c.ready = ok && c.running;
          this.writeStatus(w);
        }),
      );
    if (livenessProbe)
      c.probes.push(
        new ProbeLoop(livenessProbe, ip, w.hostIP, this.o.scale, true, (ok) => {
          if (ok || !c.running || w.stopping) return;
          c.append(`[sim kubelet] Container ${c.spec.name} failed liveness probe, will be restarted`);
          this.stopContainer(c, (w.spec.terminationGracePeriodSeconds ?? 30) * 1000 * this.o.scale);
        }),
      );
  }

  /** SIGTERM now, SIGKILL after the grace period. */
  private stopContainer(c: Container, graceMs: number, termDelayMs = 0): void {
    const h = c.handle;
    if (!h || !c.running) return;
    c.stopProbes();
    const term = setTimeout(() => h.signal('SIGTERM'), termDelayMs);
    const kill = setTimeout(() => h.signal('SIGKILL'), Math.max(graceMs, termDelayMs));
    void h.exited.then(() => (clearTimeout(term), clearTimeout(kill)));
  }

  private containerExited(w: PodWorker, c: Container, h: ContainerHandle, exit: Exit, ranMs: number): void {
    if (c.handle !== h) return;
    if (w.sandboxDown) {
      c.handle = undefined;
      return this.writeStatus(w);
    }
    c.stopProbes();
    c.ready = false;
    const exitCode = exit.code ?? 128 + (exit.signal ? (SIGNUM[exit.signal] ?? 1) : 1);
    // Under runc, a SIGKILL the kubelet did not send is the memory cgroup's OOM killer.
    const oomKilled = c.runc !== undefined && exitCode === 137 && !c.runc.killed;
    this.terminated(w, c, {
      exitCode,
      reason: oomKilled ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error',
      ...(exit.signal ? { signal: SIGNUM[exit.signal] } : {}),
      startedAt: c.startedAt,
      finishedAt: now(),
      containerID: c.containerID,
    }, ranMs);
  }

  /**
   * The container could not start: the runtime could not run its process (a program the image lacks:
   * containerd's StartError, exit 128), or the kubelet refused its config (CreateContainerConfigError, waiting).
   */
  private startFailed(w: PodWorker, c: Container, problem: string, reason = 'StartError'): void {
    if (reason !== 'StartError') {
      c.state = { waiting: { reason, message: problem } };
      return this.writeStatus(w);
    }
    const message = problem.startsWith('failed to create') ? problem : `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ${problem}: unknown`;
    this.terminated(w, c, { exitCode: 128, reason: 'StartError', message, startedAt: '1970-01-01T00:00:00Z', finishedAt: now(), containerID: c.containerID }, 0);
  }

  /** The container under runc, with the pod's security context, memory limit, emptyDirs and resolv.conf. */
  private async startRunc(w: PodWorker, c: Container, runc: Runc): Promise<ContainerHandle | { reason: string; message: string }> {
    const sc = { ...w.spec.securityContext, ...c.spec.securityContext };
    const id = `${w.name}-${c.spec.name}-${randomBytes(4).toString('hex')}`;
    const emptyDirs = (c.spec.volumeMounts ?? []).flatMap((m) => {
      const v = w.spec.volumes?.find((x) => x.name === m.name);
      return v?.emptyDir ? [{ path: m.mountPath, ...(v.emptyDir.sizeLimit ? { sizeLimit: v.emptyDir.sizeLimit } : {}) }] : [];
    });
    const readOnlyVolumes = (c.spec.volumeMounts ?? []).flatMap((m) => {
      const source = w.volumeDirs.get(m.name);
      return source && !m.subPath ? [{ path: m.mountPath, source }] : [];
    });
    const resolvConf = this.resolvConf(w);
    const memoryLimit = this.o.faults.memoryLimits.get(imageRepository(c.spec.image)) ?? c.spec.resources?.limits?.memory;
    const started = runc.start({
      id,
      image: c.spec.image,
      ...this.expandedArgv(w, c.spec),
      env: this.runcEnv(w, c.spec),
      securityContext: sc,
      ...(memoryLimit ? { memoryLimit } : {}),
      emptyDirs,
      readOnlyVolumes,
      ...(resolvConf ? { resolvConf } : {}),
      ...(w.serviceAccountDir && !(c.spec.volumeMounts ?? []).some((m) => m.mountPath.replace(/\/$/, '') === SERVICEACCOUNT_DIR) ? { serviceAccountDir: w.serviceAccountDir } : {}),
      hostname: w.name,
      noNetwork: this.o.faults.nodesWithoutNetwork.has(w.node),
      pod: w.name,
      container: c.spec.name,
    });
    if ('reason' in started) return started;
    const state = { id, ...started.user, killed: false };
    c.runc = state;
    this.runcContainers.push({ namespace: w.namespace, pod: w.name, container: c.spec.name, image: c.spec.image });
    started.child.stdout?.on('data', (d: Buffer) => c.append(d.toString()));
    started.child.stderr?.on('data', (d: Buffer) => c.append(d.toString()));
    const pid = await started.running;
    return {
      pid: pid ?? started.child.pid,
      exited: started.exited,
      signal: (sig) => {
        state.killed ||= sig === 'SIGKILL';
        runc.kill(id, sig);
      },
    };
  }

  /** The container's environment under runc: the image's PATH stays unless the pod sets one. */
  private runcEnv(w: PodWorker, spec: ContainerSpec): Record<string, string> {
    const { PATH: _hostPath, ...env } = this.containerEnv(w, spec);
    const path = spec.env?.find((e) => e.name === 'PATH')?.value;
    return { ...env, ...(path !== undefined ? { PATH: path } : {}) };
  }

  private terminated(w: PodWorker, c: Container, terminated: Terminated, ranMs: number): void {
    const exitCode = terminated.exitCode;
    const policy = w.spec.restartPolicy ?? 'Always';
    const restart = !w.stopping && (policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0));
    if (!restart) {
      c.state = { terminated };
      this.writeStatus(w);
      if (!w.stopping && w.containers.every((x) => 'terminated' in x.state)) this.finishNaturally(w);
      return;
    }
    c.lastState = terminated;
    // The kubelet's back-off: first restart at once, then 10 s, 20 s, … capped at 300 s; reset after 10 min of running.
    if (ranMs > 600_000 * this.o.scale) c.backoffStep = 0;
    const delaySeconds = c.backoffStep === 0 ? 0 : Math.min(300, 10 * 2 ** (c.backoffStep - 1));
    c.backoffStep++;
    if (delaySeconds === 0) return this.track(this.startContainer(w, c));
    c.state = {
      waiting: { reason: 'CrashLoopBackOff', message: `back-off ${delaySeconds}s restarting failed container=${c.spec.name} pod=${w.name}_${w.namespace}(${w.uid})` },
    };
    this.writeStatus(w);
    c.timer = this.later(w, delaySeconds * 1000 * this.o.scale, () => this.track(this.startContainer(w, c)));
  }

  private pullFailed(w: PodWorker, c: Container, message: string): void {
    c.state = { waiting: { reason: 'ErrImagePull', message } };
    this.writeStatus(w);
    const delaySeconds = Math.min(300, 10 * 2 ** c.backoffStep++);
    this.later(w, 200, () => {
      c.state = { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.spec.image}"` } };
      this.writeStatus(w);
    });
    c.timer = this.later(w, delaySeconds * 1000 * this.o.scale, () => this.track(this.startContainer(w, c)));
  }

  /** restartPolicy Never/OnFailure and every container done: Succeeded or Failed; the object stays. */
  private finishNaturally(w: PodWorker): void {
    this.endPod(w);
    this.writeStatus(w);
  }

  private endPod(w: PodWorker): void {
    for (const t of w.timers) clearTimeout(t);
    w.timers.clear();
    for (const p of w.execs) p.kill('SIGKILL');
    for (const f of w.fronts) void closeRelayPair(f);
    w.fronts = [];
  }

  /**
   * Stops every container: SIGTERM (CoreDNS after its 5 s lameduck, scaled), SIGKILL after the grace
   * period. `remove` finishes a graceful deletion by removing the object; a deadline keeps it (Failed).
   */
  private async terminate(w: PodWorker, graceSeconds: number, remove: boolean): Promise<void> {
    w.stopping = true;
    w.removing ||= remove;
    const graceMs = graceSeconds * 1000 * this.o.scale;
    for (const c of w.containers) {
      clearTimeout(c.timer);
      c.ready = false;
      if (c.running) this.stopContainer(c, graceMs, c.kind === 'coredns' ? Math.min(5000 * this.o.scale, graceMs) : 0);
      else if (!('terminated' in c.state)) c.state = { terminated: { exitCode: 0, reason: 'ContainerStatusUnknown', finishedAt: now() } };
    }
    for (const p of w.execs) p.kill('SIGTERM');
    const killExecs = setTimeout(() => w.execs.forEach((p) => p.kill('SIGKILL')), graceMs);
    this.writeStatus(w);
    await Promise.all(w.containers.map((c) => (c.running && c.handle ? c.handle.exited : undefined)));
    clearTimeout(killExecs);
    this.endPod(w);
    if (remove) {
      w.done = true;
      this.forgetWorker(w);
      try {
        const cur = this.o.store.get('pods', w.namespace, w.name);
        if (cur?.metadata.uid === w.uid) this.o.store.remove('pods', w.namespace, w.name);
      } catch {
        // already removed by a grace-0 delete
      }
    } else this.writeStatus(w);
  }

  /** The object is gone (grace 0) or replaced: kill everything at once. */
  private async destroy(w: PodWorker): Promise<void> {
    w.stopping = true;
    w.done = true;
    this.forgetWorker(w);
    for (const c of w.containers) {
      clearTimeout(c.timer);
      c.stopProbes();
      c.handle?.signal('SIGKILL');
    }
    this.endPod(w);
    await Promise.all(w.containers.map((c) => c.handle?.exited));
  }

  private forgetWorker(w: PodWorker): void {
    if (this.workers.get(podKey(w.namespace, w.name)) === w) this.workers.delete(podKey(w.namespace, w.name));
    if (w.containers.some((c) => c.kind === 'coredns')) this.o.dns.forget(w.name);
  }

  // ---- status ----

  private writeStatus(w: PodWorker): void {
    if (w.statusPending) return;
    w.statusPending = true;
    setImmediate(() => {
      w.statusPending = false;
      if (this.stopped) return;
      const cur = this.o.store.get('pods', w.namespace, w.name);
      if (!cur || cur.metadata.uid !== w.uid) return;
      const next = podStatus(w, cur.status as PodStatus | undefined);
      if (JSON.stringify(next) === JSON.stringify(cur.status)) return;
      this.o.store.mutate('pods', w.namespace, w.name, (p) => void (p.status = next));
    });
  }

  /** The files a container sees from its ConfigMap volumes (items, whole maps, subPath mounts). */
  private mountedFiles(w: PodWorker, c: ContainerSpec): Map<string, string> {
    const files = new Map<string, string>();
    const volumes = (w.spec as { volumes?: { name: string; configMap?: { name: string; items?: { key: string; path: string }[] } }[] }).volumes ?? [];
    for (const m of c.volumeMounts ?? []) {
      const cm = volumes.find((v) => v.name === m.name)?.configMap;
      if (!cm) continue;
      const data = (this.o.store.get('configmaps', w.namespace, cm.name)?.data ?? {}) as Record<string, string>;
      const entries = cm.items ? cm.items.map((i) => [i.path, data[i.key]] as const) : Object.entries(data);
      for (const [path, text] of entries) {
        if (text === undefined) continue;
        if (m.subPath) {
          if (m.subPath === path) files.set(m.mountPath, text);
        } else files.set(`${m.mountPath.replace(/\/$/, '')}/${path}`, text);
      }
    }
    return files;
  }

  /** What the DNS server container is configured to serve: its Corefile (-conf), or kube-dns's ConfigMap. */
  private dnsConfigOf(w: PodWorker, c: ContainerSpec): DnsServerConfig {
    const files = this.mountedFiles(w, c);
    const domain = this.o.clusterDns.domain;
    if (/k8s-dns-dnsmasq-nanny/.test(c.image)) {
      const at = '/etc/k8s/dns/dnsmasq-nanny';
      return { blocks: kubeDnsBlocks(domain, files.get(`${at}/stubDomains`), files.get(`${at}/upstreamNameservers`), dnsPortOf(c)), files };
    }
    const args = [...(c.command ?? []), ...(c.args ?? [])];
    if (/k8s-dns-node-cache/.test(c.image)) {
      // node-cache writes /etc/Corefile from Corefile.base, filling in kube-dns-upstream's IP and the node's resolvers.
      const svc = args[args.indexOf('-upstreamsvc') + 1] ?? 'kube-dns-upstream';
      const ip = (this.o.store.get('services', w.namespace, svc)?.spec as { clusterIP?: string } | undefined)?.clusterIP ?? '';
      const base = (files.get('/etc/coredns/Corefile.base') ?? '').replaceAll('__PILLAR__CLUSTER__DNS__', ip).replaceAll('__PILLAR__UPSTREAM__SERVERS__', '/etc/resolv.conf');
      return { blocks: parseCorefile(base, files, '/etc/coredns'), files };
    }
    const conf = args.indexOf('-conf');
    const path = conf >= 0 ? (args[conf + 1] ?? '') : '/etc/coredns/Corefile';
    const text = files.get(path);
    const blocks = text ? parseCorefile(text, files, dirname(path)) : [];
    // No readable Corefile: CoreDNS's kubeadm defaults (kubernetes zone, root forwarded) on the container's DNS port.
    if (!blocks.length) blocks.push({ zones: ['.'], port: dnsPortOf(c), kubernetes: [domain, 'in-addr.arpa', 'ip6.arpa'], files: [], hosts: [], forward: { from: '.', to: ['/etc/resolv.conf'] } });
    return { blocks, files, ...(text !== undefined && { corefile: { path, text } }) };
  }

  /** The HTTP probe endpoints of every container, named ports resolved against the container's ports. */
  private httpProbes(w: PodWorker): { port: number; path: string }[] {
    return w.spec.containers.flatMap((c) =>
      [c.livenessProbe, c.readinessProbe].flatMap((p) => {
        const get = p?.httpGet;
        if (!get) return [];
        const port = typeof get.port === 'number' ? get.port : (c.ports?.find((x) => x.name === get.port)?.containerPort ?? Number(get.port));
        return Number.isFinite(port) ? [{ port, path: get.path ?? '/' }] : [];
      }),
    );
  }

  /**
   * The pod's /etc/resolv.conf as the kubelet writes it: ClusterFirst (and ClusterFirstWithHostNet) pods
   * get the cluster DNS Service IP with the search path and ndots:5; Default (and hostNetwork
   * ClusterFirst) pods the node's own file.
   */
  private resolvConf(w: PodWorker): string | undefined {
    const policy = w.spec.dnsPolicy ?? 'ClusterFirst';
    const cluster = policy === 'ClusterFirstWithHostNet' || (policy === 'ClusterFirst' && !w.spec.hostNetwork);
    if (!cluster) return undefined;
    const file = join(this.o.dir, 'pods', w.uid, 'resolv.conf');
    if (!existsSync(file)) {
      const d = this.o.clusterDns.domain;
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `search ${w.namespace}.svc.${d} svc.${d} ${d}\nnameserver ${this.o.clusterDns.ip}\noptions ndots:5\n`, { mode: 0o644 });
    }
    return file;
  }

  private containerEnv(w: PodWorker, spec: ContainerSpec): Record<string, string> {
    const field = (path: string) =>
      ({ 'metadata.name': w.name, 'metadata.namespace': w.namespace, 'status.podIP': w.ip ?? '', 'spec.nodeName': w.node, 'status.hostIP': w.hostIP })[path] ?? '';
    // The kubernetes Service's variables name the API server itself: the sim has no kube-proxy rule for it.
    const api = this.o.apiServer?.();
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOSTNAME: w.name,
      HOME: '/root',
      KUBERNETES_SERVICE_HOST: api?.host ?? `${this.o.subnet}.1.1`,
      KUBERNETES_SERVICE_PORT: api?.port ?? '443',
      KUBERNETES_SERVICE_PORT_HTTPS: api?.port ?? '443',
    };
    for (const e of spec.env ?? []) env[e.name] = e.value ?? (e.valueFrom?.fieldRef ? field(e.valueFrom.fieldRef.fieldPath) : '');
    return env;
  }

  // ---- NodeRuntime ----

  private requireContainer(namespace: string, podName: string, container: string | undefined): { pod: KObject; w?: PodWorker; c?: Container; name: string } {
    const pod = this.o.store.get('pods', namespace, podName);
    if (!pod) throw SimError.notFound('pods', podName);
    const spec = pod.spec as PodSpec;
    const names = spec.containers.map((c) => c.name);
    const name = container ?? (names.length === 1 ? names[0] : pod.metadata.annotations?.['kubectl.kubernetes.io/default-container']);
    if (!name) throw SimError.badRequest(`a container name must be specified for pod ${podName}, choose one of: [${names.join(' ')}]`);
    if (!names.includes(name)) throw SimError.badRequest(`container ${name} is not valid for pod ${podName}`);
    const w = this.workers.get(podKey(namespace, podName));
    const c = w && w.uid === pod.metadata.uid ? w.containers.find((x) => x.spec.name === name) : undefined;
    return { pod, w: c ? w : undefined, c, name };
  }

  exec(req: ExecRequest): ExecProcess {
    const pod = this.o.store.get('pods', req.namespace, req.pod);
    if (!pod) throw SimError.notFound('pods', req.pod);
    if (!(pod.spec as PodSpec).nodeName) throw SimError.badRequest(`pod ${req.pod} does not have a host assigned`);
    const phase = (pod.status as { phase?: string } | undefined)?.phase;
    const { w, c, name } = this.requireContainer(req.namespace, req.pod, req.container);
    if (phase === 'Succeeded' || phase === 'Failed') throw SimError.badRequest(`cannot exec into a container in a completed pod; current phase is ${phase}`);
    if (!w || !c || !c.running || w.stopping) throw SimError.badRequest(`container not found ("${name}")`);
    if (c.runc && this.o.runc) return this.execRunc(w, c, c.runc, this.o.runc, req);
    const argv = c.layout ? localArgv(c.layout, req.command) : `exec: "${req.command[0]}": executable file not found in $PATH`;
    if (typeof argv === 'string') return execFailed(argv);
    const sc = { ...w.spec.securityContext, ...c.spec.securityContext };
    const { child, exited } = spawnContained(this.inContainer(w, c.spec, argv), {
      env: this.containerEnv(w, c.spec),
      uid: sc.runAsUser,
      gid: sc.runAsGroup,
      noNetwork: this.o.faults.nodesWithoutNetwork.has(w.node),
      stdin: req.stdin,
      // Like a real exec, join the container's mount namespace (where its resolv.conf is mounted).
      ...(c.mountNamespace && c.handle?.pid ? { mountNamespaceOf: c.handle.pid } : { resolvConf: this.resolvConf(w) }),
    });
    return execStarted(w, child, exited, req.stdin);
  }

  /** An exec inside the runc container (runc exec): its user, capabilities, no_new_privs and memory cgroup. */
  private execRunc(w: PodWorker, c: Container, state: NonNullable<Container['runc']>, runc: Runc, req: ExecRequest): ExecProcess {
    const env = this.runcEnv(w, c.spec);
    const notFound = runc.resolve(c.spec.image, req.command, env);
    if (notFound) return execFailed(notFound);
    const child = runc.exec(state.id, req.command, env, state, req.stdin);
    const exited = new Promise<Exit>((resolve) => {
      child.on('error', () => resolve({ code: 127, signal: null }));
      child.on('exit', (code, signal) => resolve({ code, signal }));
    });
    return execStarted(w, child, exited, req.stdin);
  }

  logs(namespace: string, pod: string, opts: { container?: string; tailLines?: number; previous?: boolean }): string {
    const { c, name } = this.requireContainer(namespace, pod, opts.container);
    if (opts.previous && c?.previousLog === undefined) throw SimError.badRequest(`previous terminated container "${name}" in pod "${pod}" not found`);
    if (!c?.everStarted) {
      const reason = c && 'waiting' in c.state ? c.state.waiting.reason : 'ContainerCreating';
      throw SimError.badRequest(`container "${name}" in pod "${pod}" is waiting to start: ${reason}`);
    }
    const text = opts.previous ? (c.previousLog ?? '') : c.log;
    if (opts.tailLines === undefined) return text;
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(Math.max(0, lines.length - opts.tailLines)).map((l) => `${l}\n`).join('');
  }

  // ---- for the sim ----

  /**
   * The node of the pod process (an exec'd probe, or a container that is no DNS server) that owns a
   * client socket talking to `server`; undefined for a client on no node, such as a test's dig.
   */
  nodeOfSocket(protocol: 'udp' | 'tcp', client: SocketEnd, server: SocketEnd): string | undefined {
    const inodes = clientSocketInodes(protocol, client, server);
    if (inodes.length === 0) return undefined;
    for (const w of this.workers.values()) {
      const pids = [
        ...[...w.execs].map((p) => p.pid),
        ...w.containers.filter((c) => c.kind !== 'coredns' && c.running).flatMap((c) => (c.runc && this.o.runc ? this.o.runc.pids(c.runc.id) : [c.handle?.pid])),
      ];
      if (pids.some((pid) => pid !== undefined && holdsSocket(pid, inodes))) return w.node;
    }
    return undefined;
  }

  /** The running CoreDNS container's dnsmasq pid of a pod. */
  dnsPid(namespace: string, pod: string): number | undefined {
    const c = this.workers.get(podKey(namespace, pod))?.containers.find((x) => x.kind === 'coredns');
    return c?.running ? c.handle?.pid : undefined;
  }

  podIp(namespace: string, pod: string): string | undefined {
    return this.workers.get(podKey(namespace, pod))?.ip;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    await Promise.all([...this.workers.values()].map((w) => this.destroy(w)));
    while (this.inflight.size) await Promise.all([...this.inflight]);
    await this.o.runc?.stop();
  }
}

const dnsPortOf = (c: ContainerSpec): number =>
  c.ports?.find((p) => p.name === 'dns' && (p.protocol ?? 'TCP') === 'UDP')?.containerPort ?? c.ports?.find((p) => p.protocol === 'UDP')?.containerPort ?? 53;

type Condition = { type: string; status: 'True' | 'False'; reason?: string; message?: string; lastTransitionTime: string; lastProbeTime: null };
type PodStatus = { phase?: string; conditions?: Condition[]; [k: string]: unknown };

/** The pod status the kubelet reports, keeping transition times of unchanged conditions. */
function podStatus(w: PodWorker, prev: PodStatus | undefined): PodStatus {
  const cs = w.containers;
  const policy = w.spec.restartPolicy ?? 'Always';
  const allTerminated = cs.every((c) => 'terminated' in c.state);
  let phase: string;
  if (w.failure) phase = 'Failed';
  else if (!w.ip || cs.some((c) => !c.everStarted)) phase = 'Pending';
  else if (policy !== 'Always' && allTerminated) phase = cs.every((c) => 'terminated' in c.state && c.state.terminated.exitCode === 0) ? 'Succeeded' : 'Failed';
  else phase = 'Running';
  const unready = cs.filter((c) => !c.ready).map((c) => c.spec.name);
  const completed = phase === 'Succeeded' || phase === 'Failed';
  const readyCond = (type: string): Omit<Condition, 'lastTransitionTime' | 'lastProbeTime'> =>
    unready.length === 0
      ? { type, status: 'True' }
      : { type, status: 'False', reason: completed ? 'PodCompleted' : type === 'Ready' ? 'ContainersNotReady' : 'ContainersNotReady', message: completed ? undefined : `containers with unready status: [${unready.join(' ')}]` };
  const wanted: Omit<Condition, 'lastTransitionTime' | 'lastProbeTime'>[] = [
    { type: 'PodReadyToStartContainers', status: w.ip && !completed ? 'True' : 'False' },
    { type: 'Initialized', status: 'True' },
    readyCond('Ready'),
    readyCond('ContainersReady'),
    { type: 'PodScheduled', status: 'True' },
  ];
  const conditions = wanted.map((c) => {
    const old = prev?.conditions?.find((p) => p.type === c.type);
    const clean = Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) as typeof c;
    return { ...clean, lastProbeTime: null, lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : now() };
  });
  return {
    phase,
    ...(w.failure ?? {}),
    conditions,
    hostIP: w.hostIP,
    hostIPs: [{ ip: w.hostIP }],
    ...(w.ip ? { podIP: w.ip, podIPs: [{ ip: w.ip }, ...(w.ip6 ? [{ ip: w.ip6 }] : [])] } : {}),
    ...(w.startTime ? { startTime: w.startTime } : {}),
    containerStatuses: cs.map((c) => ({
      name: c.spec.name,
      image: c.spec.image,
      imageID: c.everStarted ? imageId(c.spec.image) : '',
      ...(c.containerID ? { containerID: c.containerID } : {}),
      ready: c.ready,
      started: c.running,
      restartCount: c.restartCount,
      state: c.state,
      lastState: c.lastState ? { terminated: c.lastState } : {},
    })),
    // Close enough to the API server's rule: any requests or limits → Burstable.
    qosClass: cs.some((c) => Object.keys(c.spec.resources ?? {}).length) ? 'Burstable' : 'BestEffort',
  };
}
