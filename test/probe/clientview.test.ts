// The client view against a real dnsmasq: the search-path lookup from a resolv.conf written by the test,
// and A+AAAA bursts answered at once — and, through a relay that drops the second datagram of every
// new socket (the conntrack insertion race, as a node's DNAT loses it), answered only after the retry.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runClientView } from '../../src/probe/clientview.ts';
import type { Target } from '../../src/probe/contract.ts';
import { startDnsmasq, type Dnsmasq } from './dnsmasq.ts';
import { claimSubnet } from '../subnets.ts';

const NET = claimSubnet();
const SERVER = `${NET}.3.1`;
const RACY = `${NET}.3.2`;

/** Relays to the server, but the second datagram from each new client port within 50 ms is lost. */
function racyRelay(listen: string, to: string): Promise<dgram.Socket> {
  const front = dgram.createSocket('udp4');
  const firstSeen = new Map<string, number>();
  front.on('message', (msg, rinfo) => {
    const client = `${rinfo.address}:${rinfo.port}`;
    const seen = firstSeen.get(client);
    if (seen === undefined) firstSeen.set(client, Date.now());
    else if (Date.now() - seen < 50 && !firstSeen.has(`${client} raced`)) {
      firstSeen.set(`${client} raced`, 1);
      return;
    }
    const back = dgram.createSocket('udp4');
    back.on('message', (answer) => {
      front.send(answer, rinfo.port, rinfo.address);
      back.close();
    });
    back.send(msg, 53, to);
  });
  return new Promise((resolve) => front.bind(53, listen, () => resolve(front)));
}

describe('client view against dnsmasq', function () {
  this.timeout(20_000);
  let server: Dnsmasq;
  let relay: dgram.Socket;
  let resolvConf: string;

  before(async () => {
    server = await startDnsmasq({ address: SERVER, records: { hosts: { 'kubernetes.default.svc.cluster.local': ['10.96.0.1'] } }, localZones: ['cluster.local'] });
    relay = await racyRelay(RACY, SERVER);
    resolvConf = join(mkdtempSync(join(tmpdir(), 'clientview-')), 'resolv.conf');
    writeFileSync(resolvConf, `search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver ${SERVER}\noptions ndots:5\n`);
  });
  after(async () => {
    relay?.close();
    await server?.stop();
  });

  const target = (id: string, address: string): Target => ({ id, address, port: 53, kind: id === 'service' ? 'service' : 'pod', label: id });

  it('resolves the short name through the search path and counts what glibc and musl would send', async () => {
    const r = await runClientView({ shortName: 'kubernetes.default', pairs: 3, retryAfterMs: 300 }, [target('pod/a', SERVER)], resolvConf);
    assert.deepEqual(r.resolvConf.search, ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local']);
    assert.equal(r.lookup.answeredAs, 'kubernetes.default.svc.cluster.local');
    assert.deepEqual(r.lookup.tried.slice(0, 2).map((t) => [t.name, t.a]), [['kubernetes.default.default.svc.cluster.local', 'NXDOMAIN'], ['kubernetes.default.svc.cluster.local', 'NOERROR']]);
    assert.equal(r.lookup.glibcQueries, 4);
    assert.equal(r.lookup.muslQueries, 4);
    assert.deepEqual(r.bursts, [{ targetId: 'pod/a', queries: 6, firstTry: 6, afterRetry: 0, lost: 0 }]);
  });

  it('the race on one path: its pairs are answered only after the retry; the direct path is clean', async () => {
    const r = await runClientView({ shortName: 'kubernetes.default', pairs: 4, retryAfterMs: 300 }, [target('service', RACY), target('pod/a', SERVER)], resolvConf);
    const [racy, direct] = r.bursts;
    assert.deepEqual(racy, { targetId: 'service', queries: 8, firstTry: 4, afterRetry: 4, lost: 0 });
    assert.deepEqual(direct, { targetId: 'pod/a', queries: 8, firstTry: 8, afterRetry: 0, lost: 0 });
  });

  it('without a resolv.conf nameserver: no lookup, bursts still run', async () => {
    const empty = join(mkdtempSync(join(tmpdir(), 'clientview-')), 'resolv.conf');
    writeFileSync(empty, '');
    const r = await runClientView({ shortName: 'kubernetes.default.svc.cluster.local.', pairs: 1, retryAfterMs: 200 }, [target('pod/a', SERVER)], empty);
    assert.deepEqual(r.lookup.tried, []);
    assert.equal(r.lookup.answeredAs, null);
    assert.equal(r.bursts[0]!.firstTry, 2);
  });
});
