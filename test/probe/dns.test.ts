// runPlan in-process against real dnsmasq servers on a claimed /16, with dig as the reference.
import { expect } from 'chai';
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import type { CheckResult, ProbeReport, Query } from '../../src/probe/contract.ts';
import { validateReport } from '../../src/probe/contract.ts';
import { runPlan } from '../../src/probe/run.ts';
import { BIG_TXT, CLUSTER_RECORDS, QUERIES, UPSTREAM_RECORDS, dig, plan, target } from './cluster.ts';
import { startDnsmasq, stopAllDnsmasq } from './dnsmasq.ts';
import type { Dnsmasq } from './dnsmasq.ts';
import { claimSubnet } from '../subnets.ts';

const NET = claimSubnet();

const UPSTREAM = `${NET}.1.2`;
const CORE = `${NET}.1.1`;

const result = (report: ProbeReport, queryId: string, transport: 'udp' | 'tcp', targetId?: string): CheckResult => {
  const found = report.results.find((r) => r.queryId === queryId && r.transport === transport && (!targetId || r.targetId === targetId));
  if (!found) throw new Error(`no result for ${queryId}/${transport}`);
  return found;
};

const failed = (report: ProbeReport): string[] => report.results.filter((r) => r.verdict === 'fail').map((r) => `${r.queryId}/${r.transport}: ${r.reason}`);

describe('probe against dnsmasq', function () {
  let upstream: Dnsmasq;

  before(async function () {
    upstream = await startDnsmasq({ address: UPSTREAM, records: UPSTREAM_RECORDS });
    await startDnsmasq({ address: CORE, records: CLUSTER_RECORDS, localZones: ['cluster.local'], upstream: UPSTREAM });
  });

  after(stopAllDnsmasq);

  it('passes every check on a healthy server, over UDP and TCP, with a valid report', async function () {
    const p = plan([target('core', CORE)]);
    const report = await runPlan(p, { hostname: 'probe-test' });
    expect(validateReport(report, p)).to.equal(null);
    expect(failed(report)).to.deep.equal([]);
    expect(report.results).to.have.length(QUERIES.length * 2);
    expect(report.hostname).to.equal('probe-test');
    const summary = report.targets[0];
    expect(summary?.checks).to.equal(QUERIES.length * 2);
    expect(summary?.failedChecks).to.equal(0);
    expect(summary?.p50Ms).to.be.a('number').above(0);
    const sample = result(report, 'aaaa', 'udp').samples[0];
    expect(sample).to.deep.include({ outcome: 'ok', rcode: 'NOERROR', answers: ['fd00::a'] });
  });

  it('reports the same rcodes and normalized answers as dig, over UDP and TCP', async function () {
    const report = await runPlan(plan([target('core', CORE)], QUERIES, { samples: 1 }));
    for (const q of QUERIES)
      for (const transport of ['udp', 'tcp'] as const) {
        const reference = await dig(CORE, q.name, q.type, transport);
        const sample = result(report, q.id, transport).samples[0];
        expect({ rcode: sample?.rcode, answers: [...(sample?.answers ?? [])].sort() }, `${q.id}/${transport}`).to.deep.equal({
          rcode: reference.rcode,
          answers: reference.answers.sort(),
        });
      }
  });

  it('names the wrong answer in the reason', async function () {
    const wrong: Query = { id: 'a', name: 'kubernetes.default.svc.cluster.local', type: 'A', expect: { equal: ['10.96.0.9'] } };
    const report = await runPlan(plan([target('core', CORE)], [wrong], { samples: 3, transports: ['udp'] }));
    const r = result(report, 'a', 'udp');
    expect(r.verdict).to.equal('fail');
    expect(r.samples.map((s) => s.outcome)).to.deep.equal(['wrong-answer', 'wrong-answer', 'wrong-answer']);
    expect(r.reason).to.equal('3/3 samples failed: expected 10.96.0.9, got 10.96.0.1');
  });

  it('falls back to TCP when the UDP answer is truncated, and says so', async function () {
    const big: Query = { id: 'big', name: 'big.cluster.local', type: 'TXT', expect: { equal: [BIG_TXT.join('')] } };
    const noEdns = await runPlan(plan([target('core', CORE)], [big], { samples: 1, transports: ['udp'], ednsUdpSize: 0 }));
    const sample = result(noEdns, 'big', 'udp').samples[0];
    expect(sample).to.deep.include({ outcome: 'ok', truncated: true, answers: [BIG_TXT.join('')] });

    const withEdns = await runPlan(plan([target('core', CORE)], [big], { samples: 1, transports: ['udp'], ednsUdpSize: 1232 }));
    expect(result(withEdns, 'big', 'udp').samples[0]).to.deep.include({ outcome: 'ok' }).and.not.have.property('truncated');
  });

  describe('faults', function () {
    it('upstream down: external names fail, cluster names still pass', async function () {
      await upstream.stop();
      try {
        const report = await runPlan(plan([target('core', CORE)], QUERIES, { samples: 1, timeoutMs: 1500 }));
        const failing = report.results.filter((r) => r.verdict === 'fail').map((r) => r.queryId);
        expect([...new Set(failing)]).to.deep.equal(['ext']);
        // dnsmasq answers REFUSED or times out when its only upstream is gone; either is not ok.
        expect(result(report, 'ext', 'udp').samples[0]?.outcome).to.be.oneOf(['server-failure', 'timeout']);
      } finally {
        upstream = await startDnsmasq({ address: UPSTREAM, records: UPSTREAM_RECORDS });
      }
    });

    it('server stopped: refused over UDP (ICMP) and TCP (RST)', async function () {
      const gone = await startDnsmasq({ address: `${NET}.1.3`, records: CLUSTER_RECORDS, localZones: ['cluster.local'] });
      await gone.stop();
      const report = await runPlan(plan([target('gone', `${NET}.1.3`)], [QUERIES[0] as Query], { samples: 2 }));
      for (const transport of ['udp', 'tcp'] as const) {
        const r = result(report, 'a', transport);
        expect(r.samples.map((s) => s.outcome), transport).to.deep.equal(['refused', 'refused']);
        expect(r.reason).to.equal('2/2 samples failed: connection refused');
      }
    });

    it('server hung (SIGSTOP): timeout, while a healthy peer passes', async function () {
      const hung = await startDnsmasq({ address: `${NET}.1.4`, records: CLUSTER_RECORDS, localZones: ['cluster.local'] });
      hung.pause();
      try {
        const report = await runPlan(plan([target('hung', `${NET}.1.4`), target('core', CORE)], [QUERIES[0] as Query], { samples: 1, timeoutMs: 300 }));
        for (const transport of ['udp', 'tcp'] as const) {
          expect(result(report, 'a', transport, 'hung').reason).to.equal('1/1 samples failed: timeout after 300 ms');
          expect(result(report, 'a', transport, 'core').verdict).to.equal('pass');
        }
        expect(report.targets.map((t) => t.failedChecks)).to.deep.equal([2, 0]);
        expect(report.targets[0]?.p50Ms).to.equal(null);
      } finally {
        hung.resume();
        await hung.stop();
      }
    });
  });

  describe('hostile responses (a UDP server under test control on .1.9 of the claimed /16)', function () {
    let server: dgram.Socket | undefined;

    /** Answers each query through `reply`, which returns the datagrams to send back in order. */
    async function fakeServer(reply: (query: Buffer) => Buffer[]): Promise<void> {
      server = dgram.createSocket('udp4');
      const s = server;
      s.on('message', (msg, rinfo) => reply(msg).forEach((d) => s.send(d, rinfo.port, rinfo.address)));
      await new Promise<void>((resolve) => s.bind(53, `${NET}.1.9`, resolve));
    }

    const answerTo = (query: Buffer, id: number, ip: string): Buffer => {
      const q = dnsPacket.decode(query);
      return dnsPacket.encode({
        type: 'response',
        id,
        flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
        questions: q.questions,
        answers: [{ type: 'A', name: q.questions?.[0]?.name ?? '', ttl: 5, data: ip }],
      });
    };

    const single = (expect: Query['expect']): Query[] => [{ id: 'a', name: 'kubernetes.default.svc.cluster.local', type: 'A', expect }];

    afterEach(() => server?.close());

    it('ignores a spoofed answer with the wrong id and takes the real one that follows', async function () {
      await fakeServer((query) => {
        const id = query.readUInt16BE(0);
        return [answerTo(query, (id + 1) & 0xffff, '6.6.6.6'), answerTo(query, id, '10.96.0.1')];
      });
      const report = await runPlan(plan([target('fake', `${NET}.1.9`)], single({ equal: ['10.96.0.1'] }), { samples: 3, transports: ['udp'] }));
      expect(result(report, 'a', 'udp').samples.map((s) => s.answers)).to.deep.equal([['10.96.0.1'], ['10.96.0.1'], ['10.96.0.1']]);
    });

    it('ignores an answer to another question with the right id', async function () {
      await fakeServer((query) => {
        const other = dnsPacket.encode({ ...dnsPacket.decode(query), questions: [{ type: 'A', name: 'evil.example', class: 'IN' }] });
        return [answerTo(other, query.readUInt16BE(0), '6.6.6.6')];
      });
      const report = await runPlan(plan([target('fake', `${NET}.1.9`)], single({ nonEmpty: true }), { samples: 1, transports: ['udp'], timeoutMs: 200 }));
      expect(result(report, 'a', 'udp').samples[0]).to.deep.include({ outcome: 'timeout', detail: 'timeout after 200 ms' });
    });

    it('reports garbage carrying the query id as malformed', async function () {
      await fakeServer((query) => [Buffer.concat([query.subarray(0, 2), Buffer.from([0x81, 0x80, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 1, 2, 3])])]);
      const report = await runPlan(plan([target('fake', `${NET}.1.9`)], single({ nonEmpty: true }), { samples: 1, transports: ['udp'], timeoutMs: 200 }));
      expect(result(report, 'a', 'udp').samples[0]).to.deep.include({ outcome: 'malformed', rcode: null, latencyMs: null });
    });
  });
});
