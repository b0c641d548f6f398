// -o junit / --junit FILE: the document validates with xmllint (Debian libxml2-utils) against the JUnit
// schema Jenkins uses (fixtures/junit-10.xsd, source named in it), and says what the report says.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PLAN_SCHEMA, queriesOf, REPORT_SCHEMA, type CheckPlan, type CheckResult, type ProbeReport, type Sample } from '../../src/probe/contract.ts';
import type { DnsWorkload } from '../../src/discover/types.ts';
import { judge } from '../../src/judge/judge.ts';
import { checkOutput, errorOutput, overallVerdict, targetResults, type CheckOutput } from '../../src/report/index.ts';
import { renderJUnit } from '../../src/report/junit.ts';
import { run } from './tools.ts';

const XSD = 'test/ecosystem/fixtures/junit-10.xsd';

const workload: DnsWorkload = {
  namespace: 'kube-system',
  labelSelector: 'k8s-app=kube-dns',
  service: { name: 'kube-dns', namespace: 'kube-system', clusterIPs: ['10.96.0.10'], port: 53 },
  pods: [
    { name: 'coredns-a', namespace: 'kube-system', ip: '10.244.0.2', ips: ['10.244.0.2'], node: 'n1', phase: 'Running', ready: true, restartCount: 0, terminating: false, uid: 'a' },
    { name: 'coredns-b', namespace: 'kube-system', ip: '10.244.1.2', ips: ['10.244.1.2'], node: 'n2', phase: 'Running', ready: true, restartCount: 0, terminating: false, uid: 'b' },
    { name: 'coredns-c', namespace: 'kube-system', ip: '', ips: [], node: '', phase: 'Pending', ready: false, restartCount: 0, waitingReason: 'ContainerCreating', terminating: false, uid: 'c' },
  ],
  zones: { clusterDomain: 'cluster.local', stubDomains: [], fromCorefile: false, note: 'no Corefile found' },
  kubernetesServiceIP: '10.96.0.1',
  notes: [],
};

const plan: CheckPlan = {
  schema: PLAN_SCHEMA,
  targets: [
    { id: 'service', address: '10.96.0.10', port: 53, kind: 'service', label: 'service kube-dns' },
    { id: 'pod/coredns-a', address: '10.244.0.2', port: 53, kind: 'pod', label: 'coredns-a' },
    { id: 'pod/coredns-b', address: '10.244.1.2', port: 53, kind: 'pod', label: 'coredns-b' },
  ],
  queries: [
    { id: 'kubernetes-a', name: 'kubernetes.default.svc.cluster.local', type: 'A', expect: { equal: ['10.96.0.1'] } },
    { id: 'external', name: 'example.com', type: 'A', expect: { rcodes: ['NOERROR'] }, external: true },
  ],
  transports: ['udp', 'tcp'],
  samples: 1,
  timeoutMs: 500,
  concurrency: 4,
};

const ok: Sample = { outcome: 'ok', rcode: 'NOERROR', answers: ['10.96.0.1'], latencyMs: 1.5 };
const timeout: Sample = { outcome: 'timeout', rcode: null, answers: [], latencyMs: null, detail: 'timeout after 500 ms' };

/** A probe report where `sick` times out on every query over UDP (a <"quoted" & odd> reason included). */
function probeReport(sick: string | null, p: CheckPlan = plan): ProbeReport {
  const results = p.targets.flatMap((t) =>
    queriesOf(p, t).flatMap((q) =>
      p.transports.map((transport): CheckResult => {
        const bad = t.id === sick && transport === 'udp';
        return { targetId: t.id, queryId: q.id, transport, samples: [bad ? timeout : ok], verdict: bad ? 'fail' : 'pass', reason: bad ? '1/1 samples failed: timeout after 500 ms <"udp" & co>' : 'ok' };
      }),
    ),
  );
  return {
    schema: REPORT_SCHEMA, probeVersion: '1', hostname: 'probe', startedAt: '2025-01-01T00:00:00Z', durationMs: 10, results,
    targets: p.targets.map((t) => ({ targetId: t.id, checks: 2 * queriesOf(p, t).length, failedChecks: t.id === sick ? queriesOf(p, t).length : 0, p50Ms: 1.5, p99Ms: 1.5 })),
  };
}

function reportOf(sick: string | null, p: CheckPlan = plan): CheckOutput {
  const report = probeReport(sick, p);
  const judgement = judge({ plan: p, workload, primary: { report, node: 'n3' } });
  const targets = targetResults(p, report, workload, judgement);
  const data = { workload, plan: p, targets, probes: [{ pod: 'probe', node: 'n3', durationMs: 10 }], requests: 5, classification: judgement.classification, reason: judgement.reason, notes: judgement.notes, mode: 'probe-pod' };
  return checkOutput(data, overallVerdict(judgement, targets), judgement.verdict === 'healthy' ? 0 : 1);
}

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'junit-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

function validate(xml: string): { status: number | null; out: string; file: string } {
  const file = join(dir, `r${Math.random().toString(36).slice(2)}.xml`);
  writeFileSync(file, xml);
  const r = run('xmllint', ['--noout', '--schema', XSD, file]);
  return { status: r.status, out: r.stdout + r.stderr, file };
}

const xpath = (file: string, expr: string) => run('xmllint', ['--xpath', expr, file]).stdout.trim();

describe('JUnit XML report, validated with xmllint against junit-10.xsd', function () {
  this.timeout(30_000);

  it('an unhealthy cluster: one case per target × query × transport, failures with the reason, suite properties', () => {
    const report = reportOf('pod/coredns-a');
    expect(report.verdict).to.equal('unhealthy');
    const v = validate(renderJUnit([{ context: 'prod', durationMs: 1234, report }], new Date('2025-06-01T12:00:00.123Z')));
    expect(v.out).to.match(/validates$/m);
    expect(v.status).to.equal(0);
    // 3 targets × 2 queries × 2 transports, plus the pod without an IP (skipped).
    expect(xpath(v.file, 'string(/testsuites/testsuite/@tests)')).to.equal('13');
    expect(xpath(v.file, 'string(/testsuites/testsuite/@failures)')).to.equal('2');
    expect(xpath(v.file, 'string(/testsuites/testsuite/@skipped)')).to.equal('1');
    expect(xpath(v.file, 'string(/testsuites/testsuite/@time)')).to.equal('1.234');
    expect(xpath(v.file, 'string(/testsuites/testsuite/@timestamp)')).to.equal('2025-06-01T12:00:00');
    expect(xpath(v.file, 'string(//testcase[failure][1]/@classname)')).to.equal('prod.coredns-a');
    expect(xpath(v.file, 'string(//testcase[failure][1]/@name)')).to.equal('kubernetes.default.svc.cluster.local A over udp');
    expect(xpath(v.file, 'string(//testcase[failure][1]/failure/@message)')).to.equal('1/1 samples failed: timeout after 500 ms <"udp" & co>');
    expect(xpath(v.file, 'string(//testcase[failure][1]/failure/@type)')).to.equal(report.targets!.find((t) => t.label === 'coredns-a')!.classification);
    expect(xpath(v.file, 'string(//property[@name="exitCode"]/@value)')).to.equal('1');
    expect(xpath(v.file, 'string(//property[@name="classification"]/@value)')).to.equal(report.classification);
    expect(xpath(v.file, 'string(//property[@name="verdict"]/@value)')).to.equal('unhealthy');
    expect(xpath(v.file, 'string(//testcase[@classname="prod.coredns-c"]/skipped/@message)')).to.match(/no IP \(Pending, ContainerCreating\)/);
    expect(xpath(v.file, 'string(//system-out)')).to.contain(report.message);
  });

  it('a healthy cluster: no failures; an error cluster: one error case with the exit code', () => {
    const healthy = reportOf(null);
    const error = errorOutput('cannot reach the API server: GET /api/v1/namespaces/kube-system/pods failed', 3, ['a note \u0007 with a control character']);
    const v = validate(renderJUnit([{ context: 'a', durationMs: 10, report: healthy }, { context: 'b', durationMs: 20, report: error }]));
    expect(v.status, v.out).to.equal(0);
    expect(xpath(v.file, 'string(/testsuites/@tests)')).to.equal('14');
    expect(xpath(v.file, 'string(/testsuites/@failures)')).to.equal('0');
    expect(xpath(v.file, 'string(/testsuites/@errors)')).to.equal('1');
    expect(xpath(v.file, 'count(/testsuites/testsuite)')).to.equal('2');
    expect(xpath(v.file, 'string(//testsuite[@name="b"]//error/@type)')).to.equal('exit-3');
    expect(xpath(v.file, 'string(//testsuite[@name="b"]//property[@name="exitCode"]/@value)')).to.equal('3');
  });

  it('a target asked some queries only (a dual-stack second address): cases for those alone', () => {
    const some = { ...plan, targets: plan.targets.map((t) => (t.id === 'pod/coredns-b' ? { ...t, queries: ['kubernetes-a'] } : t)) };
    const v = validate(renderJUnit([{ context: 'p', report: reportOf('pod/coredns-b', some) }]));
    expect(v.status, v.out).to.equal(0);
    // service and coredns-a: 2 queries × 2 transports; coredns-b: 1 × 2; coredns-c skipped.
    expect(xpath(v.file, 'string(/testsuites/testsuite/@tests)')).to.equal('11');
    expect(xpath(v.file, 'count(//testcase[@classname="p.coredns-b"])')).to.equal('2');
    expect(xpath(v.file, 'string(/testsuites/testsuite/@failures)')).to.equal('1');
  });

  it('the schema check can fail: a case without its name is refused', () => {
    const broken = renderJUnit([{ context: 'x', report: reportOf(null) }]).replace(/<testcase classname="x.coredns-a" name="[^"]*"/, '<testcase classname="x.coredns-a"');
    const v = validate(broken);
    expect(v.status).to.not.equal(0);
    expect(v.out).to.match(/name.*required|fails to validate/);
  });
});
