import { expect } from 'chai';
import type { DnsPod } from '../discover/types.ts';
import { pod, pods, plan, report, workload, type Fault } from '../../test/fixtures/reports.ts';
import { judge, targetKey, unrepairableState } from './judge.ts';
import type { Classification, JudgeInput, Judgement, ProbeRun } from './types.ts';

interface Situation {
  pods: DnsPod[];
  faults?: Fault[];
  /** Corroborating probes: node and their faults. */
  others?: { node: string; faults: Fault[] }[];
  service?: boolean;
  extra?: Partial<JudgeInput>;
}

/** Judges a situation; the primary probe runs on node-0. */
function run(s: Situation): Judgement {
  const p = plan(s.pods, { service: s.service });
  const corroborating: ProbeRun[] = (s.others ?? []).map((o) => ({ node: o.node, report: report(p, o.faults, `probe-${o.node}`) }));
  return judge({ plan: p, workload: workload(s.pods), primary: { node: 'node-0', report: report(p, s.faults) }, corroborating, ...s.extra });
}

const target = (j: Judgement, label: string) => j.targets.find((t) => t.label === label)!;
const candidates = (j: Judgement) => j.candidates.map((c) => c.pod);
const hang = (name: string): Fault => ({ target: name, outcome: 'timeout' });

describe('judge', () => {
  describe('classification table', () => {
    const all = (outcome: Fault['outcome'] = 'timeout'): Fault[] => [{ outcome }];
    const rows: {
      name: string;
      s: Situation;
      classification: Classification;
      reason: RegExp;
      candidates: string[];
      notes?: RegExp;
    }[] = [
      { name: 'healthy, 3 pods', s: { pods: pods(3) }, classification: 'healthy', reason: /every target passes/, candidates: [] },
      {
        name: 'one hung pod of 3',
        s: { pods: pods(3), faults: [hang('coredns-b')] },
        classification: 'pod-local',
        reason: /coredns-b fails while coredns-a, coredns-c pass from the same probe/,
        candidates: ['coredns-b'],
      },
      {
        name: 'one pod with UDP dead, TCP fine',
        s: { pods: pods(2), faults: [{ target: 'coredns-a', transport: 'udp', outcome: 'timeout' }] },
        classification: 'pod-local',
        reason: /coredns-a fails/,
        candidates: ['coredns-a'],
      },
      {
        name: 'one pod answers wrong records',
        s: { pods: pods(2), faults: [{ target: 'coredns-b', query: 'api', outcome: 'wrong-answer' }] },
        classification: 'pod-local',
        reason: /coredns-b fails/,
        candidates: ['coredns-b'],
      },
      {
        name: 'two hung pods of 3',
        s: { pods: pods(3), faults: [hang('coredns-a'), hang('coredns-c')] },
        classification: 'pod-local',
        reason: /coredns-a, coredns-c fail while coredns-b pass/,
        candidates: ['coredns-a', 'coredns-c'],
      },
      {
        name: 'hung pod of 2 and the Service failing through it',
        s: { pods: pods(2), faults: [hang('coredns-a'), { target: 'svc', outcome: 'timeout', failed: 2 }] },
        classification: 'pod-local',
        reason: /coredns-a fails/,
        candidates: ['coredns-a'],
      },
      {
        name: 'one hung pod of 3, and another probe sees it fail too',
        s: { pods: pods(3), faults: [hang('coredns-b')], others: [{ node: 'node-1', faults: [hang('coredns-b')] }] },
        classification: 'pod-local',
        reason: /coredns-b fails while coredns-a, coredns-c pass/,
        candidates: ['coredns-b'],
      },
      {
        name: 'one pod fails here but passes from another node (network path)',
        s: { pods: pods(3), faults: [hang('coredns-b')], others: [{ node: 'node-1', faults: [] }] },
        classification: 'inconclusive',
        reason: /coredns-b fails from node node-0 but passes from other nodes: the network path, not the pods/,
        candidates: [],
      },
      {
        name: 'two pods fail here; from another node only one of them',
        s: { pods: pods(3), faults: [hang('coredns-a'), hang('coredns-c')], others: [{ node: 'node-1', faults: [hang('coredns-a')] }] },
        classification: 'pod-local',
        reason: /^coredns-a fails while coredns-b pass/,
        candidates: ['coredns-a'],
      },
      {
        name: 'every pod of 2 fails, no other probe',
        s: { pods: pods(2), faults: all() },
        classification: 'uncorroborated',
        reason: /every CoreDNS pod fails from node node-0 and no probe on another node could corroborate/,
        candidates: [],
      },
      {
        name: 'single replica fails, no other probe',
        s: { pods: pods(1), faults: all() },
        classification: 'uncorroborated',
        reason: /no probe on another node could corroborate/,
        candidates: [],
      },
      {
        name: 'every pod fails here, all pass from another node',
        s: { pods: pods(3), faults: all(), others: [{ node: 'node-1', faults: [] }] },
        classification: 'probe-side',
        reason: /probe on node node-0 cannot reach DNS; from node node-1 all pods pass/,
        candidates: [],
      },
      {
        name: 'every pod fails here and from two other nodes',
        s: { pods: pods(3), faults: all(), others: [{ node: 'node-1', faults: all() }, { node: 'node-2', faults: all('refused') }] },
        classification: 'cluster-wide',
        reason: /every CoreDNS pod fails from nodes node-0, node-1, node-2/,
        candidates: ['coredns-a', 'coredns-b', 'coredns-c'],
      },
      {
        name: 'every pod fails; one other probe agrees, another sees all pass',
        s: { pods: pods(2), faults: all(), others: [{ node: 'node-1', faults: all() }, { node: 'node-2', faults: [] }] },
        classification: 'probe-side',
        reason: /from node node-2 all pods pass/,
        candidates: [],
      },
      {
        name: 'every pod fails; the other probe sees only one failing',
        s: { pods: pods(2), faults: all(), others: [{ node: 'node-1', faults: [hang('coredns-a')] }] },
        classification: 'inconclusive',
        reason: /probes disagree: .*from node node-1 only coredns-a fail/,
        candidates: [],
      },
      {
        name: 'every pod fails; the other probe is on the same node',
        s: { pods: pods(2), faults: all(), others: [{ node: 'node-0', faults: [] }] },
        classification: 'uncorroborated',
        reason: /no probe on another node could corroborate/,
        candidates: [],
        notes: /node-0 ignored for corroboration: same node/,
      },
      {
        name: 'every pod fails; the other probe is blind too',
        s: { pods: pods(2), faults: all(), others: [{ node: 'node-1', faults: all('unreachable') }] },
        classification: 'uncorroborated',
        reason: /no probe on another node could corroborate/,
        candidates: [],
        notes: /node node-1 could not corroborate: every query failed with a network error/,
      },
      {
        name: 'every pod fails only for external names elsewhere (other probe sees cluster names pass)',
        s: { pods: pods(2), faults: all(), others: [{ node: 'node-1', faults: [{ query: 'ext', outcome: 'server-failure' }] }] },
        classification: 'probe-side',
        reason: /from node node-1 all pods pass/,
        candidates: [],
      },
      {
        name: 'upstream down: external names fail everywhere',
        s: { pods: pods(3), faults: [{ query: 'ext', outcome: 'server-failure' }] },
        classification: 'upstream',
        reason: /only names outside the cluster fail, on 4 of 4 targets: the upstream resolver is at fault/,
        candidates: [],
      },
      {
        name: 'upstream trouble seen through one pod only',
        s: { pods: pods(3), faults: [{ target: 'coredns-b', query: 'ext', outcome: 'timeout' }] },
        classification: 'upstream',
        reason: /on 1 of 4 targets/,
        candidates: [],
      },
      {
        name: 'service-only: the Service IP fails, every pod answers',
        s: { pods: pods(3), faults: [{ target: 'svc', outcome: 'timeout' }] },
        classification: 'service-only',
        reason: /Service IP fails .* while every CoreDNS pod answers: kube-proxy or the endpoints/,
        candidates: [],
      },
      {
        name: 'service-only with upstream trouble too',
        s: { pods: pods(2), faults: [{ query: 'ext', outcome: 'server-failure' }, { target: 'svc', outcome: 'timeout' }] },
        classification: 'service-only',
        reason: /kube-proxy/,
        candidates: [],
        notes: /upstream: names outside the cluster fail on coredns-a, coredns-b/,
      },
      {
        name: 'the Service fails and no pod was probed',
        s: { pods: [], faults: all() },
        classification: 'inconclusive',
        reason: /no CoreDNS pod was probed/,
        candidates: [],
      },
      {
        name: 'probe network down: every sample unreachable',
        s: { pods: pods(3), faults: all('unreachable') },
        classification: 'probe-side',
        reason: /probe on node node-0 cannot be trusted: every query failed with a network error/,
        candidates: [],
      },
      {
        name: 'mixed: one hung pod and upstream down',
        s: { pods: pods(3), faults: [{ query: 'ext', outcome: 'server-failure' }, hang('coredns-c')] },
        classification: 'pod-local',
        reason: /coredns-c fails while coredns-a, coredns-b pass/,
        candidates: ['coredns-c'],
        notes: /upstream: names outside the cluster fail on service kube-dns, coredns-a, coredns-b/,
      },
      {
        name: 'mixed: hung pod, crash-looping pod, healthy pod',
        s: { pods: [pod(0), pod(1, { waitingReason: 'CrashLoopBackOff', ready: false }), pod(2)], faults: [hang('coredns-a'), hang('coredns-b')] },
        classification: 'pod-local',
        reason: /coredns-a fails while coredns-c pass/,
        candidates: ['coredns-a'],
      },
      {
        name: 'the only failing pod is crash-looping',
        s: { pods: [pod(0), pod(1, { waitingReason: 'CrashLoopBackOff', ready: false })], faults: [{ target: 'coredns-b', outcome: 'refused' }] },
        classification: 'not-repairable',
        reason: /coredns-b fails and a restart cannot help: it is crash-looping \(CrashLoopBackOff\)/,
        candidates: [],
      },
      {
        name: 'every pod crash-looping (forwarding loop)',
        s: {
          pods: pods(2).map((p) => ({ ...p, waitingReason: 'CrashLoopBackOff', ready: false })),
          faults: all('refused'),
          extra: { evidence: { 'coredns-a': { logs: '[FATAL] plugin/loop: Loop (127.0.0.1:39891 -> :53) detected for zone "."' } } },
        },
        classification: 'not-repairable',
        reason: /^coredns-a, coredns-b fail and a restart cannot help: coredns-a \(it is crash-looping \(CrashLoopBackOff\); logs: forwarding loop.*\), coredns-b \(it is crash-looping \(CrashLoopBackOff\)\) — fix what their state and logs say \(kubectl describe pod, kubectl logs --previous\)$/,
        candidates: [],
      },
      {
        name: 'two pods: one crash-looping, the other hung (no healthy peer)',
        s: { pods: [pod(0, { waitingReason: 'CrashLoopBackOff', ready: false }), pod(1)], faults: all() },
        classification: 'uncorroborated',
        reason: /every CoreDNS pod fails/,
        candidates: [],
      },
      {
        name: 'a not-Ready pod that answers still proves the probe reaches pods',
        s: { pods: [pod(0, { ready: false }), pod(1)], faults: [hang('coredns-b')] },
        classification: 'pod-local',
        reason: /coredns-b fails while coredns-a pass/,
        candidates: ['coredns-b'],
      },
    ];
    for (const row of rows)
      it(`${row.name} → ${row.classification}`, () => {
        const j = run(row.s);
        expect(j.classification).to.equal(row.classification);
        expect(j.reason).to.match(row.reason);
        expect(candidates(j)).to.deep.equal(row.candidates);
        expect(j.verdict).to.equal(row.classification === 'healthy' ? 'healthy' : 'unhealthy');
        if (row.notes) expect(j.notes.join('\n')).to.match(row.notes);
      });
  });

  it('explains a disputed pod on its own target', () => {
    const j = run({ pods: pods(3), faults: [hang('coredns-a'), hang('coredns-c')], others: [{ node: 'node-1', faults: [hang('coredns-a')] }] });
    expect(target(j, 'coredns-c')).to.deep.include({
      classification: 'inconclusive',
      reason: 'fails from node node-0 but passes from node node-1: the network path, not the pod — not restarting; check the network from node node-0',
    });
  });

  describe('pods a restart cannot help', () => {
    const rows: [string, Partial<DnsPod>, RegExp][] = [
      ['crash-looping', { waitingReason: 'CrashLoopBackOff', ready: false }, /crash-looping/],
      ['Pending', { phase: 'Pending', ready: false }, /it is Pending$/],
      ['Pending, image pull', { phase: 'Pending', ready: false, waitingReason: 'ImagePullBackOff' }, /Pending \(ImagePullBackOff\)/],
      ['not Ready', { ready: false }, /not Ready/],
      ['terminating', { terminating: true }, /terminating/],
      ['Failed', { phase: 'Failed', ready: false }, /it is Failed/],
      ['waiting, not crash-looping', { waitingReason: 'ContainerCreating', ready: false }, /waiting \(ContainerCreating\)/],
    ];
    for (const [name, state, reason] of rows)
      it(`${name}: not-repairable, with reason`, () => {
        const j = run({ pods: [pod(0), pod(1, state), pod(2)], faults: [{ target: 'coredns-b', outcome: 'timeout' }] });
        const t = target(j, 'coredns-b');
        expect(t.classification).to.equal('not-repairable');
        expect(t.reason).to.match(/^restart cannot help: /).and.match(reason);
        expect(j.candidates).to.deep.equal([]);
        expect(j.classification).to.equal('not-repairable');
      });

    it('a Running, Ready pod is repairable', () => expect(unrepairableState(pod(0))).to.equal(null));

    it('attaches the diagnosis from the pod logs', () => {
      const logs = 'starting\n[ERROR] plugin/errors: 2 example.com. A: read udp 10.244.0.3:42188->8.8.8.8:53: i/o timeout\n';
      const j = run({
        pods: [pod(0), pod(1, { waitingReason: 'CrashLoopBackOff', ready: false, restartCount: 7 })],
        faults: [{ target: 'coredns-b', outcome: 'refused' }],
        extra: { evidence: { 'coredns-b': { logs, lastTerminationReason: 'OOMKilled' } } },
      });
      const t = target(j, 'coredns-b');
      expect(t.diagnosis?.map((f) => f.kind)).to.deep.equal(['out-of-memory', 'upstream-timeout']);
      expect(t.reason).to.match(/logs: CoreDNS was killed for exceeding its memory limit/);
    });

    it('a failing pod target that left the workload is not repairable', () => {
      const p = plan(pods(3));
      const j = judge({
        plan: p,
        workload: workload([pod(0), pod(2)]),
        primary: { node: 'node-0', report: report(p, [{ target: 'coredns-b', outcome: 'timeout' }]) },
      });
      expect(target(j, 'coredns-b').reason).to.match(/no longer in the workload/);
      expect(j.candidates).to.deep.equal([]);
    });
  });

  describe('targets', () => {
    it('records failed checks per transport with the probe reasons, p50/p99 and a signature', () => {
      // coredns-a's answered samples: 9 over TCP at 2 ms, 3 over UDP at 3 ms (p50 2, p99 3); coredns-b's at 1.5 ms.
      const faults: Fault[] = [
        { target: 'coredns-a', transport: 'tcp', outcome: 'ok', latencyMs: 2 },
        { target: 'coredns-a', transport: 'udp', outcome: 'ok', latencyMs: 3 },
        { target: 'coredns-a', transport: 'udp', query: 'internal', outcome: 'timeout' },
      ];
      const j = run({ pods: pods(2), faults });
      const t = target(j, 'coredns-a');
      expect(t.status).to.equal('fail');
      expect(t.failedChecks.map((c) => `${c.queryId}/${c.transport}`)).to.deep.equal(['api/udp', 'dns-srv/udp']);
      expect(t.failedChecks[0]!.reason).to.equal('3/3 samples failed: timeout detail');
      expect(t.signature).to.equal('api/udp,dns-srv/udp');
      expect(t.p50Ms).to.equal(2);
      expect(t.p99Ms).to.equal(3);
      expect(t.pod).to.deep.include({ name: 'coredns-a', uid: 'uid-coredns-a', node: 'node-0', deployment: 'coredns' });
      expect(target(j, 'coredns-b')).to.deep.include({ status: 'pass', classification: 'healthy', consecutiveFailures: 0, signature: '' });
    });

    it('keys pods by name and uid, the Service by address', () => {
      const j = run({ pods: pods(1) });
      expect(target(j, 'coredns-a').key).to.equal('pod/kube-system/coredns-a/uid-coredns-a');
      expect(target(j, 'service kube-dns').key).to.equal('service/10.96.0.10');
      expect(targetKey({ id: 'x', address: '10.0.0.9', port: 53, kind: 'pod', label: 'gone' })).to.equal('pod/gone/10.0.0.9');
    });

    it('notes pods of the workload that were not probed', () => {
      const ps = [pod(0), pod(1)];
      const p = plan([ps[0]!]);
      const j = judge({
        plan: p,
        workload: workload([...ps, pod(2, { phase: 'Pending', ready: false, ip: '', ips: [] })]),
        primary: { node: 'node-0', report: report(p) },
      });
      expect(j.notes).to.include('pod coredns-b was not probed: it is not in the plan');
      expect(j.notes).to.include('pod coredns-c was not probed: it is Pending');
    });
  });

  describe('thresholds', () => {
    const rows: { name: string; faults: Fault[]; config?: JudgeInput['config']; classification: Classification }[] = [
      { name: '1 of 3 samples failed', faults: [{ target: 'coredns-a', outcome: 'timeout', failed: 1 }], classification: 'healthy' },
      { name: '2 of 3 samples failed', faults: [{ target: 'coredns-a', outcome: 'timeout', failed: 2 }], classification: 'pod-local' },
      { name: '1 of 3 with k=1', faults: [{ target: 'coredns-a', outcome: 'timeout', failed: 1 }], config: { failSamples: 1 }, classification: 'pod-local' },
      { name: '2 of 3 with k=3', faults: [{ target: 'coredns-a', outcome: 'timeout', failed: 2 }], config: { failSamples: 3 }, classification: 'healthy' },
      { name: 'a pod at 80 ms, under the default threshold (500 ms)', faults: [{ target: 'coredns-a', outcome: 'ok', latencyMs: 80 }], classification: 'healthy' },
    ];
    for (const row of rows)
      it(`${row.name} → ${row.classification}`, () => {
        expect(run({ pods: pods(3), faults: row.faults, extra: { config: row.config } }).classification).to.equal(row.classification);
      });

    // Slow answers are answers: their own classification, and only a pod much slower than its peers is restarted.
    const slowRows: { name: string; faults: Fault[]; config?: JudgeInput['config']; classification: Classification; candidates: string[]; reason: RegExp }[] = [
      {
        name: 'one pod at 800 ms, peers at 1.5 ms, the default threshold',
        faults: [{ target: 'coredns-a', outcome: 'ok', latencyMs: 800 }],
        classification: 'slow',
        candidates: ['coredns-a'],
        reason: /^coredns-a answers much slower than its peers \(answers in 800 ms \(p50\) while its peers answer in 1\.5 ms\) — it is repairable/,
      },
      {
        name: 'one pod at 80 ms above a 50 ms threshold, peers at 1.5 ms',
        faults: [{ target: 'coredns-a', outcome: 'ok', latencyMs: 80 }],
        config: { latencyThresholdMs: 50 },
        classification: 'slow',
        candidates: ['coredns-a'],
        reason: /much slower than its peers/,
      },
      {
        name: 'one pod at 600 ms, peers at 150 ms: only 4× → not restarted',
        faults: [{ outcome: 'ok', latencyMs: 150 }, { target: 'coredns-a', outcome: 'ok', latencyMs: 600 }],
        classification: 'slow',
        candidates: [],
        reason: /^coredns-a answers slower than 500 ms \(p50 up to 600 ms\), but not 5× slower than the peers: the load, the upstream or the nodes.*not restarting/,
      },
      {
        name: 'every target at 800 ms',
        faults: [{ outcome: 'ok', latencyMs: 800 }],
        classification: 'slow',
        candidates: [],
        reason: /^every CoreDNS pod answers slower than 500 ms \(p50 up to 800 ms\): the load, the upstream or the nodes, not one sick pod — not restarting/,
      },
      {
        name: 'a slow pod next to a hung one → both pod-local while the third passes',
        faults: [{ target: 'coredns-a', outcome: 'ok', latencyMs: 800 }, { target: 'coredns-b', outcome: 'timeout' }],
        classification: 'pod-local',
        candidates: ['coredns-a', 'coredns-b'],
        reason: /coredns-a, coredns-b fail while coredns-c passes/,
      },
    ];
    for (const row of slowRows)
      it(`${row.name} → ${row.classification}${row.candidates.length ? `, restart ${row.candidates.join(', ')}` : ', no restart'}`, () => {
        const j = run({ pods: pods(3), faults: row.faults, extra: { config: row.config } });
        expect(j.classification, j.reason).to.equal(row.classification);
        expect(j.reason).to.match(row.reason);
        expect(candidates(j)).to.deep.equal(row.candidates);
        // A slow pod still answers: never out of service.
        expect(j.targets.filter((t) => t.outOfService).map((t) => t.label)).to.satisfy((ls: string[]) => ls.every((l) => l === 'coredns-b'));
      });

    it('unset settings keep their defaults', () => {
      const j = run({ pods: pods(3), faults: [hang('coredns-a')], extra: { config: { confirmCycles: undefined, failSamples: undefined } } });
      expect(candidates(j)).to.deep.equal(['coredns-a']);
    });
  });

  describe('consecutive cycles', () => {
    const key = 'pod/kube-system/coredns-a/uid-coredns-a';
    const hung: Fault[] = [{ target: 'coredns-a', outcome: 'timeout' }];
    const rows: { name: string; previous: number; confirm: number; status: string; count: number; candidate: boolean }[] = [
      { name: 'first failing cycle, M=1', previous: 0, confirm: 1, status: 'fail', count: 1, candidate: true },
      { name: 'first failing cycle, M=3', previous: 0, confirm: 3, status: 'pending-confirmation', count: 1, candidate: false },
      { name: 'second failing cycle, M=3', previous: 1, confirm: 3, status: 'pending-confirmation', count: 2, candidate: false },
      { name: 'third failing cycle, M=3', previous: 2, confirm: 3, status: 'fail', count: 3, candidate: true },
      { name: 'tenth failing cycle, M=3', previous: 9, confirm: 3, status: 'fail', count: 10, candidate: true },
    ];
    for (const row of rows)
      it(`${row.name} → ${row.status}`, () => {
        const j = run({ pods: pods(3), faults: hung, extra: { previousFailures: { [key]: row.previous }, config: { confirmCycles: row.confirm } } });
        const t = target(j, 'coredns-a');
        expect(t.status).to.equal(row.status);
        expect(t.consecutiveFailures).to.equal(row.count);
        expect(j.candidates.length > 0).to.equal(row.candidate);
        expect(j.classification).to.equal('pod-local');
        if (!row.candidate) {
          expect(t.reason).to.match(new RegExp(`waiting for confirmation: ${row.count} of ${row.confirm}`));
          expect(j.notes.join()).to.match(/1 failing target\(s\) wait for confirmation/);
        }
      });

    it('a replacement pod (same name, new uid) starts fresh', () => {
      const j = run({
        pods: [pod(0, { uid: 'uid-new' }), pod(1), pod(2)],
        faults: hung,
        extra: { previousFailures: { [key]: 5 }, config: { confirmCycles: 3 } },
      });
      expect(target(j, 'coredns-a')).to.deep.include({ status: 'pending-confirmation', consecutiveFailures: 1 });
    });

    it('a passing cycle resets the count', () => {
      const j = run({ pods: pods(3), extra: { previousFailures: { [key]: 5 } } });
      expect(target(j, 'coredns-a').consecutiveFailures).to.equal(0);
    });

    it('a probe-side cycle leaves the counts where they were and marks targets unknown', () => {
      const j = run({ pods: pods(3), faults: [{ outcome: 'unreachable' }], extra: { previousFailures: { [key]: 2 } } });
      expect(target(j, 'coredns-a')).to.deep.include({ status: 'unknown', consecutiveFailures: 2, classification: 'probe-side' });
      expect(target(j, 'coredns-b')).to.deep.include({ status: 'unknown', consecutiveFailures: 0 });
    });

    it('a probe that could not run the plan is probe-side, with its error', () => {
      const p = plan(pods(2));
      const j = judge({
        plan: p,
        workload: workload(pods(2)),
        primary: { node: 'node-2', report: { ...report(p), results: [], error: { kind: 'plan-invalid', message: 'samples must be an integer' } } },
      });
      expect(j.classification).to.equal('probe-side');
      expect(j.reason).to.match(/probe on node node-2 cannot be trusted: the probe could not run the plan \(plan-invalid: samples must be an integer\)/);
      expect(j.targets.every((t) => t.status === 'unknown')).to.equal(true);
    });
  });

  describe('scale', () => {
    for (const n of [1, 2, 3, 100])
      it(`${n} pods, one hung: ${n === 1 ? 'all pods failing' : 'pod-local'}`, () => {
        const j = run({ pods: pods(n), faults: [{ target: 'coredns-a', outcome: 'timeout' }] });
        expect(j.classification).to.equal(n === 1 ? 'uncorroborated' : 'pod-local');
        expect(candidates(j)).to.deep.equal(n === 1 ? [] : ['coredns-a']);
      });

    it('100 pods, 99 hung: pod-local for the 99', () => {
      const ps = pods(100);
      const j = run({ pods: ps, faults: ps.slice(1).map((p) => ({ target: p.name, outcome: 'timeout' as const })) });
      expect(j.classification).to.equal('pod-local');
      expect(j.candidates).to.have.length(99);
      expect(j.candidates.map((c) => c.scope)).to.satisfy((s: string[]) => s.every((x) => x === 'pod-local'));
    });

    it('100 pods all failing everywhere: cluster-wide candidates', () => {
      const j = run({ pods: pods(100), faults: [{ outcome: 'timeout' }], others: [{ node: 'node-1', faults: [{ outcome: 'timeout' }] }] });
      expect(j.classification).to.equal('cluster-wide');
      expect(j.candidates).to.have.length(100);
      expect(j.candidates[0]!.scope).to.equal('cluster-wide');
    });
  });

  describe("out of service: a pod answering none of CoreDNS's own checks over a transport counts as unavailable", () => {
    const rows: { name: string; faults: Fault[]; out: string[] }[] = [
      { name: 'healthy', faults: [], out: [] },
      { name: 'hung', faults: [{ target: 'coredns-b', outcome: 'timeout' }], out: ['coredns-b'] },
      { name: 'UDP dropped, TCP answers', faults: [{ target: 'coredns-b', transport: 'udp', outcome: 'timeout' }], out: ['coredns-b'] },
      { name: 'one record wrong', faults: [{ target: 'coredns-b', query: 'api', outcome: 'wrong-answer' }], out: [] },
      { name: 'only the external name fails', faults: [{ target: 'coredns-b', query: 'ext', outcome: 'server-failure' }], out: [] },
      { name: 'the probe cannot be trusted', faults: [{ outcome: 'unreachable' }], out: [] },
    ];
    for (const r of rows)
      it(`${r.name} → ${r.out.join(', ') || 'none'}`, () => {
        const j = run({ pods: pods(3), faults: r.faults });
        expect(j.targets.filter((t) => t.kind === 'pod' && t.outOfService).map((t) => t.label)).to.deep.equal(r.out);
      });
  });

  describe('repairHint: the end of the reason that offers a repair', () => {
    it('pod-local ends with it', () => {
      const j = run({ pods: pods(3), faults: [{ target: 'coredns-b', outcome: 'timeout' }] });
      expect(j.repairHint).to.equal(' — it is repairable (--repair restarts it one at a time)');
      expect(j.reason.endsWith(j.repairHint!)).to.equal(true);
    });
    it('nothing repairable, none', () => {
      expect(run({ pods: pods(3), faults: [{ query: 'ext', outcome: 'server-failure' }] }).repairHint).to.equal(undefined);
    });
  });

  describe('a probe node whose DNS path is dead, while the primary probe sees every pod pass', () => {
    const rows: { name: string; others: { node: string; faults: Fault[] }[]; classification: Classification; reason?: RegExp }[] = [
      { name: 'every node passes', others: [{ node: 'node-1', faults: [] }], classification: 'healthy' },
      { name: 'node-2 without network', others: [{ node: 'node-1', faults: [] }, { node: 'node-2', faults: [{ outcome: 'unreachable' }] }], classification: 'probe-side', reason: /^DNS fails from node node-2 \(every query failed with a network error.*\) while every CoreDNS pod passes from node node-0: that node's network or DNS path .* not restarting; check the node$/ },
      { name: 'node-1 times out on every pod', others: [{ node: 'node-1', faults: [{ outcome: 'timeout' }] }], classification: 'probe-side', reason: /^DNS fails from node node-1 \(every CoreDNS pod fails from there\)/ },
      { name: 'node-1 sees one pod fail (not the whole path)', others: [{ node: 'node-1', faults: [{ target: 'coredns-a', outcome: 'timeout' }] }], classification: 'healthy' },
    ];
    for (const r of rows)
      it(`${r.name} → ${r.classification}`, () => {
        const j = run({ pods: pods(3), others: r.others });
        expect(j.classification, j.reason).to.equal(r.classification);
        if (r.reason) expect(j.reason).to.match(r.reason);
        expect(j.candidates).to.deep.equal([]);
      });
  });
});
