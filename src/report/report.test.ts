import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { PLAN_SCHEMA, REPORT_SCHEMA, type CheckPlan, type ProbeReport } from '../probe/contract.ts';
import type { DnsWorkload } from '../discover/types.ts';
import { checkOutput, failingSummary, render, renderRepair } from './output.ts';
import { overallVerdict, targetResults } from './verdict.ts';
import { judge } from '../judge/judge.ts';

const workload: DnsWorkload = {
  namespace: 'kube-system',
  labelSelector: 'k8s-app=kube-dns',
  service: { name: 'kube-dns', namespace: 'kube-system', clusterIPs: ['10.96.0.10'], port: 53 },
  pods: [
    { name: 'coredns-a', namespace: 'kube-system', ip: '10.244.0.2', ips: ['10.244.0.2'], node: 'n1', phase: 'Running', ready: true, restartCount: 0, terminating: false, uid: 'a' },
    { name: 'coredns-b', namespace: 'kube-system', ip: '', ips: [], node: '', phase: 'Pending', ready: false, restartCount: 0, waitingReason: 'ContainerCreating', terminating: false, uid: 'b' },
  ],
  zones: { clusterDomain: 'cluster.local', stubDomains: [], fromCorefile: false, note: 'no Corefile found' },
  kubernetesServiceIP: '10.96.0.1',
  notes: ['no Corefile found: assumed cluster domain cluster.local'],
};

const plan: CheckPlan = {
  schema: PLAN_SCHEMA,
  targets: [
    { id: 'service', address: '10.96.0.10', port: 53, kind: 'service', label: 'service kube-dns' },
    { id: 'pod/coredns-a', address: '10.244.0.2', port: 53, kind: 'pod', label: 'coredns-a' },
  ],
  queries: [{ id: 'kubernetes-a', name: 'kubernetes.default.svc.cluster.local', type: 'A', expect: { equal: ['10.96.0.1'] } }],
  transports: ['udp', 'tcp'],
  samples: 1,
  timeoutMs: 500,
  concurrency: 4,
};

const sample = { outcome: 'ok' as const, rcode: 'NOERROR', answers: ['10.96.0.1'], latencyMs: 1.5 };
const report: ProbeReport = {
  schema: REPORT_SCHEMA,
  probeVersion: '1',
  hostname: 'probe',
  startedAt: '2025-01-01T00:00:00Z',
  durationMs: 10,
  results: [
    { targetId: 'service', queryId: 'kubernetes-a', transport: 'udp', samples: [sample], verdict: 'pass', reason: 'ok' },
    { targetId: 'service', queryId: 'kubernetes-a', transport: 'tcp', samples: [sample], verdict: 'pass', reason: 'ok' },
    { targetId: 'pod/coredns-a', queryId: 'kubernetes-a', transport: 'udp', samples: [{ ...sample, outcome: 'timeout', answers: [], latencyMs: null }], verdict: 'fail', reason: '1/1 samples failed: timeout after 500 ms' },
    { targetId: 'pod/coredns-a', queryId: 'kubernetes-a', transport: 'tcp', samples: [sample], verdict: 'pass', reason: 'ok' },
  ],
  targets: [
    { targetId: 'service', checks: 2, failedChecks: 0, p50Ms: 1.5, p99Ms: 1.5 },
    { targetId: 'pod/coredns-a', checks: 2, failedChecks: 1, p50Ms: 1.5, p99Ms: 1.5 },
  ],
};

describe('report', () => {
  const judgement = judge({ plan, workload, primary: { report, node: 'n2' } });
  const targets = targetResults(plan, report, workload, judgement);
  const data = (requests: number, probes: { pod: string; node: string; durationMs: number }[]) => ({
    workload, plan, targets, probes, requests, classification: judgement.classification, reason: judgement.reason, notes: judgement.notes, mode: 'probe-pod',
  });

  it('gives each target a verdict per transport with the failing checks', () => {
    assert.deepEqual(targets.map((t) => [t.label, t.node, t.udp, t.tcp, t.verdict]), [
      ['service kube-dns', '', 'pass', 'pass', 'pass'],
      ['coredns-a', 'n1', 'fail', 'pass', 'fail'],
    ]);
    assert.deepEqual(targets[1]!.failing, [{ queryId: 'kubernetes-a', query: 'kubernetes.default.svc.cluster.local A', transport: 'udp', external: false, reason: '1/1 samples failed: timeout after 500 ms' }]);
    assert.equal(targets[1]!.status, 'fail');
    assert.deepEqual(overallVerdict(judgement, targets), { healthy: false, line: `DNS unhealthy — ${judgement.classification}: ${judgement.reason}` });
  });

  it('renders the table with unprobed pods, notes and the verdict line', () => {
    const text = render(checkOutput(data(10, [{ pod: 'probe', node: 'n1', durationMs: 10 }]), overallVerdict(judgement, targets), 1), 'table');
    const lines = text.split('\n');
    assert.match(lines[0]!, /^TARGET\s+NODE\s+IP\s+UDP\s+TCP\s+P50\s+P99\s+FAILING CHECKS$/);
    assert.match(text, /^coredns-a\s+n1\s+10\.244\.0\.2:53\s+fail\s+pass\s+1\.50ms\s+1\.50ms\s+kubernetes\.default\.svc\.cluster\.local A udp: 1\/1 samples failed: timeout after 500 ms$/m);
    assert.match(text, /^coredns-b\s+-\s+-\s+n\/a\s+n\/a\s+-\s+-\s+not probed: no IP \(Pending, ContainerCreating\)$/m);
    assert.match(text, /^note: no Corefile found/m);
    assert.match(lines.filter(Boolean).pop()!, /^DNS unhealthy — /);
  });

  it('a target not reached through the API: udp/tcp unknown, its row and the verdict line say so', () => {
    const line = 'create pods/portforward coredns-a in namespace kube-system: the API server failed (HTTP 500): error dialing backend';
    const path = { outcome: 'path' as const, rcode: null, answers: [], latencyMs: null, detail: line };
    const cut: ProbeReport = {
      ...report,
      results: report.results.map((r) => (r.targetId === 'pod/coredns-a' ? { ...r, samples: [path], verdict: 'fail' as const, reason: `1/1 samples failed: ${line}` } : r)),
      targets: report.targets.map((t) => (t.targetId === 'pod/coredns-a' ? { ...t, failedChecks: 2, p50Ms: null, p99Ms: null } : t)),
    };
    const j = judge({ plan, workload, primary: { report: cut, node: '' } });
    const rows = targetResults(plan, cut, workload, j);
    assert.deepEqual(rows.map((t) => [t.label, t.udp, t.tcp, t.status]), [
      ['service kube-dns', 'pass', 'pass', 'pass'],
      ['coredns-a', 'unknown', 'unknown', 'unknown'],
    ]);
    const verdict = overallVerdict(j, rows);
    assert.deepEqual(verdict, { healthy: true, line: 'DNS healthy: 1 targets passed every check; 1 target unknown, not reached through the API: coredns-a' });
    const text = render(checkOutput({ ...data(3, []), targets: rows, classification: j.classification, reason: j.reason }, verdict, 0), 'table');
    assert.match(text, new RegExp(`^coredns-a\\s+n1\\s+10\\.244\\.0\\.2:53\\s+unknown\\s+unknown\\s+-\\s+-\\s+not reached through the API — unknown this cycle, not restarted: ${line.replace(/[()]/g, '\\$&')}$`, 'm'));
  });

  it('renders the same document as JSON and YAML', () => {
    const out = checkOutput(data(9, []), overallVerdict(judgement, targets), 1);
    const json = JSON.parse(render(out, 'json'));
    assert.deepEqual(parse(render(out, 'yaml')), json);
    assert.deepEqual(Object.keys(json), ['apiVersion', 'kind', 'verdict', 'exitCode', 'message', 'classification', 'reason', 'mode', 'workload', 'plan', 'probes', 'targets', 'unprobed', 'notes', 'requests']);
    assert.equal(json.exitCode, 1);
  });

  it('renders the Repair section: done, blocked, skipped, escalations', () => {
    const text = renderRepair({
      mode: 'repair',
      actions: [{ pod: 'coredns-a', method: 'evict', outcome: 'blocked', detail: 'blocked by PodDisruptionBudget coredns: needs 2 healthy, has 2; not forced' }],
      skipped: [{ pod: 'coredns-b', reason: 'in cooldown' }],
      escalations: [{ pod: 'coredns-c', evidence: ['restarted twice'], isNew: true }],
    });
    assert.equal(text, 'Repair:\n  BLOCKED: evict coredns-a: blocked by PodDisruptionBudget coredns: needs 2 healthy, has 2; not forced\n  skipped coredns-b: in cooldown\n  ESCALATION: coredns-c: manual intervention required\n    restarted twice\n');
    assert.match(renderRepair({ mode: 'dry-run', actions: [], skipped: [], escalations: [] }), /dry run: nothing was changed\):\n {2}nothing to repair/);
  });
});

describe('failingSummary', () => {
  const check = (query: string, transport: 'udp' | 'tcp', reason: string) => ({ queryId: query, query, transport, external: false, reason });

  it('groups checks that fail for the same reason, naming both transports', () => {
    const timeout = '3/3 samples failed: timeout after 2000 ms';
    const summary = failingSummary([check('k A', 'udp', timeout), check('k A', 'tcp', timeout), check('k SRV', 'udp', timeout), check('k SRV', 'tcp', timeout)]);
    assert.equal(summary, `2 checks udp+tcp: ${timeout}`);
  });

  it('keeps a lone check by name and separates different reasons', () => {
    const summary = failingSummary([check('k A', 'udp', 'expected 10.96.0.1, got 10.9.9.9'), check('ext A', 'tcp', 'timeout after 2000 ms')]);
    assert.equal(summary, 'k A udp: expected 10.96.0.1, got 10.9.9.9; ext A tcp: timeout after 2000 ms');
  });

  it('is empty when nothing fails', () => {
    assert.equal(failingSummary([]), '');
  });
});
