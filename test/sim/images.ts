// The sim's image table: which local program stands for a container image, and how a container or an
// exec'd command becomes a local process (as the pod's user, in the pod's network, never outliving the sim).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** coredns: a DNS server the sim plays with dnsmasq; aux: a sidecar that only has to run. */
export type ImageKind = 'node' | 'probe' | 'coredns' | 'aux' | 'other';

// DNS servers of the distributions: CoreDNS builds, OpenShift's, kube-dns's dnsmasq and NodeLocal DNSCache.
const DNS_SERVER_IMAGES = [/coredns\/coredns$/, /hardened-coredns$/, /coredns-coredns$/, /\/coredns$/, /origin-coredns$/, /k8s-dns-dnsmasq-nanny(-amd64)?$/, /k8s-dns-node-cache$/];
// Sidecars next to them: kube-dns itself (answers only through dnsmasq), its sidecar, kube-rbac-proxy; and
// the pause image, which workloads that only take room run.
const AUX_IMAGES = [/k8s-dns-kube-dns(-amd64)?$/, /k8s-dns-sidecar(-amd64)?$/, /kube-rbac-proxy$/, /(?:^|\/)pause$/];
// Distroless's node runtimes (gcr.io/distroless/nodejs22-debian12), mirrored anywhere.
const DISTROLESS_NODE_REPO = /(?:^|\/)distroless\/nodejs\d*(?:-debian\d+)?$/;

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
  if (repo.split('/').pop() === 'node' || DISTROLESS_NODE_REPO.test(repo)) return 'node';
  return 'other';
}

/**
 * What the sim knows of an image that runs node: its config (entrypoint, cmd, PATH) and the programs
 * its filesystem holds, each by its path in the image, as the upstream images lay them out. Enough for
 * Docker's command semantics and for the runtime's PATH lookup to fail where the real one fails.
 */
export interface ImageLayout {
  entrypoint: string[];
  cmd: string[];
  path: string;
  /** Path in the image → what runs for it here: NODE (this node), ENTRYPOINT_SH (node's docker-entrypoint.sh) or a host program. */
  programs: Record<string, string>;
  /** Files in the image → their local copies. */
  files: Record<string, string>;
}

const NODE = 'node';
const ENTRYPOINT_SH = 'docker-entrypoint.sh';
const STANDARD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export const PROBE_PATH_IN_IMAGE = '/probe/probe.cjs';
export const builtProbePath = (): string => fileURLToPath(new URL('../../dist/probe.cjs', import.meta.url));
const PROBE_DOCKERFILE = fileURLToPath(new URL('../../probe-image/Dockerfile', import.meta.url));

/** The last JSON-form ENTRYPOINT and CMD of a Dockerfile (what the image's config holds). */
export function dockerfileConfig(text: string): { entrypoint: string[]; cmd: string[] } {
  const last = (instruction: string): string[] | undefined => {
    const lines = text.split('\n').filter((l) => l.startsWith(`${instruction} [`));
    return lines.length ? (JSON.parse(lines.at(-1)!.slice(instruction.length + 1)) as string[]) : undefined;
  };
  return { entrypoint: last('ENTRYPOINT') ?? [], cmd: last('CMD') ?? [] };
}

/**
 * Docker Hub's node (docker-entrypoint.sh, node in /usr/local/bin, a shell and sleep), distroless's
 * nodejs (node at /nodejs/bin/node, off PATH, nothing else), the dedicated probe image (distroless's,
 * with the entrypoint probe-image/Dockerfile gives it) and any other node image (Chainguard's: only
 * /usr/bin/node).
 */
export function imageLayout(image: string): ImageLayout | undefined {
  const repo = imageRepository(image);
  const distroless = { entrypoint: ['/nodejs/bin/node'], cmd: [], path: STANDARD_PATH, programs: { '/nodejs/bin/node': NODE }, files: {} };
  if (imageKind(image) === 'probe')
    return { ...distroless, ...dockerfileConfig(readFileSync(PROBE_DOCKERFILE, 'utf8')), files: { [PROBE_PATH_IN_IMAGE]: builtProbePath() } };
  if (DISTROLESS_NODE_REPO.test(repo)) return distroless;
  if (imageKind(image) !== 'node') return undefined;
  if (/^(?:(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\/)?(?:library\/)?node$/.test(repo))
    return {
      entrypoint: [ENTRYPOINT_SH],
      cmd: ['node'],
      path: STANDARD_PATH,
      programs: { '/usr/local/bin/node': NODE, [`/usr/local/bin/${ENTRYPOINT_SH}`]: ENTRYPOINT_SH, '/bin/sh': '/bin/sh', '/bin/sleep': 'sleep', '/usr/bin/env': 'env' },
      files: {},
    };
  return { entrypoint: ['/usr/bin/node'], cmd: [], path: STANDARD_PATH, programs: { '/usr/bin/node': NODE }, files: {} };
}

/** Docker semantics: `command` replaces the image ENTRYPOINT (and drops its CMD), `args` replace CMD. */
export function containerArgv(layout: ImageLayout, command?: string[], args?: string[]): string[] {
  if (command?.length) return [...command, ...(args ?? [])];
  return [...layout.entrypoint, ...(args ?? layout.cmd)];
}

/** The runtime's error when argv[0] is not in the image, as runc words it. */
const notFound = (name: string) => (name.includes('/') ? `exec: "${name}": stat ${name}: no such file or directory` : `exec: "${name}": executable file not found in $PATH`);

/**
 * An in-container argv as a local one, resolving argv[0] in the image as the runtime does (a bare name
 * through the image's PATH): node → this node binary, files of the image → their local copies.
 * A program the image does not hold is the runtime's error, as a string.
 */
export function localArgv(layout: ImageLayout, argv: string[]): string[] | string {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) return 'no command specified';
  const inImage = cmd.includes('/') ? cmd : layout.path.split(':').map((dir) => `${dir}/${cmd}`).find((p) => p in layout.programs);
  const program = inImage === undefined ? undefined : layout.programs[inImage];
  if (program === undefined) return notFound(cmd);
  // node's docker-entrypoint.sh: runs node when the first argument is an option or no program of the image.
  if (program === ENTRYPOINT_SH) return localArgv(layout, rest[0] === undefined || rest[0].startsWith('-') || typeof localArgv(layout, rest) === 'string' ? ['node', ...rest] : rest);
  return [program === NODE ? process.execPath : program, ...rest.map((a) => layout.files[a] ?? a)];
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
