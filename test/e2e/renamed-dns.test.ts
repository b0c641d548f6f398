// CoreDNS renamed, built by hand with the real kubectl on the sim: namespace dns-system, Deployment
// my-dns (pods app=my-dns), Service cluster-dns holding the cluster DNS IP the kubelet gives pods,
// ConfigMap my-dns — none of the distributions' names. From outside the cluster, with no flags, one
// extra probe pod reads that IP from its /etc/resolv.conf, and check, a hung pod's check and doctor
// all find the workload through it; a user who may not list Services cluster-wide is told that rule.
import assert from 'node:assert/strict';
import { startSim, type Sim } from '../sim/index.ts';
import { processesMentioning, waitFor } from '../sim/sim-fixtures.ts';
import { connect } from '../../src/kube/index.ts';
import { kubectl, simOnly } from './cluster.ts';
import { buildCli, cli, probePodsLeft } from './cli.ts';

const NS = 'dns-system';
const SELECTOR = 'app=my-dns';

type Obj = { metadata: Record<string, unknown>; spec?: Record<string, unknown>; data?: Record<string, string> };

async function getJson(sim: Sim, args: string[]): Promise<Obj> {
  const got = await kubectl(sim.kubeconfigPath, ['get', ...args, '-o', 'json']);
  assert.equal(got.status, 0, got.stderr);
  return JSON.parse(got.stdout) as Obj;
}

/** The sim's kubeadm CoreDNS, moved and renamed with kubectl: its objects read, deleted, applied under the new names. */
async function renameDns(sim: Sim): Promise<void> {
  const [deployment, configMap, service] = await Promise.all([
    getJson(sim, ['deployment', 'coredns', '-n', 'kube-system']),
    getJson(sim, ['configmap', 'coredns', '-n', 'kube-system']),
    getJson(sim, ['service', 'kube-dns', '-n', 'kube-system']),
  ]);
  const clusterIP = service.spec!.clusterIP as string;
  const ok = async (args: string[], input?: string) => {
    const run = await kubectl(sim.kubeconfigPath, args, input);
    assert.equal(run.status, 0, `kubectl ${args.join(' ')}: ${run.stderr}`);
  };
  // The Service first, so its ClusterIP is free for cluster-dns; the pods go with the Deployment's scale to 0.
  await ok(['delete', 'service', 'kube-dns', '-n', 'kube-system']);
  await ok(['scale', 'deployment', 'coredns', '-n', 'kube-system', '--replicas', '0']);
  const { client } = connect({ kubeconfig: sim.kubeconfigPath });
  await waitFor('the kube-system CoreDNS pods gone', async () => (await client.listPods('kube-system', 'k8s-app=kube-dns')).length === 0, 30_000, 100);
  await ok(['delete', 'deployment', 'coredns', '-n', 'kube-system']);
  await ok(['delete', 'configmap', 'coredns', '-n', 'kube-system']);

  const template = (deployment.spec!.template as { spec: { volumes: { configMap?: { name: string } }[] } }).spec;
  for (const v of template.volumes) if (v.configMap) v.configMap.name = 'my-dns';
  const labels = { app: 'my-dns' };
  const objects = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'my-dns', namespace: NS }, data: configMap.data },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'my-dns', namespace: NS, labels },
      spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: template } },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'cluster-dns', namespace: NS, labels },
      spec: { clusterIP, clusterIPs: [clusterIP], selector: labels, ports: service.spec!.ports },
    },
  ];
  await ok(['apply', '--validate=false', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
  await waitFor('my-dns pods Running and Ready', async () => {
    const pods = await client.listPods(NS, SELECTOR);
    return pods.length === 2 && pods.every((p) => p.phase === 'Running' && p.conditions.some((c) => c.type === 'Ready' && c.status === 'True'));
  }, 30_000, 100);
}

/** SIGSTOP of the pod's dnsmasq (its config lives under the sim's coredns/<pod>/): hung, its health endpoint still OK. */
async function hang(sim: Sim, pod: string): Promise<number> {
  const lines = await processesMentioning(`${sim.dir}/coredns/${pod}/dnsmasq.conf`);
  assert.equal(lines.length, 1, lines.join('\n'));
  const pid = Number(lines[0]!.trim().split(/\s+/)[0]);
  process.kill(pid, 'SIGSTOP');
  return pid;
}

describe('discovery e2e: a renamed CoreDNS (dns-system/my-dns behind Service cluster-dns), found from outside', function () {
  this.timeout(180_000);
  let sim: Sim;
  let clusterIP: string;
  const base = () => ['check', '--kubeconfig', sim.kubeconfigPath, '-o', 'json', '--samples', '1', '--timeout', '500ms', '--no-freshness'];
  const podCreates = (from: number) => sim.requests.slice(from).filter((r) => r.verb === 'create' && r.resource === 'pods');

  before(async function () {
    simOnly(this);
    this.timeout(120_000);
    buildCli();
    sim = await startSim({ timing: { scale: 0.1 } });
    await sim.waitReady(60_000);
    clusterIP = sim.dnsService().ip;
    await renameDns(sim);
  });
  afterEach(async () => assert.deepEqual(await probePodsLeft(sim.kubeconfigPath), []));
  after(async () => sim?.stop());

  it('check with no flags → one extra probe pod reads the nameserver (said in a note), the my-dns pods probed, exit 0', async () => {
    const from = sim.requests.length;
    const run = await cli(base());
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const notes = run.json?.notes ?? [];
    assert.ok(notes.some((n) => new RegExp(`^no DNS Service under the known names: probe pod coredns-sentinel-probe-\\w+ read the pods' nameserver ${clusterIP} from its /etc/resolv.conf \\(one extra probe pod, deleted; not reused`).test(n)), notes.join('\n'));
    assert.ok(notes.includes(`DNS Service ${NS}/cluster-dns: its ClusterIP ${clusterIP} is the pods' nameserver`), notes.join('\n'));
    const { client } = connect({ kubeconfig: sim.kubeconfigPath });
    const pods = (await client.listPods(NS, SELECTOR)).map((p) => p.name).sort();
    assert.deepEqual(run.json?.targets?.filter((t) => t.kind === 'pod').map((t) => t.label).sort(), pods);
    assert.equal(run.json?.targets?.find((t) => t.kind === 'service')?.label, 'service cluster-dns');
    // The nameserver pod and the probe pod: one extra pod start, no more.
    assert.equal(podCreates(from).length, 2, JSON.stringify(podCreates(from)));
  });

  it('one my-dns pod hung → exit 1, that pod flagged pod-local and planned for repair, nothing restarted', async () => {
    const { client } = connect({ kubeconfig: sim.kubeconfigPath });
    const victim = (await client.listPods(NS, SELECTOR)).map((p) => p.name).sort()[0]!;
    const pid = await hang(sim, victim);
    try {
      const from = sim.requests.length;
      const run = await cli([...base(), '--repair', '--dry-run']);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.deepEqual(run.json?.targets?.filter((t) => t.kind === 'pod' && t.udp === 'fail').map((t) => t.label), [victim]);
      assert.equal(run.json?.classification, 'pod-local', run.json?.reason);
      assert.deepEqual(run.json?.repair?.actions?.map((a) => a.pod), [victim]);
      assert.deepEqual(sim.requests.slice(from).filter((r) => r.resource === 'pods/eviction' || (r.verb === 'delete' && r.resource === 'pods' && r.namespace === NS)), []);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });

  it('a user who may not list Services across namespaces → exit 3 naming that rule (never managed DNS), the one pod deleted', async () => {
    const user = sim.addUser('no-cluster-list', [
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
      { apiGroups: [''], resources: ['pods/exec'], verbs: ['get', 'create'] },
      { apiGroups: [''], resources: ['services'], verbs: ['get', 'list'], namespaces: ['kube-system', 'openshift-dns', 'default'] },
    ]);
    const from = sim.requests.length;
    const run = await cli(['check', '--kubeconfig', user.kubeconfigPath, '--samples', '1', '--timeout', '500ms', '--no-freshness']);
    assert.equal(run.code, 3, run.stdout + run.stderr);
    assert.match(run.stderr, new RegExp(`the Service holding the pods' nameserver ${clusterIP.replaceAll('.', '\\.')} cannot be looked for: list services at cluster scope is forbidden \\(grant list on services cluster-wide`));
    assert.equal(podCreates(from).length, 1, JSON.stringify(podCreates(from)));
  });

  it('doctor with no flags finds dns-system and its Service through the same probe pod', async () => {
    const doctor = await cli(['doctor', '--kubeconfig', sim.kubeconfigPath, '-o', 'json']);
    assert.equal(doctor.code, 0, doctor.stderr + doctor.stdout);
    const facts = (JSON.parse(doctor.stdout) as { facts: { workload: { line?: string; error?: string } } }).facts;
    assert.match(facts.workload.line ?? facts.workload.error ?? '', new RegExp(`^${NS}: 2 pods \\(2 Ready\\) answering on port \\d+, Service cluster-dns ${clusterIP.replaceAll('.', '\\.')}:\\d+$`));
  });
});
