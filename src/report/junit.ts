// The report as JUnit XML (-o junit, --junit FILE), for CI systems that show test results: one
// <testsuite> per cluster, one <testcase> per target × check (query and transport), a <failure> with
// the reason for each failing one, the cluster's verdict, classification and exit code as suite
// <properties>, the human table as <system-out>. A cycle that could not judge is one <error> case.
// Valid against the JUnit schema Jenkins uses (test/ecosystem/fixtures/junit-10.xsd).
import { renderTable, type CheckOutput } from './output.ts';
import type { TargetResult } from './verdict.ts';
import type { Transport } from '../probe/contract.ts';

/** One cluster's report; `context` names the suite. */
export interface JUnitCluster {
  context: string;
  durationMs?: number;
  report: CheckOutput;
}

// XML 1.0 allows tab, LF, CR and everything from U+0020 except the surrogates and U+FFFE/U+FFFF.
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const escape = (text: string): string =>
  text.replace(NOT_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const attrs = (a: Record<string, string | number | undefined>): string =>
  Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escape(String(v))}"`)
    .join('');

const seconds = (ms: number) => (ms / 1000).toFixed(3);

interface Case {
  xml: string;
  failed: boolean;
  error: boolean;
  skipped: boolean;
}

function targetCases(suite: string, report: CheckOutput, t: TargetResult): Case[] {
  // Only what was asked of this target: a dual-stack pod's second address is asked one check.
  const queries = (report.plan?.queries ?? []).filter((q) => !t.queries || t.queries.includes(q.id));
  const transports = (report.plan?.transports ?? []).filter((t): t is Transport => t === 'udp' || t === 'tcp');
  const classname = `${suite}.${t.label}`;
  return queries.flatMap((q) =>
    transports.map((transport): Case => {
      const name = `${q.name} ${q.type} over ${transport}`;
      const head = `    <testcase${attrs({ classname, name })}`;
      const failing = t.failing.find((f) => f.queryId === q.id && f.transport === transport);
      if (failing) {
        const pending = t.status === 'pending-confirmation' ? ' (awaiting confirmation)' : '';
        const body = [`${t.label} ${t.address}: ${failing.reason}${pending}`, `classification ${t.classification}: ${t.reason}`, ...(t.diagnosis ?? []).map((d) => `diagnosis: ${d.summary} — ${d.evidence}`)].join('\n');
        return { xml: `${head}>\n      <failure${attrs({ type: t.classification, message: failing.reason + pending })}>${escape(body)}</failure>\n    </testcase>`, failed: true, error: false, skipped: false };
      }
      if (t[transport] === 'n/a' || t.status === 'unknown') {
        const why = t.status === 'unknown' ? `not judged: ${t.reason}` : `not probed over ${transport}`;
        return { xml: `${head}>\n      <skipped${attrs({ message: why })}/>\n    </testcase>`, failed: false, error: false, skipped: true };
      }
      return { xml: `${head}/>`, failed: false, error: false, skipped: false };
    }),
  );
}

function suiteXml(c: JUnitCluster, timestamp: string): { xml: string; tests: number; failures: number; errors: number } {
  const r = c.report;
  let cases: Case[];
  if (r.verdict === 'error' || !r.targets) {
    cases = [{ xml: `    <testcase${attrs({ classname: c.context, name: 'check cycle' })}>\n      <error${attrs({ type: `exit-${r.exitCode}`, message: r.message })}>${escape([r.message, ...r.notes].join('\n'))}</error>\n    </testcase>`, failed: false, error: true, skipped: false }];
  } else {
    cases = r.targets.flatMap((t) => targetCases(c.context, r, t));
  }
  for (const u of r.unprobed ?? []) cases.push({ xml: `    <testcase${attrs({ classname: `${c.context}.${u.pod}`, name: 'probed' })}>\n      <skipped${attrs({ message: u.reason })}/>\n    </testcase>`, failed: false, error: false, skipped: true });
  const props: Record<string, string | number | undefined> = {
    verdict: r.verdict,
    exitCode: r.exitCode,
    classification: r.classification,
    reason: r.reason,
    mode: r.mode,
    message: r.message,
    repairMode: r.repair?.mode,
    repairActions: r.repair ? r.repair.actions.map((a) => `${a.outcome} ${a.method} ${a.pod}`).join('; ') : undefined,
    escalations: r.repair ? r.repair.escalations.map((e) => e.pod).join(', ') : undefined,
  };
  const properties = Object.entries(props)
    .filter(([, v]) => v !== undefined)
    .map(([name, value]) => `      <property${attrs({ name, value })}/>`)
    .join('\n');
  const failures = cases.filter((x) => x.failed).length;
  const errors = cases.filter((x) => x.error).length;
  const head = `  <testsuite${attrs({ name: c.context, tests: cases.length, failures, errors, skipped: cases.filter((x) => x.skipped).length, time: c.durationMs === undefined ? undefined : seconds(c.durationMs), timestamp })}>`;
  const out = `    <system-out>${escape(renderTable(r))}</system-out>`;
  return { xml: [head, `    <properties>\n${properties}\n    </properties>`, ...cases.map((x) => x.xml), out, '  </testsuite>'].join('\n'), tests: cases.length, failures, errors };
}

/** The JUnit document of one or several clusters' reports. */
export function renderJUnit(clusters: JUnitCluster[], at: Date = new Date()): string {
  // JUnit's timestamp is ISO 8601 without a zone designator or fraction (ant's XMLJUnitResultFormatter).
  const timestamp = at.toISOString().replace(/\.\d+Z$/, '');
  const suites = clusters.map((c) => suiteXml(c, timestamp));
  const total = (k: 'tests' | 'failures' | 'errors') => suites.reduce((n, s) => n + s[k], 0);
  const known = clusters.every((c) => c.durationMs !== undefined);
  const time = known ? seconds(clusters.reduce((n, c) => n + (c.durationMs ?? 0), 0)) : undefined;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites${attrs({ name: 'coredns-sentinel', tests: total('tests'), failures: total('failures'), errors: total('errors'), time })}>\n${suites.map((s) => s.xml).join('\n')}\n</testsuites>\n`;
}
