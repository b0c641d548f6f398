// `make sim`: the simulated cluster in the foreground, with a control socket for the demo's fault CLI
// (test/sim/fault.ts). Stops cleanly on SIGINT/SIGTERM.
import { existsSync, rmSync } from 'node:fs';
import http from 'node:http';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { startSim } from './index.ts';
import { isPreset, PRESETS } from './presets.ts';
import { REGISTRY_OUTCOMES, type RegistryOutcome } from './registry.ts';

/** The longest readiness any preset needs (openshift: 10 s delay + a 3 s period), with room for a slow machine. */
const READY_WAIT_MS = 30_000;
import type { Sim } from './types.ts';
import { apiFault, describeApiFault } from './apiserver/faults.ts';

export const CONTROL_SOCKET = 'control.sock';

/** Runs one fault CLI command against the sim; returns the text to print, throws a one-line Error. */
export function runControlCommand(sim: Sim, command: string, args: string[]): string {
  const pods = sim.dnsPods();
  const pod = (arg: string | undefined) => {
    if (!arg) throw new Error(`${command} needs a CoreDNS pod name or --any (see: pods)`);
    if (arg !== '--any') return arg;
    const first = pods.find((p) => p.pid);
    if (!first) throw new Error('no CoreDNS pod is running right now');
    return first.name;
  };
  const need = (i: number, what: string) => {
    const v = args[i];
    if (v === undefined) throw new Error(`${command} needs ${what}`);
    return v;
  };
  switch (command) {
    case 'pods':
      return pods.map((p) => `${p.name}\t${p.ip}\t${p.node}\t${p.pid ? `pid ${p.pid}` : 'not running'}`).join('\n') || 'no CoreDNS pods';
    case 'hang-dns': {
      const name = pod(args[0]);
      sim.faults.hangDns(name);
      return `${name}: DNS process stopped (health still answers)`;
    }
    case 'drop-udp': {
      const name = pod(args[0]);
      sim.faults.dropUdp(name);
      return `${name}: UDP to its DNS port is dropped`;
    }
    case 'conntrack-race':
      sim.faults.conntrackRace();
      return 'Service IPs lose the second datagram of every new UDP flow (conntrack insertion race)';
    case 'stale-watch': {
      const name = pod(args[0]);
      sim.faults.staleWatch(name);
      return `${name}: its records stop following Service changes (stale Kubernetes watch)`;
    }
    case 'crash': {
      const name = pod(args[0]);
      sim.faults.crash(name);
      return `${name}: DNS process killed once`;
    }
    case 'crash-loop': {
      const name = pod(args[0]);
      sim.faults.crashLoop(name);
      return `${name}: crash-looping (loop plugin FATAL)`;
    }
    case 'wrong-record': {
      const name = pod(args[0]);
      sim.faults.wrongRecord(name, need(1, 'a DNS name'), need(2, 'an address'));
      return `${name}: answers ${args[1]} with ${args[2]}`;
    }
    case 'slow': {
      const name = pod(args[0]);
      const ms = Number(need(1, 'a delay in ms'));
      if (!Number.isFinite(ms) || ms < 0) throw new Error(`slow needs a delay in ms, got "${args[1]}"`);
      sim.faults.slow(name, ms);
      return `${name}: answers delayed by ${ms} ms`;
    }
    case 'upstream-down':
      sim.faults.upstreamDown();
      return 'upstream resolver stopped: external names fail, cluster names still answer';
    case 'node-no-network': {
      const node = need(0, 'a node name');
      sim.faults.nodeNoNetwork(node);
      return `${node}: pods started there have no network`;
    }
    case 'unpullable-image': {
      const image = need(0, 'an image');
      sim.faults.unpullableImage(image);
      return `${image}: never pulls (ImagePullBackOff)`;
    }
    case 'registry': {
      const host = need(0, 'a registry host (docker.io, quay.io, …)');
      const outcome = need(1, `an outcome (${REGISTRY_OUTCOMES.join(', ')})`);
      if (!(REGISTRY_OUTCOMES as readonly string[]).includes(outcome)) throw new Error(`unknown outcome "${outcome}"; try: ${REGISTRY_OUTCOMES.join(', ')}`);
      const after = args[2] === '--after' ? Number(need(3, 'a pull count after --after')) : undefined;
      sim.faults.registry(host, outcome as RegistryOutcome, after);
      return `${host}: pulls fail (${outcome})${after !== undefined ? ` after ${after} more` : ''}`;
    }
    case 'nodes-at-capacity': {
      const pods = sim.faults.nodesAtCapacity();
      return `${pods.length} workload pod(s) fill the Linux nodes' cpu: ${pods.join(', ') || 'none (already full)'}`;
    }
    case 'stub-down': {
      const domain = need(0, 'a stub domain (e.g. one of a coredns-custom *.server block)');
      sim.faults.stubDown(domain);
      return `${domain}: its upstream stopped (other zones and external names still answer)`;
    }
    case 'scale': {
      const n = Number(need(0, 'a replica count'));
      sim.faults.scale(n);
      const w = sim.dnsWorkload();
      return `${w.namespace}/${w.workload.name} scaled to ${n}`;
    }
    case 'cni-fail': {
      const target = need(0, 'a DNS pod name or a node name');
      sim.faults.cniFail(target);
      return `${target}: pod sandboxes fail (networkPlugin cni failed); pods wait in ContainerCreating`;
    }
    case 'drop-family': {
      const family = need(0, 'an address family (ipv6) and optionally a CoreDNS pod name or --any');
      const one = args[1] === undefined ? undefined : pod(args[1]);
      sim.faults.dropFamily(family, one);
      return one ? `${one}: answers nothing on its ${family} address` : `${family}: DNS pods answer nothing on their ${family} addresses`;
    }
    case 'nodelocal-down': {
      const node = need(0, 'a node name');
      const dead = args[1] === '--dead';
      sim.faults.nodeLocalDown(node, dead ? 'dead' : 'hung');
      return `${node}: its NodeLocal DNSCache ${dead ? 'killed and crash-looping' : 'stopped answering (hung)'}`;
    }
    case 'api':
    case 'api-latency': {
      const fault = apiFault(command, args);
      const id = sim.faults.api(fault);
      return `API fault ${id}: ${describeApiFault(fault)}`;
    }
    case 'api-clear': {
      const id = args[0] === undefined ? undefined : Number(args[0]);
      if (id !== undefined && !Number.isInteger(id)) throw new Error(`api-clear needs a fault id (printed by api), got "${args[0]}"`);
      sim.faults.clearApi(id);
      return id === undefined ? 'API faults cleared' : `API fault ${id} cleared`;
    }
    case 'clear':
      sim.faults.clear();
      return 'all faults cleared';
    default:
      throw new Error(`unknown command "${command}"; try: pods, hang-dns, drop-udp, stale-watch, conntrack-race, crash, crash-loop, wrong-record, slow, upstream-down, stub-down, scale, cni-fail, drop-family, nodelocal-down, node-no-network, unpullable-image, registry, nodes-at-capacity, api, api-latency, api-clear, clear`);
  }
}

/** HTTP over a unix socket: POST / {"command", "args"} → 200 text, or 400 with the one-line error. */
export function serveControl(sim: Sim, socketPath: string): Promise<http.Server> {
  if (existsSync(socketPath)) rmSync(socketPath);
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      try {
        const { command, args } = JSON.parse(body) as { command: string; args?: string[] };
        const text = runControlCommand(sim, command, args ?? []);
        res.writeHead(200, { 'content-type': 'text/plain' }).end(text);
      } catch (err) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end((err as Error).message);
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve(server));
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string', default: '.sim' },
      subnet: { type: 'string', default: '127.10' },
      replicas: { type: 'string' },
      port: { type: 'string' },
      namespace: { type: 'string' },
      preset: { type: 'string', default: 'kubeadm' },
      windows: { type: 'string' },
    },
  });
  if (!isPreset(values.preset)) throw new Error(`--preset must be one of ${PRESETS.join(', ')}; got "${values.preset}"`);
  const num = (v: string | undefined, flag: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} must be a positive integer, got "${v}"`);
    return n;
  };
  const t0 = performance.now();
  const sim = await startSim({
    dir: values.dir,
    subnet: values.subnet,
    preset: values.preset,
    // make sim PRESET=kubeadm: a cluster as kubeadm init leaves it, its control plane tainted.
    controlPlane: values.preset === 'kubeadm' || values.preset === 'enterprise',
    dns: { replicas: num(values.replicas, 'replicas'), port: num(values.port, 'port'), namespace: values.namespace },
    // make sim PRESET=gke WINDOWS=1: a Windows node pool beside the Linux nodes.
    ...(values.windows !== undefined ? { windowsNodes: num(values.windows, 'windows') } : {}),
  });
  let control: http.Server | undefined;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    control?.close();
    await sim.stop();
    rmSync(join(sim.dir, CONTROL_SOCKET), { force: true });
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  try {
    // Every preset's DNS pods Ready within their own readiness time: openshift's probe starts after
    // initialDelaySeconds 10, then needs a period (3 s) — 10 s of waiting always failed it.
    await sim.waitReady(READY_WAIT_MS);
    control = await serveControl(sim, join(sim.dir, CONTROL_SOCKET));
  } catch (err) {
    console.error(`sim: ${(err as Error).message}`);
    await sim.stop();
    process.exit(1);
  }
  const rel = relative(process.cwd(), sim.kubeconfigPath);
  const kubeconfig = rel.startsWith('..') ? sim.kubeconfigPath : rel;
  const dns = sim.dnsService();
  const w = sim.dnsWorkload();
  console.log(`sim ready in ${Math.round(performance.now() - t0)} ms (preset ${sim.preset}): API ${sim.server}, ${w.workload.kind} ${w.namespace}/${w.workload.name}, Service ${w.service.name} ${dns.ip}:${dns.port} → pods :${w.podPort}, upstream ${sim.upstream.ip}:${sim.upstream.port}`);
  console.log(`kubeconfig: ${kubeconfig}`);
  console.log(`try: kubectl --kubeconfig ${kubeconfig} get pods -n ${w.namespace}   (faults: node --import tsx test/sim/fault.ts --dir ${values.dir} pods; Ctrl-C stops)`);
}

main().catch((err: Error) => {
  console.error(`sim: ${err.message}`);
  process.exit(1);
});
