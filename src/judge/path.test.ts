// Rule 12 (design.md): a failure of the path to a pod — a port-forward tunnel the API server refused,
// samples with outcome "path" — is never a failure of the pod. Table-driven over the judge.
import { expect } from 'chai';
import type { DnsPod } from '../discover/types.ts';
import type { ProbeReport } from '../probe/contract.ts';
import { pods, plan, report, workload, type Fault } from '../../test/fixtures/reports.ts';
import { judge } from './judge.ts';
import type { Classification, Judgement } from './types.ts';

const API_LINE = 'create pods/portforward coredns-a in namespace kube-system: the API server failed (HTTP 500): error dialing backend';
const cut = (name: string): Fault => ({ target: name, outcome: 'path' });
const hang = (name: string): Fault => ({ target: name, outcome: 'timeout' });

/** The report with every "path" sample carrying the API's line, as src/modes/portforward.ts writes it. */
const withApiLine = (r: ProbeReport): ProbeReport => ({
  ...r,
  results: r.results.map((x) => ({ ...x, samples: x.samples.map((s) => (s.outcome === 'path' ? { ...s, detail: API_LINE } : s)) })),
});

interface Row {
  name: string;
  pods: DnsPod[];
  faults: Fault[];
  /** Corroborating probes (node-1 …) and their faults. */
  others?: Fault[][];
  /** Port-forward plans probe no Service. */
  service?: boolean;
  node?: string;
  classification: Classification;
  reason: RegExp;
  candidates: string[];
  unknown: string[];
  notes?: RegExp;
}

const rows: Row[] = [
  {
    name: 'one pod not reached, its peers pass: healthy for what was reached, that pod unknown',
    pods: pods(3),
    faults: [cut('coredns-a')],
    service: false,
    classification: 'healthy',
    reason: /^every target reached passes every check; coredns-a not reached through the API, unknown this cycle$/,
    candidates: [],
    unknown: ['coredns-a'],
  },
  {
    name: 'one pod not reached, one hung, one passing: only the hung one is pod-local',
    pods: pods(3),
    faults: [cut('coredns-a'), hang('coredns-b')],
    service: false,
    classification: 'pod-local',
    reason: /^coredns-b fails while coredns-c passes from the same probe/,
    candidates: ['coredns-b'],
    unknown: ['coredns-a'],
  },
  {
    name: 'one pod not reached, the only other one hung: no passing peer, not pod-local',
    pods: pods(2),
    faults: [cut('coredns-a'), hang('coredns-b')],
    service: false,
    classification: 'uncorroborated',
    reason: /^every CoreDNS pod fails from node node-0 .*; coredns-a not reached through the API, unknown this cycle$/,
    candidates: [],
    unknown: ['coredns-a'],
  },
  {
    name: 'no pod reached: inconclusive with the API\'s line, nothing restarted',
    pods: pods(3),
    faults: [{ outcome: 'path' }],
    service: false,
    classification: 'inconclusive',
    reason: /^no target was reached through the API \(create pods\/portforward coredns-a .*error dialing backend\) — nothing judged, nothing restarted/,
    candidates: [],
    unknown: ['coredns-a', 'coredns-b', 'coredns-c'],
  },
  {
    name: 'in-process (no node), every query unreachable: the reason names this process, never an empty node',
    pods: pods(2),
    faults: [{ outcome: 'unreachable' }],
    service: false,
    node: '',
    classification: 'probe-side',
    reason: /^probe in this process \(no probe pod\) cannot be trusted: .* check this machine's network and its path to the pods/,
    candidates: [],
    unknown: ['coredns-a', 'coredns-b'],
  },
  {
    name: 'every pod fails here; the corroborating probe did not reach one of them: no view, not a disagreement',
    pods: pods(3),
    faults: [{ outcome: 'timeout' }],
    others: [[{ outcome: 'timeout' }, cut('coredns-a')]],
    classification: 'uncorroborated',
    reason: /no probe on another node could corroborate/,
    candidates: [],
    unknown: [],
    notes: /probe on node node-1 could not corroborate: 1 target\(s\) not reached through the API/,
  },
];

function judgeRow(r: Row, previousFailures: Record<string, number> = {}): Judgement {
  const p = plan(r.pods, { service: r.service ?? true });
  const corroborating = (r.others ?? []).map((faults, i) => ({ node: `node-${i + 1}`, report: withApiLine(report(p, faults, `probe-${i + 1}`)) }));
  return judge({ plan: p, workload: workload(r.pods), primary: { node: r.node ?? 'node-0', report: withApiLine(report(p, r.faults)) }, corroborating, previousFailures });
}

describe('judge: the path to a pod is not the pod (rule 12)', () => {
  for (const r of rows)
    it(r.name, () => {
      const j = judgeRow(r);
      expect(j.classification).to.equal(r.classification);
      expect(j.reason).to.match(r.reason);
      expect(j.reason).to.not.match(/node {2}|node [,:;—]/);
      expect(j.candidates.map((c) => c.pod)).to.deep.equal(r.candidates);
      expect(j.targets.filter((t) => t.status === 'unknown').map((t) => t.label)).to.deep.equal(r.unknown);
      if (r.notes) expect(j.notes.join('\n')).to.match(r.notes);
    });

  it('a target not reached is inconclusive with the API\'s line, and its failure count stays where it was', () => {
    const r = rows[0]!;
    const key = `pod/kube-system/coredns-a/uid-coredns-a`;
    const a = judgeRow(r, { [key]: 2 }).targets.find((t) => t.label === 'coredns-a')!;
    expect(a).to.deep.include({ status: 'unknown', classification: 'inconclusive', consecutiveFailures: 2, failedChecks: [], unreached: API_LINE });
    expect(a.reason).to.equal(`not reached through the API — unknown this cycle, not restarted: ${API_LINE}`);
  });

  it('samples that reached the pod still count when others of the same check did not: a hung pod stays pod-local', () => {
    const ps = pods(3);
    const p = plan(ps, { service: false });
    const r = withApiLine(report(p, [hang('coredns-b')]));
    // The first sample of each check of coredns-b never left (its tunnel broke), the other two timed out.
    const mixed = { ...r, results: r.results.map((x) => (x.targetId === 'pod:coredns-b' ? { ...x, samples: x.samples.map((s, i) => (i === 0 ? { ...s, outcome: 'path' as const, detail: API_LINE } : s)) } : x)) };
    const j = judge({ plan: p, workload: workload(ps), primary: { node: 'node-0', report: mixed } });
    expect(j.classification).to.equal('pod-local');
    expect(j.candidates.map((c) => c.pod)).to.deep.equal(['coredns-b']);
    const b = j.targets.find((t) => t.label === 'coredns-b')!;
    expect(b.failedChecks.map((c) => [c.failedSamples, c.samples])).to.deep.include([2, 2]);
    expect(b.failedChecks[0]!.reason).to.equal('2/2 samples failed: timeout detail');
  });
});
