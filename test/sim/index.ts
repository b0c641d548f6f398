// startSim: the whole simulated cluster in this process — store, API server, controllers, scheduler,
// kubelet, CoreDNS pods as dnsmasq, kube-proxy, the upstream resolver and the fault switches.
import dgram from 'node:dgram';
import { chmodSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import dnsPacket from 'dns-packet';
import { startApiServer, type ApiServer } from './apiserver/index.ts';
import { API_SERVER_PORT, DNS_LABELS, baseObjects, kubeadmDnsObjects, nodeIdentity, resolveDnsConfig, workerNode } from './cluster.ts';
import { enterprise, nodeLocalShape, openshiftUidRanges, presetShape, windowsNodePool, type DnsShape } from './presets.ts';
import { ClusterAutoscaler, fillNodes } from './autoscaler.ts';
import { QuotaController } from './quota.ts';
import { Ipv6Addresses, ipv6Available, ipv6Prefix, reverseZone6 } from './network6.ts';
import { DeploymentController, EndpointSliceController, ReplicaSetController, ServiceIpAllocator, type Reconciler } from './controllers.ts';
import { ClusterDns } from './dns.ts';
import { createFaults, emptyFaultState } from './faults.ts';
import { Kubelet } from './kubelet.ts';
import { addressPlan, KubeProxy } from './network.ts';
import { NodeLocalPath } from './nodelocal.ts';
import { claimSubnet, releaseSubnet } from '../subnets.ts';
import { Scheduler } from './scheduler.ts';
import { DaemonSetController, StatefulSetController } from './workloads.ts';
import { CronJobController, JobController } from './batch.ts';
import { Store, type KObject } from './store.ts';
import type { Sim, SimDnsPod, SimDnsWorkload, SimOptions } from './types.ts';
import { Runc, runcProblem } from './runc.ts';

let saidNoRunc = false;
/** runc for the containers of the images `make images` built, or undefined with the reason said once per process. */
function containerRuntime(dir: string): Runc | undefined {
  const problem = runcProblem();
  if (!problem) return new Runc(dir);
  if (!saidNoRunc) process.stderr.write(`sim: containers run as host processes, not under runc: ${problem}\n`);
  saidNoRunc = true;
  return undefined;
}

export type { Sim, SimOptions } from './types.ts';
export { PRESETS, type PresetName } from './presets.ts';

const matches = (selector: Record<string, string>) => (p: KObject) => Object.entries(selector).every(([k, v]) => p.metadata.labels?.[k] === v);
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
  const nodeCount = opts.nodes ?? 3;
  const preset = opts.preset ?? 'kubeadm';
  const root = process.getuid?.() === 0;
  const context = {
    lowPort: (p: number) => (root ? p : p + 1000),
    domain: dnsConfig.clusterDomain,
    ...(opts.dns?.replicas !== undefined ? { replicas: opts.dns.replicas } : {}),
    dnsServiceIp: plan.dnsService,
    nodes: Array.from({ length: nodeCount }, (_, i) => ({ name: nodeIdentity(i, plan.node(i), preset === 'eks').name, ip: plan.node(i) })),
  };
  const shape = presetShape(preset, context);
  // NodeLocal DNSCache runs beside kubeadm's CoreDNS; its caches are no DNS workload of their own for the faults.
  const cache = preset === 'nodelocal' ? nodeLocalShape({ ...context, localIp: plan.nodeLocal }) : undefined;
  const kubeadm: SimDnsWorkload = {
    namespace: dnsConfig.namespace,
    selector: { ...DNS_LABELS },
    workload: { kind: 'Deployment', name: dnsConfig.deploymentName },
    service: { name: dnsConfig.serviceName, port: dnsConfig.port, headless: false },
    podPort: dnsConfig.port,
    configMap: dnsConfig.configMapName,
  };
  const workloadOf = (d: DnsShape): SimDnsWorkload => ({ namespace: d.namespace, selector: d.selector, workload: d.workload, service: d.service, podPort: d.podPort, configMap: d.configMap });
  // The workload the faults act on; l7mp's DNS servers run beside the cluster's own (kubeadm) CoreDNS.
  const target = shape ? workloadOf(shape) : kubeadm;
  const withKubeadm = !shape || preset === 'l7mp';
  const workloads = [...(withKubeadm && shape ? [target, kubeadm] : [target]), ...(cache ? [workloadOf(cache)] : [])];
  // dual-stack: IPv6 addresses on lo for pods and the kube-dns Service (root only).
  let ipv6: Ipv6Addresses | undefined;
  if (preset === 'dual-stack') {
    const why = ipv6Available();
    if (why) throw new Error(`the dual-stack preset ${why}`);
    ipv6 = new Ipv6Addresses(ipv6Prefix(plan.subnet));
    await ipv6.sweep();
  }
  const dns6 = ipv6?.add(1, 10);
  const objects = [...baseObjects(plan, nodeCount, shape ? 'default' : dnsConfig.namespace, opts.controlPlane ?? preset === 'enterprise', preset === 'eks'), ...(withKubeadm ? kubeadmDnsObjects(plan, dnsConfig, dns6) : []), ...(shape?.objects ?? []), ...(cache?.objects ?? [])];
  const namespaceObjects = objects.filter(([resource]) => resource === 'namespaces').map(([, o]) => o);
  if (preset === 'openshift') openshiftUidRanges(namespaceObjects);
  if (preset === 'enterprise') objects.push(...enterprise(namespaceObjects));
  objects.push(...windowsNodePool(preset, opts.windowsNodes ?? (preset === 'enterprise' ? 1 : 0)));
  for (const [resource, obj] of objects) store.create(resource, obj);
  // The enterprise preset has every hostile part: nodes at capacity, an autoscaler, Docker Hub rate-limited.
  const enterprisePart = <T>(option: T | undefined, onThere: T): T | undefined => option ?? (preset === 'enterprise' ? onThere : undefined);
  const autoscaling = enterprisePart(opts.autoscaler, {});

  const faultState = emptyFaultState();
  if (preset === 'enterprise') faultState.registries.set('docker.io', 'rate-limited');
  const upstream = { ip: plan.upstream, port: process.getuid?.() === 0 ? 53 : 1053 };
  const clusterDns = new ClusterDns(store, {
    dir,
    domain: dnsConfig.clusterDomain,
    subnet: plan.subnet,
    upstream: { address: upstream.ip, port: upstream.port },
    external: plan.external,
    faults: faultState,
    ...(ipv6 ? { reverse6: reverseZone6(ipv6.prefix) } : {}),
  });
  let apiServer: ApiServer | undefined;
  const kubelet = new Kubelet({
    store,
    dns: clusterDns,
    faults: faultState,
    subnet: plan.subnet,
    scale,
    podStartMs: opts.podStartMs ?? 300,
    dir,
    clusterDns: { ip: plan.dnsService, domain: dnsConfig.clusterDomain },
    ...(ipv6 ? { ipv6 } : {}),
    runc: containerRuntime(dir),
    apiServer: () => {
      if (!apiServer) return undefined;
      const url = new URL(apiServer.url);
      const server = apiServer;
      return { host: url.hostname, port: url.port, caPath: server.caPath, serviceAccountToken: (namespace, name) => server.serviceAccountToken(namespace, name) };
    },
    ...(opts.pulls ? { pulls: opts.pulls } : {}),
  });
  // NodeLocal DNSCache: the local address and, from a node with a cache, the Service IP reach that node's cache.
  const cachePath = cache
    ? new NodeLocalPath({ store, namespace: cache.namespace, selector: cache.selector, port: cache.podPort, localIp: plan.nodeLocal, serviceIp: plan.dnsService, nodeOf: (protocol, client, server) => kubelet.nodeOfSocket(protocol, client, server) })
    : undefined;
  const kubeProxy = new KubeProxy(store, plan.subnet, faultState, ipv6?.prefix, cachePath?.intercept);
  const reconcilers: Reconciler[] = [new ServiceIpAllocator(store, plan.subnet), new DeploymentController(store), new ReplicaSetController(store), new DaemonSetController(store), new StatefulSetController(store), new JobController(store, scale), new CronJobController(store), new Scheduler(store), new EndpointSliceController(store), new QuotaController(store)];
  if (autoscaling)
    reconcilers.push(new ClusterAutoscaler(store, {
      group: 'sim-node-group',
      max: autoscaling.max ?? nodeCount + 2,
      delayMs: autoscaling.delayMs ?? 1500,
      newNode: (i) => workerNode(i, plan, preset === 'eks'),
    }, nodeCount));

  let stopped = false;
  const stop = async () => {
    stopped = true;
    for (const r of reconcilers) r.stop();
    await kubelet.stop();
    await kubeProxy.stop();
    await cachePath?.stop();
    await clusterDns.stop();
    await apiServer?.stop();
    await ipv6?.removeAll();
    // Its addresses are free again: another sim of this run may take them.
    if (!opts.subnet) releaseSubnet(plan.subnet);
  };

  try {
    const api = startApiServer({ store, runtime: kubelet, dir, address: plan.apiServer, port: API_SERVER_PORT });
    await clusterDns.start();
    kubelet.start();
    for (const r of reconcilers) r.start();
    await kubeProxy.start();
    await cachePath?.start();
    apiServer = await api;
  } catch (err) {
    await stop();
    throw err;
  }
  const server = apiServer;

  const dnsPods = (): SimDnsPod[] =>
    store
      .list('pods', target.namespace, (p) => matches(target.selector)(p) && phaseOf(p) !== 'Succeeded' && phaseOf(p) !== 'Failed')
      .map((p) => {
        const name = p.metadata.name ?? '';
        const pid = kubelet.dnsPid(target.namespace, name);
        return {
          name,
          namespace: target.namespace,
          ip: (p.status as { podIP?: string } | undefined)?.podIP ?? '',
          node: (p.spec as { nodeName?: string }).nodeName ?? '',
          ...(pid ? { pid } : {}),
        };
      });

  const faults = createFaults(faultState, {
    requireDnsPod(pod) {
      if (!dnsPods().some((p) => p.name === pod))
        throw new Error(`no DNS pod "${pod}" in namespace ${target.namespace}; current ones: ${dnsPods().map((p) => p.name).join(', ') || 'none'}`);
    },
    signalDns(pod, sig) {
      const pid = kubelet.dnsPid(target.namespace, pod);
      if (!pid) throw new Error(`CoreDNS pod "${pod}" has no running DNS process right now`);
      process.kill(pid, sig);
    },
    refreshRecords: (pod) => clusterDns.refresh(pod),
    pauseUpstream: () => clusterDns.pauseUpstream(),
    resumeUpstream: () => clusterDns.resumeUpstream(),
    pauseStub: (zone, pause) => clusterDns.pauseStub(zone, pause),
    scaleDns(replicas) {
      const { kind, name } = target.workload;
      if (kind === 'DaemonSet') throw new Error(`${target.namespace}/${name} is a DaemonSet (one pod per node): it cannot be scaled`);
      store.mutate(`${kind.toLowerCase()}s.apps`, target.namespace, name, (o) => void ((o.spec as { replicas?: number }).replicas = replicas));
    },
    podOrNode(name) {
      if (dnsPods().some((p) => p.name === name)) return `${target.namespace}/${name}`;
      if (name.includes('/') && store.get('pods', name.split('/')[0], name.split('/')[1] ?? '')) return name;
      if (store.get('nodes', undefined, name)) return undefined;
      throw new Error(`no DNS pod or node "${name}" (a pod of another namespace as namespace/name); DNS pods: ${dnsPods().map((p) => p.name).join(', ') || 'none'}`);
    },
    nodeLocalPod(node) {
      if (!cache) throw new Error(`nodelocal-down needs the nodelocal preset (this sim plays ${preset})`);
      const pod = store.list('pods', cache.namespace, (p) => matches(cache.selector)(p) && (p.spec as { nodeName?: string }).nodeName === node && !p.metadata.deletionTimestamp)[0];
      const pid = pod && kubelet.dnsPid(cache.namespace, pod.metadata.name ?? '');
      if (!pod || !pid) throw new Error(`no running node-local-dns pod on node "${node}"`);
      return { name: pod.metadata.name ?? '', pid };
    },
    loseSandbox(key) {
      const [ns, pod] = key.split('/') as [string, string];
      kubelet.loseSandbox(ns, pod);
    },
    requireNode(node) {
      if (!store.get('nodes', undefined, node)) throw new Error(`no node "${node}"; nodes: ${store.list('nodes').map((n) => n.metadata.name).join(', ')}`);
    },
    fillNodes: () => fillNodes(store),
    api: server.faults,
  });

  const dnsService = () => ({ ip: target.service.headless ? 'None' : plan.dnsService, port: target.service.port });

  /** How many pods the workload wants: replicas, or one per node matching a DaemonSet's nodeSelector. */
  const wanted = (w: SimDnsWorkload): number => {
    const res = `${w.workload.kind.toLowerCase()}s.apps`;
    const obj = store.get(res, w.namespace, w.workload.name);
    if (w.workload.kind !== 'DaemonSet') return (obj?.spec as { replicas?: number } | undefined)?.replicas ?? 1;
    const selector = (obj?.spec as { template?: { spec?: { nodeSelector?: Record<string, string> } } } | undefined)?.template?.spec?.nodeSelector ?? {};
    return store.list('nodes', undefined, matches(selector)).length;
  };

  /** Nodes at capacity once every DNS pod has its node: the room a busy cluster's workloads leave. */
  const fillOncePlaced = async () => {
    const deadline = Date.now() + 30_000;
    const placed = () => workloads.every((w) => store.list('pods', w.namespace, (p) => matches(w.selector)(p) && !!(p.spec as { nodeName?: string }).nodeName).length >= wanted(w));
    while (!placed() && !stopped && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (!stopped) fillNodes(store);
  };
  const filled = enterprisePart(opts.atCapacity, true) ? fillOncePlaced() : Promise.resolve();

  /** Every DNS workload's pods Running+Ready (as many as it wants), their fronts answer, and the Service forwards. */
  const waitReady = async (timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    await filled;
    const probeName = `kubernetes.default.svc.${dnsConfig.clusterDomain}`;
    for (;;) {
      const states: string[] = [];
      let ok = true;
      for (const w of workloads) {
        const want = wanted(w);
        const pods = store.list('pods', w.namespace, (p) => matches(w.selector)(p) && !p.metadata.deletionTimestamp && phaseOf(p) !== 'Failed');
        if (pods.length === want && pods.every((p) => phaseOf(p) === 'Running' && isReady(p))) {
          const ips = pods.map((p) => (p.status as { podIP: string }).podIP);
          const service = w.service.headless ? [] : [dnsAnswers(plan.dnsService, w.service.port, probeName)];
          const answers = await Promise.all([...ips.map((ip) => dnsAnswers(ip, w.podPort, probeName)), ...service]);
          if (answers.every(Boolean)) continue;
        }
        ok = false;
        states.push(`${w.namespace}/${w.workload.name} ${pods.length}/${want}: ${pods.map((p) => `${p.metadata.name}: ${phaseOf(p) ?? 'no phase'}${isReady(p) ? ' ready' : ''}`).join(', ') || 'none'}`);
      }
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`the sim's DNS pods were not ready within ${timeoutMs} ms (${states.join('; ')})`);
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
    runcContainers: kubelet.runcContainers,
    addCertUser: (name, groups, rules) => server.addCertUser(name, groups, rules),
    preset,
    dnsWorkload: () => structuredClone(target),
    dnsPods,
    dnsService,
    upstream,
    faults,
    requests: server.requests,
    waitReady,
    stop,
  };
}
