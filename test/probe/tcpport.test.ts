// A target whose TCP DNS port differs from its UDP port (Target.tcpPort): UDP queries go to `port`, TCP
// queries to `tcpPort`. Against real dnsmasq (UDP and TCP on 53) behind a TCP relay on another port.
import { expect } from 'chai';
import net from 'node:net';
import { runPlan } from '../../src/probe/run.ts';
import { validateReport } from '../../src/probe/contract.ts';
import { CLUSTER_RECORDS, QUERIES, plan, target } from './cluster.ts';
import { startDnsmasq, stopAllDnsmasq } from './dnsmasq.ts';
import { claimSubnet } from '../subnets.ts';

const NET = claimSubnet();
const CORE = `${NET}.1.1`;
const RELAY_PORT = 5400;

describe('probe: a separate TCP port', function () {
  let relay: net.Server;
  let relayed = 0;

  before(async function () {
    await startDnsmasq({ address: CORE, records: CLUSTER_RECORDS, localZones: ['cluster.local'] });
    relay = net.createServer((client) => {
      relayed++;
      const server = net.connect({ host: CORE, port: 53 });
      client.pipe(server).pipe(client);
      const end = () => (client.destroy(), server.destroy());
      client.on('error', end).on('close', end);
      server.on('error', end).on('close', end);
    });
    await new Promise<void>((resolve) => relay.listen(RELAY_PORT, CORE, resolve));
  });

  after(async () => {
    await new Promise((r) => relay.close(r));
    await stopAllDnsmasq();
  });

  it('sends TCP to tcpPort and UDP to port', async () => {
    const queries = QUERIES.filter((q) => !q.external);
    // Nothing answers UDP on 5401: UDP fails; TCP goes through the relay to dnsmasq and passes.
    const p = plan([{ ...target('split', CORE, 5401), tcpPort: RELAY_PORT }], queries, { samples: 1, timeoutMs: 300 });
    const report = await runPlan(p);
    expect(validateReport(report, p)).to.equal(null);
    const verdicts = (transport: string) => [...new Set(report.results.filter((r) => r.transport === transport).map((r) => r.verdict))];
    expect([verdicts('udp'), verdicts('tcp')]).to.deep.equal([['fail'], ['pass']]);
    expect(relayed).to.be.above(0);
  });
});
