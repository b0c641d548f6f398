// The simulated cluster's Kubernetes API server: HTTPS with its own CA, bearer tokens, RBAC,
// discovery, CRUD + watch over the Store, pods/exec over websockets, eviction with PDBs, faults.
// Faithful enough that the real @kubernetes/client-node and kubectl work against it unchanged:
// kubectl 1.32 exec works with its defaults (websocket, v5.channel.k8s.io). There is no SPDY, so
// KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false makes kubectl exec fail here. No /openapi: kubectl copes.
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { makeClientCert, makePki, writeKubeconfig } from '../pki.ts';
import type { Store } from '../store.ts';
import type { ApiFault, ApiRequestRecord, NodeRuntime, PolicyRule, SimUser } from '../types.ts';
import { MASTERS, Users } from './auth.ts';
import { serviceAccountRules, serviceAccountUser } from './serviceaccounts.ts';
import type { ServerContext } from './context.ts';
import { handleUpgrade, pickProtocol } from './exec.ts';
import { FaultTable } from './faults.ts';
import { handlePortForward, isPortForward } from './portforward.ts';
import { handleRequest } from './router.ts';

export interface ApiServerOptions {
  store: Store;
  runtime: NodeRuntime;
  /** Where ca.crt, the server certificate and the kubeconfigs go. */
  dir: string;
  /** e.g. "127.100.0.1" */
  address: string;
  /** Default 0: an ephemeral port. */
  port?: number;
}

export interface ApiServer {
  /** https://<address>:<port> */
  url: string;
  caPath: string;
  /** kubeconfig <dir>/admin.kubeconfig, user "sim-admin", all rights (system:masters). */
  admin: SimUser;
  /** A token user with exactly these rules; kubeconfig <dir>/<name>.kubeconfig. */
  addUser(name: string, rules: PolicyRule[]): SimUser;
  /** A token of the ServiceAccount, as the kubelet mounts it in the account's pods: RBAC read at each request. */
  serviceAccountToken(namespace: string, name: string): string;
  /** A client-certificate user (CN name, O groups), with these rules; kubeconfig <dir>/<name>.kubeconfig. */
  addCertUser(name: string, groups: string[], rules?: PolicyRule[]): Promise<SimUser>;
  faults: { add(f: ApiFault): number; clear(id?: number): void };
  /** Every request served, in the order answered. */
  requests: ApiRequestRecord[];
  /** Closes the server, all watches and exec sockets; resolves when closed. */
  stop(): Promise<void>;
}

// The namespaces a real API server creates itself at start.
const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

function ensureSystemNamespaces(store: Store): void {
  for (const name of SYSTEM_NAMESPACES)
    if (!store.get('namespaces', undefined, name)) store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name }, status: { phase: 'Active' } });
}

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  await mkdir(opts.dir, { recursive: true });
  const pki = await makePki(opts.dir, opts.address);
  ensureSystemNamespaces(opts.store);
  const ctx: ServerContext = {
    store: opts.store,
    runtime: opts.runtime,
    users: new Users(),
    faults: new FaultTable(),
    requests: [],
    serverAddress: '',
    watches: new Set(),
  };
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => pickProtocol([...offered]) ?? false });
  // Go's net/http DefaultMaxHeaderBytes (1 MiB) bounds a real API server's request line + headers; Node's
  // default (16 KiB) would refuse exec URLs a real server accepts (the probe plan travels in argv).
  // Client certificates are asked for and verified against the cluster CA, never required: tokens work beside them.
  const server = createServer({ key: pki.keyPem, cert: pki.certPem, ca: pki.caPem, requestCert: true, rejectUnauthorized: false, maxHeaderSize: 1 << 20 }, (req, res) => void handleRequest(ctx, req, res));
  server.on('upgrade', (req, socket, head) => void (isPortForward(req) ? handlePortForward(ctx, req, socket, head) : handleUpgrade(ctx, wss, req, socket, head)));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.address, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  ctx.serverAddress = `${opts.address}:${port}`;
  const url = `https://${ctx.serverAddress}`;

  const addUser = (name: string, rules: PolicyRule[], groups: string[] = [], file = `${name}.kubeconfig`): SimUser => {
    const { token } = ctx.users.add(name, rules, groups);
    const kubeconfigPath = writeKubeconfig(join(opts.dir, file), { server: url, caPem: pki.caPem, user: name, token });
    return { name, token, kubeconfigPath };
  };
  const admin = addUser('sim-admin', [], [MASTERS], 'admin.kubeconfig');
  const addCertUser = async (name: string, groups: string[], rules: PolicyRule[] = []): Promise<SimUser> => {
    ctx.users.addNamed(name, rules);
    const client = await makeClientCert(opts.dir, name, groups);
    const kubeconfigPath = writeKubeconfig(join(opts.dir, `${name}.kubeconfig`), { server: url, caPem: pki.caPem, user: name, client });
    return { name, token: '', kubeconfigPath };
  };

  return {
    url,
    caPath: pki.caPath,
    admin,
    addUser: (name, rules) => addUser(name, rules),
    serviceAccountToken: (namespace, name) => {
      const { name: user, groups } = serviceAccountUser(namespace, name);
      return ctx.users.addDynamic(user, groups, () => serviceAccountRules(opts.store, namespace, name));
    },
    addCertUser,
    faults: { add: (f) => ctx.faults.add(f), clear: (id) => ctx.faults.clear(id) },
    requests: ctx.requests,
    stop: async () => {
      for (const close of ctx.watches) close();
      for (const ws of wss.clients) ws.terminate();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      wss.close();
    },
  };
}
