import { expect } from 'chai';
import type { DnsPod } from '../discover/types.ts';
import { dualPod, pod, pods, plan, report, workload, type Fault } from '../../test/fixtures/reports.ts';
import { judge } from '../judge/judge.ts';
import type { JudgeInput } from '../judge/types.ts';
import { emptyHistory, type EscalationRecord, type History, type RestartRecord } from './history.ts';
import { lineageOf, planRepairs, type RepairConfig, type RepairPlan } from './policy.ts';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const SEC = 1000;
const MIN = 60 * SEC;
const ago = (ms: number): string => new Date(NOW.getTime() - ms).toISOString();
/** Signature of a pod that fails every check (hung). */
const HUNG = 'api/tcp,api/udp,dns-srv/tcp,dns-srv/udp,ext/tcp,ext/udp';

const hang = (name: string): Fault => ({ target: name, outcome: 'timeout' });
/** A pod that still answers, one record wrong. */
const wrong = (name: string): Fault => ({ target: name, query: 'api', outcome: 'wrong-answer' });

interface Situation {
  pods: DnsPod[];
  faults?: Fault[];
  /** Another probe (node-1) with these faults. */
  corroborate?: Fault[];
  replicas?: number;
  judgeConfig?: JudgeInput['config'];
  previousFailures?: Record<string, number>;
}

function plan_(s: Situation, history: History = emptyHistory(), config: Partial<RepairConfig> = {}): RepairPlan {
  const p = plan(s.pods);
  const judgement = judge({
    plan: p,
    workload: workload(s.pods, s.replicas),
    primary: { node: 'node-0', report: report(p, s.faults) },
    corroborating: s.corroborate ? [{ node: 'node-1', report: report(p, s.corroborate) }] : [],
    previousFailures: s.previousFailures,
    config: s.judgeConfig,
  });
  return planRepairs(judgement, workload(s.pods, s.replicas), history, config, NOW);
}

interface RestartOpts {
  lineage?: string;
  workload?: string;
  replacedBy?: string;
}
const restart = (podName: string, agoMs: number, signature = HUNG, o: RestartOpts = {}): RestartRecord => ({
  id: `r-${podName}-${agoMs}`,
  at: ago(agoMs),
  method: 'evict',
  status: 'done',
  lineage: o.lineage ?? lineageOf('kube-system', podName),
  workload: o.workload ?? 'coredns',
  pods: [{ name: podName, uid: `uid-old-${podName}`, signature }],
  ...(o.replacedBy ? { replacements: [{ name: o.replacedBy, uid: `uid-${o.replacedBy}` }] } : {}),
});
/** A lineage of restarts ending in `last` (the pod failing now): each restart replaced by the next pod. */
const chain = (names: string[], agoMs: number[], last: string, signature = HUNG): RestartRecord[] =>
  names.map((n, i) => restart(n, agoMs[i]!, signature, { lineage: lineageOf('kube-system', names[0]!), replacedBy: names[i + 1] ?? last }));
const history = (restarts: RestartRecord[], escalations: EscalationRecord[] = []): History => ({ ...emptyHistory(), restarts, escalations });

const actions = (r: RepairPlan): string[] => r.actions.map((a) => `${a.method} ${a.pod ?? a.deployment}`);
const skipped = (r: RepairPlan, podName: string): string => r.skipped.find((s) => s.pod === podName)?.reason ?? '(not skipped)';

describe('repair/policy', () => {
  describe('what the judge allows (rules 1–4)', () => {
    const rows: { name: string; s: Situation; config?: Partial<RepairConfig>; actions: string[]; skip?: [string, RegExp][] }[] = [
      { name: 'healthy', s: { pods: pods(3) }, actions: [] },
      { name: 'one hung pod of 3', s: { pods: pods(3), faults: [hang('coredns-b')] }, actions: ['evict coredns-b'] },
      { name: 'one hung pod of 3, method delete', s: { pods: pods(3), faults: [hang('coredns-b')] }, config: { method: 'delete' }, actions: ['delete coredns-b'] },
      { name: 'one hung pod of 2', s: { pods: pods(2), faults: [hang('coredns-a')] }, actions: ['evict coredns-a'] },
      { name: 'one hung pod of 100', s: { pods: pods(100), faults: [hang('coredns-z')] }, actions: ['evict coredns-z'] },
      {
        name: 'upstream down',
        s: { pods: pods(3), faults: [{ query: 'ext', outcome: 'server-failure' }] },
        actions: [],
        skip: [['coredns-a', /only names outside the cluster fail/]],
      },
      { name: 'service-only', s: { pods: pods(3), faults: [{ target: 'svc', outcome: 'timeout' }] }, actions: [], skip: [] },
      {
        name: 'probe network down',
        s: { pods: pods(3), faults: [{ outcome: 'unreachable' }] },
        actions: [],
        skip: [['coredns-c', /probe on node node-0 cannot be trusted/]],
      },
      {
        name: 'every pod fails, not corroborated',
        s: { pods: pods(3), faults: [{ outcome: 'timeout' }] },
        actions: [],
        skip: [['coredns-a', /no probe on another node could corroborate/]],
      },
      {
        name: 'every pod fails here, passes from node-1',
        s: { pods: pods(3), faults: [{ outcome: 'timeout' }], corroborate: [] },
        actions: [],
        skip: [['coredns-b', /from node node-1 all pods pass/]],
      },
      {
        name: 'one pod fails here but passes from node-1',
        s: { pods: pods(3), faults: [hang('coredns-b')], corroborate: [] },
        actions: [],
        skip: [['coredns-b', /passes from node node-1: the network path/]],
      },
      {
        name: 'cluster-wide without --allow-full-restart',
        s: { pods: pods(3), faults: [{ outcome: 'timeout' }], corroborate: [{ outcome: 'timeout' }] },
        actions: [],
        skip: [
          ['coredns-a', /cluster-wide.*--allow-full-restart/],
          ['coredns-c', /cluster-wide.*--allow-full-restart/],
        ],
      },
      {
        name: 'cluster-wide with --allow-full-restart: every pod, one at a time',
        s: { pods: pods(3), faults: [{ outcome: 'timeout' }], corroborate: [{ outcome: 'timeout' }] },
        config: { allowFullRestart: true },
        actions: ['evict coredns-a', 'evict coredns-b', 'evict coredns-c'],
      },
      {
        name: 'crash-looping pod',
        s: { pods: [pod(0), pod(1, { waitingReason: 'CrashLoopBackOff', ready: false }), pod(2)], faults: [hang('coredns-b')] },
        actions: [],
        skip: [['coredns-b', /restart cannot help: it is crash-looping/]],
      },
      {
        name: 'Pending pod with an IP',
        s: { pods: [pod(0), pod(1, { phase: 'Pending', ready: false }), pod(2)], faults: [hang('coredns-b')] },
        actions: [],
        skip: [['coredns-b', /restart cannot help: it is Pending/]],
      },
      {
        name: 'failing, not yet confirmed (M=2)',
        s: { pods: pods(3), faults: [hang('coredns-b')], judgeConfig: { confirmCycles: 2 } },
        actions: [],
        skip: [['coredns-b', /waiting for confirmation: 1 of 2 failing cycles/]],
      },
      {
        name: 'confirmed on the second cycle (M=2)',
        s: { pods: pods(3), faults: [hang('coredns-b')], judgeConfig: { confirmCycles: 2 }, previousFailures: { 'pod/kube-system/coredns-b/uid-coredns-b': 1 } },
        actions: ['evict coredns-b'],
      },
    ];
    for (const row of rows)
      it(`${row.name} → ${row.actions.join(', ') || 'no action'}`, () => {
        const r = plan_(row.s, emptyHistory(), row.config);
        expect(actions(r)).to.deep.equal(row.actions);
        expect(r.escalations).to.deep.equal([]);
        for (const [podName, reason] of row.skip ?? []) expect(skipped(r, podName)).to.match(reason);
        if (row.skip?.length === 0) expect(r.skipped).to.deep.equal([]);
      });

    it('an action carries the pod, its uid and node, lineage, signature and the judge reason', () => {
      const r = plan_({ pods: pods(3), faults: [{ target: 'coredns-b', transport: 'udp', query: 'internal', outcome: 'timeout' }] });
      expect(r.actions).to.deep.equal([
        {
          method: 'evict',
          namespace: 'kube-system',
          pod: 'coredns-b',
          deployment: 'coredns',
          lineage: 'kube-system/pod/coredns-b',
          restarts: [{ pod: 'coredns-b', uid: 'uid-coredns-b', node: 'node-1', signature: 'api/udp,dns-srv/udp' }],
          reason: 'fails 2 checks (kubernetes.default.svc.cluster.local A over udp: 3/3 samples failed: timeout detail) while peers pass from the same probe',
        },
      ]);
    });
  });

  describe('capacity: max-unavailable and the floor count pods that serve (Ready and answering DNS) (rule 5)', () => {
    // A pod that answers no DNS serves no one: restarting it takes nothing away, so pods already down
    // never hold it back. A pod that still answers (one wrong record) is held to max-unavailable and the floor.
    const rows: { name: string; s: Situation; config?: Partial<RepairConfig>; actions: string[]; skip?: [string, RegExp][] }[] = [
      {
        name: 'two hung of 3: both in one run, one at a time, worst first by name',
        s: { pods: pods(3), faults: [hang('coredns-c'), hang('coredns-a')] },
        actions: ['evict coredns-a', 'evict coredns-c'],
      },
      {
        name: 'two hung of 3: the longer-failing one first',
        s: { pods: pods(3), faults: [hang('coredns-c'), hang('coredns-a')], previousFailures: { 'pod/kube-system/coredns-c/uid-coredns-c': 4 } },
        actions: ['evict coredns-c', 'evict coredns-a'],
      },
      {
        name: 'two hung of 5: both in one run',
        s: { pods: pods(5), faults: [hang('coredns-b'), hang('coredns-d')] },
        actions: ['evict coredns-b', 'evict coredns-d'],
      },
      {
        name: 'one hung and one with a wrong record of 3: the hung one first, then the other once it is back',
        s: { pods: pods(3), faults: [wrong('coredns-b'), hang('coredns-c')] },
        actions: ['evict coredns-c', 'evict coredns-b'],
      },
      {
        name: 'two with a wrong record of 3: both, one at a time (each restart leaves 2 serving)',
        s: { pods: pods(3), faults: [wrong('coredns-b'), wrong('coredns-a')] },
        actions: ['evict coredns-a', 'evict coredns-b'],
      },
      {
        name: 'two hung of 2 with max-unavailable 2 (all fail: not pod-local)',
        s: { pods: pods(2), faults: [hang('coredns-a'), hang('coredns-b')] },
        config: { maxUnavailable: 2 },
        actions: [],
      },
      {
        name: 'a peer Pending (unschedulable), the sick pod hung: it serves no one, so it is restarted',
        s: { pods: [pod(0), pod(1), pod(2, { phase: 'Pending', ready: false, waitingReason: 'Unschedulable' })], faults: [hang('coredns-a')] },
        actions: ['evict coredns-a'],
      },
      {
        name: 'a peer not Ready, the sick pod still answers (one wrong record): waits',
        s: { pods: [pod(0), pod(1), pod(2, { ready: false })], faults: [wrong('coredns-a')] },
        actions: [],
        skip: [['coredns-a', /1 pod\(s\) already unavailable \(coredns-c\) and coredns-a still answers DNS; max-unavailable is 1/]],
      },
      {
        name: 'dual-stack: a peer not Ready, the sick pod dead on IPv6 only still serves IPv4, so it waits',
        s: { pods: [dualPod(0), dualPod(1), dualPod(2, { ready: false })], faults: [{ target: 'coredns-a (ipv6)', outcome: 'timeout' }] },
        actions: [],
        skip: [['coredns-a', /already unavailable \(coredns-c\) and coredns-a still answers DNS/]],
      },
      {
        name: 'dual-stack: a peer not Ready, the sick pod dead on both families',
        s: { pods: [dualPod(0), dualPod(1), dualPod(2, { ready: false })], faults: [hang('coredns-a'), hang('coredns-a (ipv6)')] },
        actions: ['evict coredns-a'],
      },
      {
        name: 'a peer terminating, the sick pod hung',
        s: { pods: [pod(0), pod(1), pod(2, { terminating: true })], faults: [hang('coredns-a')] },
        actions: ['evict coredns-a'],
      },
      {
        name: 'a peer terminating, the sick pod still answers',
        s: { pods: [pod(0), pod(1), pod(2, { terminating: true })], faults: [wrong('coredns-a')] },
        actions: [],
        skip: [['coredns-a', /already unavailable \(coredns-c\)/]],
      },
      {
        name: 'a replica missing, the sick pod hung',
        s: { pods: pods(2), replicas: 3, faults: [hang('coredns-a')] },
        actions: ['evict coredns-a'],
      },
      {
        name: 'a replica missing, the sick pod still answers',
        s: { pods: pods(2), replicas: 3, faults: [wrong('coredns-a')] },
        actions: [],
        skip: [['coredns-a', /already unavailable \(\(missing replica 1\)\)/]],
      },
      {
        name: 'a peer not Ready, max-unavailable 2, the sick pod still answers',
        s: { pods: [pod(0), pod(1), pod(2), pod(3, { ready: false })], faults: [wrong('coredns-a')] },
        config: { maxUnavailable: 2 },
        actions: ['evict coredns-a'],
      },
      {
        name: 'explicit floor --min-ready 3 of 3, the sick pod still answers',
        s: { pods: pods(3), faults: [wrong('coredns-a')] },
        config: { minReady: 3 },
        actions: [],
        skip: [['coredns-a', /would leave 2 serving pod\(s\) \(Ready and answering DNS\), below the floor of 3/]],
      },
      {
        name: 'explicit floor --min-ready 3 of 3, the sick pod hung: nothing serving is taken away',
        s: { pods: pods(3), faults: [hang('coredns-a')] },
        config: { minReady: 3 },
        actions: ['evict coredns-a'],
      },
      {
        name: 'cluster-wide, full restart allowed, 3 of 3: every pod, one at a time (verification stops it at the first that does not help)',
        s: { pods: pods(3), faults: [{ outcome: 'timeout' }], corroborate: [{ outcome: 'timeout' }] },
        config: { maxUnavailable: 3, allowFullRestart: true },
        actions: ['evict coredns-a', 'evict coredns-b', 'evict coredns-c'],
      },
      {
        name: 'single replica failing everywhere, full restart allowed: refused, says why',
        s: { pods: pods(1), faults: [{ outcome: 'timeout' }], corroborate: [{ outcome: 'timeout' }] },
        config: { allowFullRestart: true },
        actions: [],
        skip: [['coredns-a', /restarting the only CoreDNS pod takes DNS to 0 Ready pods; pass --allow-single-replica/]],
      },
      {
        name: 'single replica failing everywhere, no flags: the message names both flags it would need',
        s: { pods: pods(1), faults: [{ outcome: 'timeout' }], corroborate: [{ outcome: 'timeout' }] },
        config: {},
        actions: [],
        skip: [['coredns-a', /not restarting without --allow-full-restart and --allow-single-replica/]],
      },
      {
        name: 'single replica with --allow-single-replica',
        s: { pods: pods(1), faults: [{ outcome: 'timeout' }], corroborate: [{ outcome: 'timeout' }] },
        config: { allowFullRestart: true, allowSingleReplica: true },
        actions: ['evict coredns-a'],
      },
      {
        name: 'rollout keeps the readiness rules: a peer not Ready holds it back',
        s: { pods: [pod(0), pod(1), pod(2, { ready: false })], faults: [hang('coredns-a')] },
        config: { method: 'rollout' },
        actions: [],
        skip: [['coredns-a', /1 pod\(s\) already unavailable \(coredns-c\); max-unavailable is 1 — waiting for them to be Ready/]],
      },
    ];
    for (const row of rows)
      it(`${row.name} → ${row.actions.join(', ') || 'no action'}`, () => {
        const r = plan_(row.s, emptyHistory(), row.config);
        expect(actions(r)).to.deep.equal(row.actions);
        for (const [podName, reason] of row.skip ?? []) expect(skipped(r, podName)).to.match(reason);
      });
  });

  describe('cooldown (keyed by pod lineage)', () => {
    const hungB: Situation = { pods: pods(3), faults: [hang('coredns-b')] };
    const rows: { name: string; s?: Situation; restarts: RestartRecord[]; config?: Partial<RepairConfig>; restarted: boolean; reason?: RegExp }[] = [
      { name: 'same pod restarted 4m59s ago', restarts: [restart('coredns-b', 5 * MIN - SEC)], restarted: false, reason: /in cooldown: coredns-b was restarted 4m59s ago \(cooldown 5m, until 2025-06-01T12:00:01.000Z\)/ },
      { name: 'same pod restarted exactly 5m ago', restarts: [restart('coredns-b', 5 * MIN)], restarted: true },
      { name: 'same pod restarted 10m ago', restarts: [restart('coredns-b', 10 * MIN)], restarted: true },
      { name: 'cooldown 10m, restarted 6m ago', restarts: [restart('coredns-b', 6 * MIN)], config: { cooldownMs: 10 * MIN }, restarted: false, reason: /cooldown 10m/ },
      {
        name: 'replacement pod started after its predecessor was restarted',
        s: { pods: [pod(0), pod(1, { startTime: ago(30 * SEC) }), pod(2)], faults: [hang('coredns-b')] },
        restarts: [restart('coredns-old', 60 * SEC)],
        restarted: false,
        reason: /in cooldown: its predecessor coredns-old was restarted 1m ago/,
      },
      {
        name: 'replacement started in the same second as the restart',
        s: { pods: [pod(0), pod(1, { startTime: '2025-06-01T11:59:00Z' }), pod(2)], faults: [hang('coredns-b')] },
        restarts: [{ ...restart('coredns-old', 0), at: '2025-06-01T11:59:00.700Z' }],
        restarted: false,
        reason: /its predecessor coredns-old/,
      },
      { name: 'an older peer after another pod was restarted', restarts: [restart('coredns-old', 60 * SEC)], restarted: true },
      {
        name: 'pod without a start time after a restart in its Deployment (assumed a replacement)',
        s: { pods: [pod(0), pod(1, { startTime: undefined }), pod(2)], faults: [hang('coredns-b')] },
        restarts: [restart('coredns-old', 60 * SEC)],
        restarted: false,
        reason: /in cooldown/,
      },
      { name: 'restart in another Deployment', restarts: [restart('other-x', 60 * SEC, HUNG, { workload: 'other' })], restarted: true },
      { name: 'its predecessor restarted 1m ago, replacement recorded', restarts: chain(['coredns-old'], [60 * SEC], 'coredns-b'), restarted: false, reason: /in cooldown: its predecessor coredns-old was restarted 1m ago/ },
      {
        name: "a pod started just after another lineage's restart whose replacement is recorded (not its replacement)",
        s: { pods: [pod(0), pod(1, { startTime: ago(30 * SEC) }), pod(2)], faults: [hang('coredns-b')] },
        restarts: [restart('coredns-old', 60 * SEC, HUNG, { replacedBy: 'coredns-new' })],
        restarted: true,
      },
      { name: 'another pod of the Deployment restarted 10s ago (other lineage)', restarts: [restart('coredns-a', 10 * SEC, HUNG, { replacedBy: 'coredns-d' })], restarted: true },
      { name: 'an unsettled intent of this pod (the run died) counts', restarts: [{ ...restart('coredns-b', 20 * SEC), status: 'intent' }], restarted: false, reason: /in cooldown: coredns-b/ },
    ];
    for (const row of rows)
      it(`${row.name} → ${row.restarted ? 'restart' : 'skip'}`, () => {
        const r = plan_(row.s ?? hungB, history(row.restarts), row.config);
        expect(actions(r)).to.deep.equal(row.restarted ? ['evict coredns-b'] : []);
        if (row.reason) expect(skipped(r, 'coredns-b')).to.match(row.reason);
      });
  });

  describe('restart budget per window', () => {
    const hungB: Situation = { pods: pods(3), faults: [hang('coredns-b')] };
    const other = (agoMs: number, i: number) => restart(`coredns-old${i}`, agoMs, `sig-${i}`);
    const rows: { name: string; restarts: RestartRecord[]; config?: Partial<RepairConfig>; restarted: boolean; reason?: RegExp }[] = [
      { name: '2 of 3 used', restarts: [other(20 * MIN, 1), other(10 * MIN, 2)], restarted: true },
      {
        name: '3 of 3 used',
        restarts: [other(30 * MIN, 1), other(20 * MIN, 2), other(10 * MIN, 3)],
        restarted: false,
        reason: /restart budget used: 3 restarts in the last 1h \(budget 3\); the oldest leaves the window at 2025-06-01T12:30:00.000Z/,
      },
      { name: '3 used, the oldest exactly 1h ago (out of the window)', restarts: [other(60 * MIN, 1), other(20 * MIN, 2), other(10 * MIN, 3)], restarted: true },
      { name: '3 used, budget 4', restarts: [other(30 * MIN, 1), other(20 * MIN, 2), other(10 * MIN, 3)], config: { budget: 4 }, restarted: true },
      { name: 'budget 0', restarts: [], config: { budget: 0 }, restarted: false, reason: /budget 0/ },
      { name: '1 used in a 10m window, budget 1', restarts: [other(9 * MIN, 1)], config: { budget: 1, windowMs: 10 * MIN }, restarted: false, reason: /1 restarts in the last 10m/ },
    ];
    for (const row of rows)
      it(`${row.name} → ${row.restarted ? 'restart' : 'skip'}`, () => {
        const r = plan_(hungB, history(row.restarts), row.config);
        expect(actions(r)).to.deep.equal(row.restarted ? ['evict coredns-b'] : []);
        if (row.reason) expect(skipped(r, 'coredns-b')).to.match(row.reason);
      });

    it('unset settings keep their defaults', () => {
      const r = plan_(hungB, history([other(30 * MIN, 1), other(20 * MIN, 2), other(10 * MIN, 3)]), { budget: undefined, windowMs: undefined, maxUnavailable: undefined });
      expect(skipped(r, 'coredns-b')).to.match(/restart budget used: 3 restarts in the last 1h \(budget 3\)/);
    });

    it('counts the restarts planned in the same run', () => {
      const r = plan_({ pods: pods(4), faults: [hang('coredns-a'), hang('coredns-b')] }, history([other(10 * MIN, 1), other(8 * MIN, 2)]), { maxUnavailable: 2 });
      expect(actions(r)).to.deep.equal(['evict coredns-a']);
      expect(skipped(r, 'coredns-b')).to.match(/restart budget used: 3 restarts/);
    });
  });

  describe('escalation when the same failure returns', () => {
    const hungB: Situation = { pods: pods(3), faults: [hang('coredns-b')] };
    const rows: { name: string; restarts: RestartRecord[]; config?: Partial<RepairConfig>; escalated: boolean; restarted: boolean }[] = [
      { name: 'after 1 restart of its lineage for the same failure', restarts: chain(['coredns-x'], [20 * MIN], 'coredns-b'), escalated: false, restarted: true },
      { name: 'after exactly 2 restarts of its lineage for the same failure', restarts: chain(['coredns-x', 'coredns-y'], [30 * MIN, 20 * MIN], 'coredns-b'), escalated: true, restarted: false },
      { name: 'after 2 restarts of OTHER pods with the same failure (other lineages)', restarts: [restart('coredns-x', 30 * MIN, HUNG, { replacedBy: 'coredns-x2' }), restart('coredns-y', 20 * MIN, HUNG, { replacedBy: 'coredns-y2' })], escalated: false, restarted: true },
      { name: 'after 2 restarts of its lineage, the last within the cooldown', restarts: [...chain(['coredns-x'], [30 * MIN], 'coredns-b'), restart('coredns-b', 1 * MIN, HUNG, { lineage: lineageOf('kube-system', 'coredns-x') })], escalated: true, restarted: false },
      { name: 'after 2 restarts for another failure', restarts: chain(['coredns-x', 'coredns-y'], [30 * MIN, 20 * MIN], 'coredns-b', 'api/udp'), escalated: false, restarted: true },
      { name: 'after 2 restarts, one out of the window', restarts: chain(['coredns-x', 'coredns-y'], [61 * MIN, 20 * MIN], 'coredns-b'), escalated: false, restarted: true },
      { name: 'after 2 restarts with escalate-after 3', restarts: chain(['coredns-x', 'coredns-y'], [30 * MIN, 20 * MIN], 'coredns-b'), config: { escalateAfter: 3 }, escalated: false, restarted: true },
      { name: 'after 1 restart with escalate-after 1', restarts: chain(['coredns-x'], [30 * MIN], 'coredns-b'), config: { escalateAfter: 1 }, escalated: true, restarted: false },
    ];
    for (const row of rows)
      it(`${row.name} → ${row.escalated ? 'escalate' : 'no escalation'}`, () => {
        const r = plan_(hungB, history(row.restarts), row.config);
        expect(r.escalations.map((e) => e.pod)).to.deep.equal(row.escalated ? ['coredns-b'] : []);
        expect(actions(r)).to.deep.equal(row.restarted ? ['evict coredns-b'] : []);
      });

    it('gives the evidence: each restart and the failure now', () => {
      const r = plan_(hungB, history(chain(['coredns-x', 'coredns-y'], [30 * MIN, 20 * MIN], 'coredns-b')));
      const [e] = r.escalations;
      expect(e).to.deep.include({ pod: 'coredns-b', lineage: lineageOf('kube-system', 'coredns-x'), signature: HUNG, since: ago(30 * MIN), isNew: true });
      expect(e!.evidence).to.have.length(3);
      expect(e!.evidence[0]).to.equal(`${ago(30 * MIN)}: evict coredns-x for failing ${HUNG}`);
      expect(e!.evidence[2]).to.match(/^2025-06-01T12:00:00.000Z: coredns-b fails the same checks again: fails 6 checks/);
    });

    it('is not new when an earlier run raised it', () => {
      const raised: EscalationRecord = { at: ago(5 * MIN), lineage: lineageOf('kube-system', 'coredns-x'), signature: HUNG, pod: 'coredns-b', evidence: [] };
      const r = plan_(hungB, history(chain(['coredns-x', 'coredns-y'], [30 * MIN, 20 * MIN], 'coredns-b'), [raised]));
      expect(r.escalations[0]!.isNew).to.equal(false);
    });
  });

  describe('rollout method', () => {
    it('one action for the Deployment, with the sick pods', () => {
      const r = plan_({ pods: pods(3), faults: [hang('coredns-a'), hang('coredns-c')] }, emptyHistory(), { method: 'rollout' });
      expect(actions(r)).to.deep.equal(['rollout coredns']);
      expect(r.actions[0]!.restarts.map((p) => p.pod)).to.deep.equal(['coredns-a', 'coredns-c']);
      expect(r.actions[0]!.reason).to.match(/^rollout restart of deployment\/coredns for coredns-a, coredns-c: fails/);
      expect(r.actions[0]!.controller).to.deep.equal({ kind: 'Deployment', name: 'coredns' });
      expect(r.actions[0]!.lineage).to.equal('kube-system/deployment/coredns');
      expect(r.skipped).to.deep.equal([]);
    });

    it('only when the rules allow a restart', () => {
      const r = plan_({ pods: pods(3), faults: [hang('coredns-a')] }, history([restart('coredns-a', MIN)]), { method: 'rollout' });
      expect(actions(r)).to.deep.equal([]);
      expect(skipped(r, 'coredns-a')).to.match(/in cooldown/);
    });

    it('not for pods without a Deployment', () => {
      const ps = pods(3).map((p) => ({ ...p, deployment: undefined }));
      const r = plan_({ pods: ps, faults: [hang('coredns-b')] }, emptyHistory(), { method: 'rollout' });
      expect(actions(r)).to.deep.equal([]);
      expect(skipped(r, 'coredns-b')).to.match(/rollout needs a Deployment, DaemonSet or StatefulSet/);
    });

    // Each kind is restarted by its own rollout (kubectl rollout restart daemonset/… statefulset/…).
    for (const [kind, name] of [['DaemonSet', 'dns-default'], ['StatefulSet', 'dns']] as const)
      it(`a ${kind}'s pods: one rollout of that ${kind}`, () => {
        const ps = pods(3).map((p) => ({ ...p, deployment: undefined, controller: { kind, name } }));
        const r = plan_({ pods: ps, faults: [hang('coredns-b')] }, emptyHistory(), { method: 'rollout' });
        expect(r.actions.map((a) => [a.method, a.controller, a.deployment, a.lineage])).to.deep.equal([['rollout', { kind, name }, undefined, `kube-system/${kind.toLowerCase()}/${name}`]]);
        expect(r.skipped).to.deep.equal([]);
      });
  });

  describe('restart method per controller kind', () => {
    // Eviction works whatever owns the pod: the controller makes the replacement.
    for (const controller of [{ kind: 'Deployment', name: 'coredns' }, { kind: 'DaemonSet', name: 'dns-default' }, { kind: 'StatefulSet', name: 'dns' }, undefined] as const)
      for (const method of ['evict', 'delete'] as const)
        it(`${method} a pod of ${controller ? `${controller.kind} ${controller.name}` : 'no controller'}`, () => {
          const ps = pods(3).map((p) => ({ ...p, ...(controller?.kind !== 'Deployment' && { deployment: undefined }), ...(controller && { controller }) }));
          const r = plan_({ pods: ps, faults: [hang('coredns-b')] }, emptyHistory(), { method });
          expect(actions(r)).to.deep.equal([`${method} coredns-b`]);
        });
  });

  describe('missing pods count as unavailable (the controller wants more than exist)', () => {
    const wl = (n: number, desired: number, kind: 'Deployment' | 'DaemonSet' | 'StatefulSet') => {
      const ps = pods(n);
      return { ps, w: { ...workload(ps), controller: { kind, name: 'dns', desired, ready: n } } };
    };
    // A pod that still answers (one wrong record) waits for the missing ones; a hung one serves no one and never waits.
    for (const kind of ['Deployment', 'DaemonSet', 'StatefulSet'] as const)
      for (const [n, desired, maxUnavailable, fault, want] of [
        [3, 3, 1, 'wrong', ['evict coredns-b']],
        [3, 4, 1, 'wrong', []],
        [3, 4, 2, 'wrong', ['evict coredns-b']],
        [3, 5, 2, 'wrong', []],
        [2, 3, 1, 'wrong', []],
        [3, 5, 1, 'hung', ['evict coredns-b']],
        [2, 3, 1, 'hung', ['evict coredns-b']],
      ] as const)
        it(`${kind}: ${n} of ${desired} pods exist, max-unavailable ${maxUnavailable}, coredns-b ${fault} → ${want.length ? want.join(', ') : 'no action'}`, () => {
          const { ps, w } = wl(n, desired, kind);
          const p = plan(ps);
          const faults = [fault === 'hung' ? hang('coredns-b') : wrong('coredns-b')];
          const judgement = judge({ plan: p, workload: w, primary: { node: 'node-0', report: report(p, faults) }, corroborating: [] });
          const r = planRepairs(judgement, w, emptyHistory(), { maxUnavailable }, NOW);
          expect(actions(r)).to.deep.equal(want);
          if (!want.length) expect(skipped(r, 'coredns-b')).to.match(/missing replica|already unavailable|below the floor/);
        });
  });

  it('bare pods have their own lineage', () => {
    expect(lineageOf('kube-system', 'coredns-a')).to.equal('kube-system/pod/coredns-a');
    const ps = pods(3).map((p) => ({ ...p, deployment: undefined }));
    const r = plan_({ pods: ps, faults: [hang('coredns-b')] }, history([restart('coredns-a', MIN, HUNG, { workload: undefined })]));
    expect(actions(r)).to.deep.equal(['evict coredns-b']);
  });

  describe("single replica with the probe's network evidence", () => {
    // The judge makes the lone replica pod-local (see src/judge/judge-sources.test.ts): one flag suffices.
    const single = (config: Partial<RepairConfig>) => {
      const ps = pods(1);
      const p = plan(ps, { connects: true });
      const judgement = judge({
        plan: p,
        workload: workload(ps),
        primary: { node: 'node-0', report: report(p, [hang('coredns-a')]) },
        corroborating: [{ node: 'node-0', report: report(p, [hang('coredns-a')]) }],
      });
      return planRepairs(judgement, workload(ps), emptyHistory(), config, NOW);
    };
    it('is refused without --allow-single-replica, naming that flag only', () => {
      const r = single({});
      expect(actions(r)).to.deep.equal([]);
      expect(skipped(r, 'coredns-a')).to.match(/pass --allow-single-replica/).and.not.match(/--allow-full-restart/);
    });
    it('is restarted with --allow-single-replica alone', () => expect(actions(single({ allowSingleReplica: true }))).to.deep.equal(['evict coredns-a']));
  });
});
