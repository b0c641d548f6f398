// The sim's image table: which local program stands for a container image, and how a container or an
// exec'd command becomes a local process (as the pod's user, in the pod's network, never outliving the sim).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** coredns: a DNS server the sim plays with dnsmasq; aux: a sidecar that only has to run. */
export type ImageKind = 'node' | 'probe' | 'coredns' | 'aux' | 'other';

// DNS servers of the distributions: CoreDNS builds, OpenShift's, kube-dns's dnsmasq and NodeLocal DNSCache.
const DNS_SERVER_IMAGES = [/coredns\/coredns$/, /hardened-coredns$/, /coredns-coredns$/, /\/coredns$/, /origin-coredns$/, /k8s-dns-dnsmasq-nanny(-amd64)?$/, /k8s-dns-node-cache$/];
// Sidecars next to them: kube-dns itself (answers only through dnsmasq), its sidecar, kube-rbac-proxy.
const AUX_IMAGES = [/k8s-dns-kube-dns(-amd64)?$/, /k8s-dns-sidecar(-amd64)?$/, /kube-rbac-proxy$/];

/** The image reference without tag or digest: "docker.io/library/node:22-alpine" → "docker.io/library/node". */
export function imageRepository(image: string): string {
  const noDigest = image.split('@')[0] ?? image;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

export function imageKind(image: string): ImageKind {
  const repo = imageRepository(image);
  // A registry under the reserved .invalid TLD (RFC 2606) never resolves: such images never pull.
  const host = repo.includes('/') ? repo.split('/')[0]! : '';
  if (host.endsWith('.invalid')) return 'other';
  if (DNS_SERVER_IMAGES.some((r) => r.test(repo))) return 'coredns';
  if (AUX_IMAGES.some((r) => r.test(repo))) return 'aux';
  if (repo.endsWith('coredns-sentinel/probe')) return 'probe';
  if (repo.split('/').pop() === 'node') return 'node';
  return 'other';
}

/** Docker semantics: `command` replaces the image ENTRYPOINT (and drops its CMD), `args` replace CMD. */
export function containerArgv(kind: ImageKind, command?: string[], args?: string[]): string[] {
  const image = { node: { entrypoint: [], cmd: ['node'] }, probe: { entrypoint: ['node', '/probe/probe.cjs'], cmd: [] } }[
    kind === 'probe' ? 'probe' : 'node'
  ];
  if (command?.length) return [...command, ...(args ?? [])];
  return [...image.entrypoint, ...(args ?? image.cmd)];
}

export const PROBE_PATH_IN_IMAGE = '/probe/probe.cjs';
export const builtProbePath = (): string => fileURLToPath(new URL('../../dist/probe.cjs', import.meta.url));

/** Maps an in-container argv to local paths: node → this node binary, sh → /bin/sh, the probe's path → dist/probe.cjs. */
export function localArgv(argv: string[], probePath = builtProbePath()): string[] {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) return [];
  const program = cmd === 'node' || cmd === '/usr/local/bin/node' ? process.execPath : cmd === 'sh' ? '/bin/sh' : cmd;
  return [program, ...rest.map((a) => (a === PROBE_PATH_IN_IMAGE ? probePath : a))];
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ContainedOptions {
  env: Record<string, string>;
  uid?: number;
  gid?: number;
  /** Run in a new, empty network namespace: every connect fails with ENETUNREACH. */
  noNetwork?: boolean;
  stdin?: boolean;
  /** A file the process sees as /etc/resolv.conf (bind-mounted in a mount namespace of its own; root only). */
  resolvConf?: string;
  /** Join this process's mount namespace instead (an exec into a container started with resolvConf). */
  mountNamespaceOf?: number;
}

const isRoot = () => process.getuid?.() === 0;

/**
 * Spawns argv so it dies with the sim even on SIGKILL (setpriv --pdeathsig, set after any uid change),
 * optionally as another user and without network.
 */
export function spawnContained(argv: string[], opts: ContainedOptions): { child: ChildProcess; exited: Promise<Exit> } {
  const setpriv = ['setpriv'];
  if (opts.uid !== undefined && isRoot()) setpriv.push(`--reuid=${opts.uid}`, `--regid=${opts.gid ?? opts.uid}`, '--clear-groups');
  setpriv.push('--pdeathsig', 'KILL', '--');
  const join = opts.mountNamespaceOf !== undefined && isRoot() ? ['nsenter', '-m', '-t', String(opts.mountNamespaceOf), '--'] : [];
  const resolv = !join.length && opts.resolvConf && isRoot() ? opts.resolvConf : undefined;
  const unshare = [...(opts.noNetwork ? ['-n'] : []), ...(resolv ? ['-m', '--propagation', 'private'] : [])];
  // The pod's resolv.conf, as the kubelet gives every pod its own: a bind mount seen only by this process tree.
  const bind = resolv ? ['/bin/sh', '-c', 'mount --bind "$0" /etc/resolv.conf && exec "$@"', resolv] : [];
  const full = [...join, ...(unshare.length ? ['unshare', ...unshare, '--'] : []), ...bind, ...setpriv, ...argv];
  const child = spawn(full[0] as string, full.slice(1), {
    env: opts.env,
    cwd: '/',
    stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<Exit>((resolve) => {
    child.on('error', () => resolve({ code: 127, signal: null }));
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, exited };
}

/** A fake but stable image digest, for containerStatuses.imageID. */
export function imageId(image: string): string {
  let h = 0n;
  for (const c of image) h = (h * 131n + BigInt(c.charCodeAt(0))) % 2n ** 256n;
  return `${imageRepository(image)}@sha256:${h.toString(16).padStart(64, '0')}`;
}
