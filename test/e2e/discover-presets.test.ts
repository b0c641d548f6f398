// Discovery with no flags, through the real client (src/kube) and the sim's real HTTPS API server, on every
// distribution preset (test/sim/presets.ts, dual-stack included): given only the nameserver the pods get (the Service IP in
// their resolv.conf), it finds the DNS Service, its pods, their controller, their ports and the server kind.
// And `doctor` from outside with no flags (the distributions' known names): it tests the workload check
// would probe, on the port its pods answer on, and exits 0.
import assert from 'node:assert/strict';
import { connect } from '../../src/kube/index.ts';
import { discoverWorkload } from '../../src/discover/discover.ts';
import { startSim } from '../sim/index.ts';
import type { PresetName } from '../sim/presets.ts';
import { simOnly } from './cluster.ts';
import { buildCli, cli } from './cli.ts';

const PRESETS: PresetName[] = ['kubeadm', 'eks', 'aks', 'gke', 'k3s', 'rke2', 'openshift', 'nodelocal', 'dual-stack'];

describe('discover e2e: no flags on every preset (the pods\' nameserver as the anchor)', function () {
  this.timeout(120_000);
  before(function () {
    simOnly(this);
    this.timeout(60_000);
    buildCli();
  });

  for (const preset of PRESETS)
    it(preset, async () => {
      const sim = await startSim({ preset, timing: { scale: 0.1 } });
      try {
        await sim.waitReady(60_000);
        const shape = sim.dnsWorkload();
        const { client } = connect({ kubeconfig: sim.kubeconfigPath });
        const before = client.requestCount;
        const w = await discoverWorkload(client, { nameserver: sim.dnsService().ip });
        const requests = client.requestCount - before;
        assert.deepEqual(
          [w.namespace, w.service.name, w.service.clusterIPs[0], w.service.port, w.controller?.kind, w.controller?.name, w.controller?.desired],
          [shape.namespace, shape.service.name, sim.dnsService().ip, shape.service.port, shape.workload.kind, shape.workload.name, sim.dnsPods().length],
        );
        assert.deepEqual(w.pods.map((p) => p.name).sort(), sim.dnsPods().map((p) => p.name).sort());
        assert.ok(w.pods.every((p) => p.ports?.udp === shape.podPort && p.ports.tcp === shape.podPort), JSON.stringify(w.pods.map((p) => p.ports)));
        assert.equal(w.outage, undefined, w.outage?.reason);
        assert.equal(w.server, preset === 'gke' ? 'kube-dns' : undefined);
        if (preset === 'gke') assert.deepEqual(w.zones.stubDomains, ['acme.local']);
        if (preset === 'dual-stack') assert.deepEqual([w.service.clusterIPs.map((ip) => ip.includes(':')), w.pods.every((p) => p.ips.length === 2)], [[false, true], true]);
        if (preset === 'openshift' || preset === 'gke') assert.ok(w.pods.every((p) => p.dnsContainer === (preset === 'gke' ? 'kubedns' : 'dns')));
        if (preset === 'nodelocal') {
          assert.ok(w.nodeLocal && w.nodeLocal.daemonSet === 'node-local-dns' && w.nodeLocal.localIPs.length > 0, JSON.stringify(w.nodeLocal));
          assert.ok(w.notes?.some((n) => /^NodeLocal DNSCache .* is answered by the cache/.test(n)), w.notes?.join('\n'));
        } else assert.equal(w.nodeLocal, undefined);
        // Lists and gets only: the count does not depend on the replicas (a coredns-custom mount or the cache adds one).
        assert.ok(requests <= 9, `${requests} requests`);

        const doctor = await cli(['doctor', '--kubeconfig', sim.kubeconfigPath, '-o', 'json']);
        assert.equal(doctor.code, 0, doctor.stderr + doctor.stdout);
        const facts = (JSON.parse(doctor.stdout) as { facts: { workload: { line?: string; error?: string }; routable?: { pods: boolean; service: boolean } } }).facts;
        assert.match(facts.workload.line ?? String(facts.workload.error), new RegExp(`^${shape.namespace}: ${sim.dnsPods().length} pods \\(\\d+ Ready\\) answering on port ${shape.podPort}, Service ${shape.service.name} `));
        assert.deepEqual(facts.routable, { pods: true, service: true }, 'the pods answer from here on their own port');
      } finally {
        await sim.stop();
      }
    });
});
