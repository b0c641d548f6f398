// Running a process "as if in a pod" of the sim, and "outside the pod network".
//
// In a pod: a ServiceAccount's token, the cluster CA and the namespace at the standard path
// /var/run/secrets/kubernetes.io/serviceaccount (a tmpfs over /run in a private mount namespace, so
// the host is untouched), KUBERNETES_SERVICE_HOST/PORT, no kubeconfig — the in-cluster config real
// clients (client-go, client-node) load. The account's token authenticates as
// system:serviceaccount:NS:NAME with exactly the rules its RoleBindings and ClusterRoleBindings in the
// sim grant (created with kubectl like any manifest).
//
// Outside the pod network (the unroutable-pods switch): a private network namespace where only the
// API server is reachable, through a relay over a unix socket; every pod IP and the Service IP are
// unroutable (connections refused), as from a laptop outside a cluster. Both need root (CI is root):
// `isolationProblem()` says why not, for a skip.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { PolicyRule, Sim } from './types.ts';
import { kubectl } from './sim-fixtures.ts';
import { SERVICEACCOUNT_DIR } from './runc.ts';


/** Why this machine cannot isolate a process (not root, no unshare), or undefined. */
export function isolationProblem(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root for private mount and network namespaces (CI runs as root)';
  try {
    execFileSync('unshare', ['-m', '-n', 'true'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'unshare -m -n is not permitted here';
  }
}

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
}
interface Binding {
  metadata: { namespace?: string };
  roleRef: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

/** The rules bound to a ServiceAccount in the sim's store, each limited to its RoleBinding's namespace. */
export async function serviceAccountRules(sim: Sim, namespace: string, name: string): Promise<PolicyRule[]> {
  const list = async <T>(resource: string) => (JSON.parse(await kubectl(sim.kubeconfigPath, ['get', resource, '-A', '-o', 'json'])) as { items: T[] }).items;
  const [roles, clusterRoles, bindings, clusterBindings] = await Promise.all([
    list<{ metadata: { name: string; namespace: string }; rules?: Rule[] }>('roles.rbac.authorization.k8s.io'),
    list<{ metadata: { name: string }; rules?: Rule[] }>('clusterroles.rbac.authorization.k8s.io'),
    list<Binding>('rolebindings.rbac.authorization.k8s.io'),
    list<Binding>('clusterrolebindings.rbac.authorization.k8s.io'),
  ]);
  const mine = (b: Binding) => (b.subjects ?? []).some((s) => s.kind === 'ServiceAccount' && s.name === name && s.namespace === namespace);
  const rulesOf = (b: Binding): Rule[] =>
    b.roleRef.kind === 'ClusterRole'
      ? (clusterRoles.find((r) => r.metadata.name === b.roleRef.name)?.rules ?? [])
      : (roles.find((r) => r.metadata.name === b.roleRef.name && r.metadata.namespace === b.metadata.namespace)?.rules ?? []);
  const policy = (r: Rule, namespaces?: string[]): PolicyRule => ({
    apiGroups: r.apiGroups ?? [],
    resources: r.resources ?? [],
    verbs: r.verbs ?? [],
    ...(r.resourceNames ? { resourceNames: r.resourceNames } : {}),
    ...(namespaces ? { namespaces } : {}),
  });
  return [
    ...bindings.filter(mine).flatMap((b) => rulesOf(b).map((r) => policy(r, [b.metadata.namespace ?? '']))),
    ...clusterBindings.filter(mine).flatMap((b) => rulesOf(b).map((r) => policy(r))),
  ];
}

export interface PodEnvironment {
  /** Prefix a command with these to run it in the pod's mount namespace. */
  wrap(argv: string[]): string[];
  env: NodeJS.ProcessEnv;
  token: string;
}

/**
 * The in-cluster environment of a pod running as `namespace`/`name`'s ServiceAccount: its token (a sim
 * user with the account's bound rules, read now), the CA, the namespace file and the service env.
 */
export async function podEnvironment(sim: Sim, namespace: string, name: string): Promise<PodEnvironment> {
  const rules = await serviceAccountRules(sim, namespace, name);
  const user = sim.addUser(`system:serviceaccount:${namespace}:${name}`, rules);
  const dir = join(sim.dir, 'serviceaccounts', `${namespace}.${name}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'token'), user.token);
  writeFileSync(join(dir, 'namespace'), namespace);
  execFileSync('cp', [sim.caPath, join(dir, 'ca.crt')]);
  const api = new URL(sim.server);
  const mount = `mount -t tmpfs -o mode=755 tmpfs /run && mkdir -p ${SERVICEACCOUNT_DIR} && cp ${dir}/token ${dir}/namespace ${dir}/ca.crt ${SERVICEACCOUNT_DIR}/ && exec "$@"`;
  return {
    // /var/run is /run on Debian; the tmpfs hides the host's /run from this process only.
    wrap: (argv) => ['unshare', '-m', '--propagation', 'private', 'sh', '-c', mount, 'sh', ...argv],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: join(dir, 'home'),
      KUBERNETES_SERVICE_HOST: api.hostname,
      KUBERNETES_SERVICE_PORT: api.port || '443',
      KUBERNETES_SERVICE_PORT_HTTPS: api.port || '443',
    },
    token: user.token,
  };
}

export interface OutsideNetwork {
  /** Prefix a command with these to run it where only the API server is reachable. */
  wrap(argv: string[]): string[];
  close(): Promise<void>;
}

/**
 * The unroutable-pods switch: a network namespace with loopback only, where a relay (this module run
 * as a script, below) listens on the API server's address and forwards over a unix socket to a relay
 * in this process, which connects to the real API server.
 */
export async function outsidePodNetwork(sim: Sim): Promise<OutsideNetwork> {
  const api = new URL(sim.server);
  const socketPath = join(sim.dir, `api-relay-${process.pid}-${Date.now()}.sock`);
  const conns = new Set<net.Socket>();
  const server = net.createServer((inner) => {
    const outer = net.connect({ host: api.hostname, port: Number(api.port) });
    for (const s of [inner, outer]) {
      conns.add(s);
      s.on('close', () => conns.delete(s));
      s.on('error', () => undefined);
    }
    inner.pipe(outer).pipe(inner);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  const relay = new URL(import.meta.url).pathname;
  return {
    wrap: (argv) => ['unshare', '-n', '--', process.execPath, '--import', 'tsx', relay, socketPath, api.hostname, api.port, '--', ...argv],
    close: () =>
      new Promise((resolve) => {
        for (const s of conns) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Inside the network namespace: loopback up, the API address served from the unix socket, then the command. */
async function relayMain(socketPath: string, host: string, port: string, argv: string[]): Promise<void> {
  const { spawn } = await import('node:child_process');
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  const server = net.createServer((client) => {
    const upstream = net.connect(socketPath);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(Number(port), host, resolve));
  const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    server.close();
    process.exit(code ?? 128 + (signal === 'SIGTERM' ? 15 : signal === 'SIGINT' ? 2 : 9));
  });
}

const sep = process.argv.indexOf('--');
if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1] && sep > 0) {
  const [socketPath, host, port] = process.argv.slice(2, sep);
  void relayMain(socketPath!, host!, port!, process.argv.slice(sep + 1));
}

/**
 * Rendered manifests with their workloads kept from running on their own: CronJobs suspended, Deployments
 * at 0 replicas. Tests that run the CLI as those pods would (podEnvironment) apply them so: as root with
 * the images built, the sim's kubelet runs the CLI image for real (test/e2e/incluster-runc.test.ts), and a
 * watch Deployment or a scheduled Job would repair beside the test — and listen on :9469 of the host.
 */
export function dormant<T extends { kind: string }>(objects: T[]): T[] {
  return objects.map((o) => {
    const spec = (o as { spec?: Record<string, unknown> }).spec;
    if (o.kind === 'CronJob') return { ...o, spec: { ...spec, suspend: true } };
    if (o.kind === 'Deployment') return { ...o, spec: { ...spec, replicas: 0 } };
    return o;
  });
}
