// Containers under runc: the sim's kubelet runs containers of the images `make images` builds (the
// probe image, the CLI image and the stand-ins for distroless nodejs22 and node:22) in a real OCI
// runtime, from the unpacked image in .cache/images/bundles: the image's config (entrypoint, cmd, env,
// user, workdir) with Docker's command/args semantics; the pod's securityContext (uid/gid, runAsNonRoot
// checked against the image's user as the kubelet does, readOnlyRootFilesystem, capabilities,
// allowPrivilegeEscalation as no_new_privs); resources.limits.memory as a memory cgroup, whose OOM kill
// the container status reports as OOMKilled; emptyDir volumes as tmpfs of their sizeLimit; the pod's
// resolv.conf. Containers share the host's network (the sim's pods are loopback addresses); a node
// without network gets an empty network namespace; seccompProfile RuntimeDefault as the filter of
// seccomp.ts; the ServiceAccount volume at /var/run/secrets/kubernetes.io/serviceaccount. The unpacked
// image is shared by every container of it, so a container without readOnlyRootFilesystem writes into it.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtProbePath, imageKind, imageRepository, PROBE_PATH_IN_IMAGE, type Exit } from './images.ts';
import { seccompFor } from './seccomp.ts';

const BUNDLES = process.env.IMAGES_CACHE ? join(process.env.IMAGES_CACHE, 'bundles') : fileURLToPath(new URL('../../.cache/images/bundles', import.meta.url));

/** The image `make images` built for an image reference, by the name of its bundle. */
export function bundleName(image: string): string | undefined {
  const repo = imageRepository(image);
  if (imageKind(image) === 'probe') return 'probe';
  if (repo.endsWith('coredns-sentinel/coredns-sentinel')) return 'cli';
  if (/(?:^|\/)distroless\/nodejs22-debian12$/.test(repo)) return 'distroless';
  if (/^(?:(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\/)?(?:library\/)?node$/.test(repo)) return 'node-slim';
  return undefined;
}

/** Whether `make images` built the image that stands for this reference. */
export function imageBuilt(image: string): boolean {
  const name = bundleName(image);
  return name !== undefined && existsSync(join(BUNDLES, name, 'rootfs'));
}

/** Why containers cannot run under runc here, or undefined. */
export function runcProblem(): string | undefined {
  if (process.env.SIM_RUNC === '0') return 'SIM_RUNC=0';
  if (process.getuid?.() !== 0) return 'runc needs root (CI runs as root)';
  try {
    execFileSync('runc', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'runc is not installed (scripts/install-deps.sh)';
  }
  if (!existsSync(join(BUNDLES, 'probe', 'rootfs'))) return `no images in ${BUNDLES} (make images)`;
  return undefined;
}

let saidStale = false;
/** Whether the built probe image holds today's dist/probe.cjs; says once when it does not (its pods then run as host processes). */
function probeImageCurrent(): boolean {
  const read = (path: string) => {
    try {
      return readFileSync(path);
    } catch {
      return undefined;
    }
  };
  const built = read(join(BUNDLES, 'probe', 'rootfs', PROBE_PATH_IN_IMAGE));
  const current = read(builtProbePath());
  const same = built !== undefined && current !== undefined && built.equals(current);
  if (!same && !saidStale) process.stderr.write('sim: the probe image is older than dist/probe.cjs (make images): its pods run as host processes\n');
  saidStale ||= !same;
  return same;
}

interface ImageConfig {
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Env?: string[];
  User?: string;
  WorkingDir?: string;
}

export interface SecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type?: string; localhostProfile?: string };
}

/**
 * The uid and gid the container runs as, or the kubelet's refusal (CreateContainerConfigError): with
 * runAsNonRoot it must be able to tell from runAsUser or a numeric image USER that the user is not root.
 */
export function containerUser(sc: SecurityContext, imageUser: string | undefined, pod: string, container: string): { uid: number; gid: number } | string {
  const [user = '', group] = (imageUser ?? '').split(':');
  const numericUser = /^\d+$/.test(user) ? Number(user) : user === '' ? 0 : undefined;
  const uid = sc.runAsUser ?? numericUser;
  const gid = sc.runAsGroup ?? (group !== undefined && /^\d+$/.test(group) ? Number(group) : (uid ?? 0));
  if (sc.runAsNonRoot) {
    if (uid === undefined) return `container has runAsNonRoot and image has non-numeric user (${user}), cannot verify user is non-root (pod: "${pod}", container: ${container})`;
    if (uid === 0) return `container has runAsNonRoot and image will run as root (pod: "${pod}", container: ${container})`;
  }
  if (uid === undefined) return `image user ${user} is not numeric: the sim resolves no user names`;
  return { uid, gid };
}

/** containerd's default capabilities, then the container's drop and add (ALL drops every one). */
export function capabilities(caps: SecurityContext['capabilities']): string[] {
  const defaults = ['CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE'];
  const drop = new Set(caps?.drop ?? []);
  const kept = drop.has('ALL') ? [] : defaults.filter((c) => !drop.has(c));
  return [...new Set([...kept, ...(caps?.add ?? [])])].map((c) => `CAP_${c}`);
}

/** A Kubernetes quantity ("64Mi", "8M", "1Gi", "100000") in bytes. */
export function quantityBytes(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q.trim());
  if (!m) throw new Error(`bad quantity ${q}`);
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2] ?? ''] ?? 1;
  return Math.round(Number(m[1]) * unit);
}

export interface RuncContainerOptions {
  id: string;
  image: string;
  command?: string[];
  args?: string[];
  /** The kubelet's environment for the container (the pod's env and the service variables). */
  env: Record<string, string>;
  securityContext: SecurityContext;
  memoryLimit?: string;
  emptyDirs: { path: string; sizeLimit?: string }[];
  /** Volumes the kubelet wrote on the host (downwardAPI), bound read-only at their mount paths. */
  readOnlyVolumes: { path: string; source: string }[];
  resolvConf?: string;
  /** The pod's ServiceAccount volume (token, ca.crt, namespace), mounted read-only at SERVICEACCOUNT_DIR. */
  serviceAccountDir?: string;
  hostname: string;
  noNetwork: boolean;
  pod: string;
  container: string;
}

export interface RuncProcess {
  child: ChildProcess;
  exited: Promise<Exit>;
  /** Resolves with the container's first process once it runs (undefined when it never did): only then is the container there for execs. */
  running: Promise<number | undefined>;
  /** Who the container runs as (execs too). */
  user: { uid: number; gid: number };
}

export const SERVICEACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The ServiceAccount volume's mounts. runc makes a missing mount point in the root filesystem, which
 * here is the unpacked image every container shares: where the image has no /var/run/secrets, an empty
 * tmpfs over its (empty) /var/run takes the mount point instead.
 */
function serviceAccountMounts(rootfs: string, source: string): Record<string, unknown>[] {
  const bind = { destination: SERVICEACCOUNT_DIR, type: 'bind', source, options: ['rbind', 'ro', 'nosuid', 'nodev', 'noexec'] };
  if (existsSync(join(rootfs, 'var/run/secrets'))) return [bind];
  return [{ destination: '/var/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'mode=755', 'size=1m'] }, bind];
}

/** One sim's containers: their state under `dir`, their cgroups under one parent of its own. */
export class Runc {
  private readonly state: string;
  private readonly cgroupParent = `/coredns-sentinel-sim-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  private readonly images = new Map<string, { rootfs: string; base: Record<string, unknown>; config: ImageConfig }>();
  private readonly live = new Set<string>();
  private probeCurrent?: boolean;

  constructor(private readonly dir: string) {
    this.state = join(dir, 'runc', 'state');
    mkdirSync(this.state, { recursive: true });
  }

  /** Whether this image runs under runc here: built, and (the probe image) holding the probe dist/ holds now. */
  has(image: string): boolean {
    if (!imageBuilt(image)) return false;
    if (bundleName(image) !== 'probe') return true;
    this.probeCurrent ??= probeImageCurrent();
    return this.probeCurrent;
  }

  private image(image: string) {
    const name = bundleName(image)!;
    let img = this.images.get(name);
    if (!img) {
      const dir = join(BUNDLES, name);
      img = {
        rootfs: join(dir, 'rootfs'),
        base: JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>,
        config: (JSON.parse(readFileSync(join(dir, 'image.json'), 'utf8')) as { config?: ImageConfig }).config ?? {},
      };
      this.images.set(name, img);
    }
    return img;
  }

  /** The image's PATH, as the container's environment starts. */
  private imageEnv(image: string): Record<string, string> {
    return Object.fromEntries((this.image(image).config.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  }

  /** argv[0] as the runtime finds it in the image (a bare name through PATH), or runc's error. */
  resolve(image: string, argv: string[], env: Record<string, string>): string | undefined {
    const [cmd] = argv;
    if (cmd === undefined) return 'no command specified';
    const rootfs = this.image(image).rootfs;
    const executable = (p: string) => {
      try {
        accessSync(join(rootfs, p), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    };
    if (cmd.includes('/')) return executable(cmd) ? undefined : `exec: "${cmd}": stat ${cmd}: no such file or directory`;
    const path = env.PATH ?? this.imageEnv(image).PATH ?? '';
    return path.split(':').some((d) => executable(`${d}/${cmd}`)) ? undefined : `exec: "${cmd}": executable file not found in $PATH`;
  }

  /** Starts the container (runc run, in the foreground: its exit is the container's), or says why it cannot start. */
  start(o: RuncContainerOptions): RuncProcess | { reason: string; message: string } {
    const img = this.image(o.image);
    const user = containerUser(o.securityContext, img.config.User, o.pod, o.container);
    if (typeof user === 'string') return { reason: 'CreateContainerConfigError', message: user };
    const entrypoint = img.config.Entrypoint ?? [];
    const argv = o.command?.length ? [...o.command, ...(o.args ?? [])] : [...entrypoint, ...(o.args ?? img.config.Cmd ?? [])];
    const env = { ...this.imageEnv(o.image), ...o.env };
    const notFound = this.resolve(o.image, argv, env);
    if (notFound) return { reason: 'StartError', message: `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ${notFound}: unknown` };
    const base = img.base as { process: Record<string, unknown>; mounts: Record<string, unknown>[]; linux: Record<string, unknown> };
    const caps = capabilities(o.securityContext.capabilities);
    const mounts = [
      ...base.mounts,
      ...o.emptyDirs.map((v) => ({ destination: v.path, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777', ...(v.sizeLimit ? [`size=${quantityBytes(v.sizeLimit)}`] : [])] })),
      ...o.readOnlyVolumes.map((v) => ({ destination: v.path, type: 'bind', source: v.source, options: ['rbind', 'ro', 'nosuid', 'nodev'] })),
      ...(o.resolvConf && existsSync(join(img.rootfs, 'etc/resolv.conf')) ? [{ destination: '/etc/resolv.conf', type: 'bind', source: o.resolvConf, options: ['rbind', 'ro'] }] : []),
      ...(o.serviceAccountDir ? serviceAccountMounts(img.rootfs, o.serviceAccountDir) : []),
    ];
    const seccomp = seccompFor(o.securityContext.seccompProfile);
    const spec = {
      ...img.base,
      process: {
        ...base.process,
        terminal: false,
        user: { uid: user.uid, gid: user.gid },
        args: argv,
        env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
        cwd: img.config.WorkingDir || '/',
        noNewPrivileges: o.securityContext.allowPrivilegeEscalation === false,
        capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] },
      },
      root: { path: img.rootfs, readonly: o.securityContext.readOnlyRootFilesystem === true },
      hostname: o.hostname,
      mounts,
      linux: {
        ...base.linux,
        // No network namespace: the pod network is the host's loopback addresses. A node without network gets an empty one.
        namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, ...(o.noNetwork ? [{ type: 'network' }] : [])],
        cgroupsPath: `${this.cgroupParent}/${o.id}`,
        resources: { ...(o.memoryLimit ? { memory: { limit: quantityBytes(o.memoryLimit) } } : {}) },
        ...(seccomp ? { seccomp } : {}),
      },
    };
    const bundle = join(this.dir, 'runc', 'bundles', o.id);
    mkdirSync(bundle, { recursive: true });
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
    // --pdeathsig: runc goes with the sim; the container goes with runc's stop() below, or with its pid namespace.
    const pidFile = join(bundle, 'pid');
    const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'runc', '--root', this.state, 'run', '--pid-file', pidFile, '--bundle', bundle, o.id], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    this.live.add(o.id);
    let ended = false;
    const exited = new Promise<Exit>((resolve) => {
      child.on('error', () => resolve({ code: 127, signal: null }));
      child.on('exit', (code, signal) => {
        ended = true;
        this.live.delete(o.id);
        rmSync(bundle, { recursive: true, force: true });
        resolve({ code, signal });
      });
    });
    // runc writes the pid file once the container's process has started (polled: at most 30 s).
    const running = (async () => {
      for (let i = 0; i < 1500 && !ended; i++) {
        let pid: number;
        try {
          pid = Number(readFileSync(pidFile, 'utf8'));
        } catch {
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        // runc brings lo up in a new network namespace, and every sim address is a loopback one: "no network" is lo as unshare -n leaves it.
        if (o.noNetwork) for (const cmd of [['addr', 'flush', 'dev', 'lo'], ['link', 'set', 'lo', 'down']]) execFileSync('nsenter', ['-t', String(pid), '-n', 'ip', ...cmd], { stdio: 'ignore' });
        return pid;
      }
      return undefined;
    })();
    return { child, exited, running, user };
  }

  /** Sends a signal to the container's first process (runc run forwards only the catchable ones). */
  kill(id: string, signal: NodeJS.Signals): void {
    if (this.live.has(id)) execFile('runc', ['--root', this.state, 'kill', id, signal], () => undefined);
  }

  /** Runs argv in the container as its user, with its capabilities and no_new_privs (runc exec). */
  exec(id: string, argv: string[], env: Record<string, string>, user: { uid: number; gid: number }, stdin: boolean): ChildProcess {
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
    return spawn('runc', ['--root', this.state, 'exec', '--user', `${user.uid}:${user.gid}`, ...envArgs, id, ...argv], {
      stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
  }

  /** The most memory the container's cgroup has held (memory.max_usage_in_bytes: what its limit counts), or undefined once it is gone. */
  memoryPeak(id: string): number | undefined {
    try {
      return Number(readFileSync(`/sys/fs/cgroup/memory${this.cgroupParent}/${id}/memory.max_usage_in_bytes`, 'utf8'));
    } catch {
      return undefined;
    }
  }

  /** Every process in the container (its cgroup), exec'd ones included. */
  pids(id: string): number[] {
    try {
      return readFileSync(`/sys/fs/cgroup/memory${this.cgroupParent}/${id}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  /** Kills every container still running and removes the cgroup parent. */
  async stop(): Promise<void> {
    await Promise.all(
      [...this.live].map(
        (id) => new Promise<void>((resolve) => execFile('runc', ['--root', this.state, 'delete', '--force', id], () => resolve())),
      ),
    );
    for (const controller of ['memory', 'cpu', 'cpuacct', 'cpuset', 'pids', 'devices', 'freezer', 'blkio', 'systemd'])
      try {
        rmdirSync(`/sys/fs/cgroup/${controller}${this.cgroupParent}`);
      } catch {
        // never created for this controller, or already gone
      }
  }
}
