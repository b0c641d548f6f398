// NodeLocal DNSCache's data path (nodelocal preset). On a node with a node-local-dns pod, DNS sent to
// the cache's local address, or to the kube-dns Service IP (the cache binds both in iptables mode and
// its NOTRACK rules keep kube-proxy out), reaches that node's cache — hung or dead with it. From no node
// (a test's dig) the Service IP goes through kube-proxy as usual and the local address answers nothing.
// A client's node is the node of the pod process that owns its socket (sockets.ts).
import { closeRelayPair, openRelayPair, type Backend, type Intercept, type RelayPair } from './network.ts';
import type { KObject, Store } from './store.ts';

export interface NodeLocalPathOptions {
  store: Store;
  namespace: string;
  selector: Record<string, string>;
  /** The cache's DNS port, on its local address and on the Service IP. */
  port: number;
  localIp: string;
  serviceIp: string;
  nodeOf(protocol: 'udp' | 'tcp', client: Backend, server: Backend): string | undefined;
}

export class NodeLocalPath {
  private front?: RelayPair;

  constructor(private readonly o: NodeLocalPathOptions) {}

  /** kube-proxy's hook: the Service IP from a node with a cache goes to that cache. */
  readonly intercept: Intercept = (protocol, client, server) =>
    server.address === this.o.serviceIp && server.port === this.o.port ? this.cacheFor(protocol, client, server) : undefined;

  /** The cache pod scheduled on the node (its hostNetwork address), running or not; undefined without one. */
  cacheOn(node: string): Backend | undefined {
    const onNode = (p: KObject) =>
      (p.spec as { nodeName?: string }).nodeName === node && !p.metadata.deletionTimestamp && Object.entries(this.o.selector).every(([k, v]) => p.metadata.labels?.[k] === v);
    const ip = (this.o.store.list('pods', this.o.namespace, onNode)[0]?.status as { podIP?: string } | undefined)?.podIP;
    return ip ? { address: ip, port: this.o.port } : undefined;
  }

  private cacheFor(protocol: 'udp' | 'tcp', client: Backend, server: Backend): Backend | undefined {
    const node = this.o.nodeOf(protocol, client, server);
    return node === undefined ? undefined : this.cacheOn(node);
  }

  /** Listens on the local address: each flow goes to the cache of its client's node. */
  async start(): Promise<void> {
    const listen = { address: this.o.localIp, port: this.o.port };
    this.front = await openRelayPair(
      { listen, route: (client) => this.cacheFor('udp', client, listen), flowIdleMs: 5000 },
      { listen, route: (client) => this.cacheFor('tcp', client, listen) },
    );
  }

  async stop(): Promise<void> {
    if (this.front) await closeRelayPair(this.front);
    this.front = undefined;
  }
}
