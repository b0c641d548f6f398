import { expect } from 'chai';
import { evaluateCheck, failureSignature, probeBlindness, requiredFailures } from './checks.ts';
import { pods, plan, report, type Fault } from '../../test/fixtures/reports.ts';
import type { FailedCheck } from './types.ts';

const onePod = plan(pods(1), { service: false, queries: [{ id: 'api', name: 'kubernetes.default.svc.cluster.local', type: 'A', expect: {} }] });
const firstResult = (faults: Fault[], p = onePod) => report(p, faults).results[0]!;

describe('judge/checks', () => {
  describe('requiredFailures (k of n)', () => {
    const rows: [number, number | undefined, number][] = [
      [1, undefined, 1],
      [2, undefined, 2],
      [3, undefined, 2],
      [4, undefined, 3],
      [5, undefined, 3],
      [3, 1, 1],
      [3, 3, 3],
      [3, 5, 3],
      [3, 0, 1],
    ];
    for (const [n, k, want] of rows)
      it(`n=${n} k=${k ?? 'majority'} → ${want}`, () => expect(requiredFailures(n, k)).to.equal(want));
  });

  describe('evaluateCheck', () => {
    const rows: { name: string; faults: Fault[]; k?: number; latency?: number; fails: boolean }[] = [
      { name: '0 of 3 failed', faults: [], fails: false },
      { name: '1 of 3 failed (below majority)', faults: [{ outcome: 'timeout', failed: 1 }], fails: false },
      { name: '2 of 3 failed (majority)', faults: [{ outcome: 'timeout', failed: 2 }], fails: true },
      { name: '3 of 3 failed', faults: [{ outcome: 'server-failure' }], fails: true },
      { name: '1 of 3 with k=1', faults: [{ outcome: 'timeout', failed: 1 }], k: 1, fails: true },
      { name: '2 of 3 with k=3', faults: [{ outcome: 'timeout', failed: 2 }], k: 3, fails: false },
      { name: 'ok at 80 ms, threshold 50', faults: [{ outcome: 'ok', latencyMs: 80 }], latency: 50, fails: true },
      { name: 'ok at 50 ms, threshold 50 (not above)', faults: [{ outcome: 'ok', latencyMs: 50 }], latency: 50, fails: false },
      { name: 'ok at 80 ms, no threshold', faults: [{ outcome: 'ok', latencyMs: 80 }], fails: false },
    ];
    for (const row of rows)
      it(`${row.name} → ${row.fails ? 'fail' : 'pass'}`, () => {
        const failure = evaluateCheck(firstResult(row.faults), onePod.queries[0], { failSamples: row.k, latencyThresholdMs: row.latency });
        expect(failure !== null).to.equal(row.fails);
      });

    it('keeps the probe reason, the transport and the outcome counts', () => {
      const failure = evaluateCheck(firstResult([{ outcome: 'timeout', failed: 2 }]), onePod.queries[0], {})!;
      expect(failure).to.deep.include({
        queryId: 'api',
        query: 'kubernetes.default.svc.cluster.local A',
        transport: 'udp',
        external: false,
        failedSamples: 2,
        samples: 3,
        reason: '2/3 samples failed: timeout detail',
      });
      expect(failure.outcomes).to.deep.equal({ timeout: 2 });
    });

    it('explains a failure caused by the latency threshold alone', () => {
      const failure = evaluateCheck(firstResult([{ outcome: 'ok', latencyMs: 80 }]), onePod.queries[0], { latencyThresholdMs: 50 })!;
      expect(failure.reason).to.equal('3/3 samples failed: slower than 50 ms');
      expect(failure.outcomes).to.deep.equal({ slow: 3 });
    });

    it('passes a result without samples (nothing observed)', () => {
      expect(evaluateCheck({ ...firstResult([]), samples: [] }, onePod.queries[0], {})).to.equal(null);
    });
  });

  describe('probeBlindness', () => {
    const p = plan(pods(2));
    it('trusts a healthy report', () => expect(probeBlindness(report(p))).to.equal(null));
    it('trusts a report where everything times out (that is for corroboration)', () =>
      expect(probeBlindness(report(p, [{ outcome: 'timeout' }]))).to.equal(null));
    it('distrusts a report where every sample is unreachable', () =>
      expect(probeBlindness(report(p, [{ outcome: 'unreachable' }]))).to.match(/network error/));
    it('distrusts a report of only unreachable and io errors', () =>
      expect(probeBlindness(report(p, [{ outcome: 'unreachable' }, { target: 'svc', outcome: 'io' }]))).to.match(/network error/));
    it('trusts a report where one target still answers', () =>
      expect(probeBlindness(report(p, [{ outcome: 'unreachable' }, { target: 'svc', outcome: 'ok' }]))).to.equal(null));
    it('distrusts a report with an error', () =>
      expect(probeBlindness({ ...report(p), results: [], error: { kind: 'internal', message: 'boom' } })).to.equal(
        'the probe could not run the plan (internal: boom)',
      ));
    it('distrusts a report without results', () => expect(probeBlindness({ ...report(p), results: [] })).to.match(/no results/));
  });

  it('failureSignature is sorted, unique and independent of order', () => {
    const c = (queryId: string, transport: 'udp' | 'tcp') => ({ queryId, transport }) as FailedCheck;
    expect(failureSignature([c('b', 'udp'), c('a', 'tcp'), c('b', 'udp')])).to.equal('a/tcp,b/udp');
    expect(failureSignature([c('a', 'tcp'), c('b', 'udp')])).to.equal(failureSignature([c('b', 'udp'), c('a', 'tcp')]));
    expect(failureSignature([])).to.equal('');
  });
});
