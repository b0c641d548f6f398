// startSim: the whole simulated cluster in this process — store, API server, controllers, scheduler,
// kubelet, CoreDNS pods as dnsmasq, kube-proxy, the upstream resolver and the fault switches.
import dgram from 'node:dgram';
import { chmodSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import dnsPacket from 'dns-packet';
import { startApiServer, type ApiServer } from './apiserver/index.ts';
import { API_SERVER_PORT, DNS_LABELS, defaultObjects, resolveDnsConfig } from './cluster.ts';
import { DeploymentController, EndpointSliceController, ReplicaSetController, ServiceIpAllocator } from './controllers.ts';
import { ClusterDns } from './dns.ts';
import { createFaults, emptyFaultState } from './faults.ts';
import { Kubelet } from './kubelet.ts';
import { addressPlan, KubeProxy } from './network.ts';
import { claimSubnet } from '../subnets.ts';
import { Scheduler } from './scheduler.ts';
import { DaemonSetController, StatefulSetController } from './workloads.ts';
import { Store, type KObject } from './store.ts';
import type { Sim, SimDnsPod, SimOptions } from './types.ts';

export type { Sim, SimOptions } from './types.ts';

const isDnsPod = (p: KObject) => Object.entries(DNS_LABELS).every(([k, v]) => p.metadata.labels?.[k] === v);
const phaseOf = (p: KObject) => (p.status as { phase?: string } | undefined)?.phase;
const isReady = (p: KObject) => ((p.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** One UDP or TCP DNS question; true when any answer (even NXDOMAIN) comes back in time. */
export function dnsAnswers(ip: string, port: number, name: string, timeoutMs = 500): Promise<boolean> {
  const query = dnsPacket.encode({ type: 'query', id: Math.floor(Math.random() * 65535), flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name }] });
  return new Promise((done) => {
    const s = dgram.createSocket('udp4');
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      s.close();
      done(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    s.on('error', () => finish(false));
    s.on('message', () => finish(true));
    s.send(query, port, ip);
  });
}

export async function startSim(opts: SimOptions = {}): Promise<Sim> {
  const dir = opts.dir ? resolve(opts.dir) : mkdtempSync(join(tmpdir(), 'sentinel-sim-'));
  mkdirSync(dir, { recursive: true });
  // Probe processes may run as another uid (runAsUser): let them traverse to what they need.
  chmodSync(dir, 0o755);
  const plan = addressPlan(opts.subnet ?? claimSubnet());
  const dnsConfig = resolveDnsConfig(opts.dns);
  const scale = opts.timing?.scale ?? 1;
  const store = new Store();
  for (const [resource, obj] of defaultObjects(plan, opts.nodes ?? 3, dnsConfig)) store.create(resource, obj);

  const faultState = emptyFaultState();
  const upstream = { ip: plan.upstream, port: process.getuid?.() === 0 ? 53 : 1053 };
  const clusterDns = new ClusterDns(store, {
    dir,
    domain: dnsConfig.clusterDomain,
    subnet: plan.subnet,
    upstream: { address: upstream.ip, port: upstream.port },
    external: plan.external,
    faults: faultState,
  });
  const kubelet = new Kubelet({
    store,
    dns: clusterDns,
    faults: faultState,
    subnet: plan.subnet,
    scale,
    podStartMs: opts.podStartMs ?? 300,
    dir,
    clusterDns: { ip: plan.dnsService, domain: dnsConfig.clusterDomain },
  });
  const kubeProxy = new KubeProxy(store, plan.subnet);
  const reconcilers = [new ServiceIpAllocator(store, plan.subnet), new DeploymentController(store), new ReplicaSetController(store), new DaemonSetController(store), new StatefulSetController(store), new Scheduler(store), new EndpointSliceController(store)];
  let apiServer: ApiServer | undefined;

  const stop = async () => {
    for (const r of reconcilers) r.stop();
    await kubelet.stop();
    await kubeProxy.stop();
    await clusterDns.stop();
    await apiServer?.stop();
  };

  try {
    const api = startApiServer({ store, runtime: kubelet, dir, address: plan.apiServer, port: API_SERVER_PORT });
    await clusterDns.start();
    kubelet.start();
    for (const r of reconcilers) r.start();
    await kubeProxy.start();
    apiServer = await api;
  } catch (err) {
    await stop();
    throw err;
  }
  const server = apiServer;

  const dnsPods = (): SimDnsPod[] =>
    store
      .list('pods', dnsConfig.namespace, (p) => isDnsPod(p) && phaseOf(p) !== 'Succeeded' && phaseOf(p) !== 'Failed')
      .map((p) => {
        const name = p.metadata.name ?? '';
        const pid = kubelet.dnsPid(dnsConfig.namespace, name);
        return {
          name,
          namespace: dnsConfig.namespace,
          ip: (p.status as { podIP?: string } | undefined)?.podIP ?? '',
          node: (p.spec as { nodeName?: string }).nodeName ?? '',
          ...(pid ? { pid } : {}),
        };
      });

  const faults = createFaults(faultState, {
    requireDnsPod(pod) {
      if (!dnsPods().some((p) => p.name === pod))
        throw new Error(`no CoreDNS pod "${pod}" in namespace ${dnsConfig.namespace}; current ones: ${dnsPods().map((p) => p.name).join(', ') || 'none'}`);
    },
    signalDns(pod, sig) {
      const pid = kubelet.dnsPid(dnsConfig.namespace, pod);
      if (!pid) throw new Error(`CoreDNS pod "${pod}" has no running DNS process right now`);
      process.kill(pid, sig);
    },
    refreshRecords: (pod) => clusterDns.refresh(pod),
    pauseUpstream: () => clusterDns.pauseUpstream(),
    resumeUpstream: () => clusterDns.resumeUpstream(),
    requireNode(node) {
      if (!store.get('nodes', undefined, node)) throw new Error(`no node "${node}"; nodes: ${store.list('nodes').map((n) => n.metadata.name).join(', ')}`);
    },
    api: server.faults,
  });

  const dnsService = () => ({ ip: plan.dnsService, port: dnsConfig.port });

  /** All CoreDNS pods Running+Ready (as many as the Deployment wants), their fronts answer, and the Service forwards. */
  const waitReady = async (timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    const probeName = `kubernetes.default.svc.${dnsConfig.clusterDomain}`;
    for (;;) {
      const want = (store.get('deployments.apps', dnsConfig.namespace, dnsConfig.deploymentName)?.spec as { replicas?: number } | undefined)?.replicas ?? dnsConfig.replicas;
      const pods = store.list('pods', dnsConfig.namespace, (p) => isDnsPod(p) && !p.metadata.deletionTimestamp && phaseOf(p) !== 'Failed');
      if (pods.length === want && pods.every((p) => phaseOf(p) === 'Running' && isReady(p))) {
        const ips = pods.map((p) => (p.status as { podIP: string }).podIP);
        const answers = await Promise.all([...ips.map((ip) => dnsAnswers(ip, dnsConfig.port, probeName)), dnsAnswers(plan.dnsService, dnsConfig.port, probeName)]);
        if (answers.every(Boolean)) return;
      }
      if (Date.now() > deadline) {
        const states = pods.map((p) => `${p.metadata.name}: ${phaseOf(p) ?? 'no phase'}${isReady(p) ? ' ready' : ''}`).join(', ');
        throw new Error(`the sim's CoreDNS pods were not ready within ${timeoutMs} ms (${pods.length}/${want}: ${states || 'none'})`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  return {
    server: server.url,
    kubeconfigPath: server.admin.kubeconfigPath,
    caPath: server.caPath,
    dir,
    admin: server.admin,
    addUser: (name, rules) => server.addUser(name, rules),
    dnsPods,
    dnsService,
    upstream,
    faults,
    requests: server.requests,
    waitReady,
    stop,
  };
}
