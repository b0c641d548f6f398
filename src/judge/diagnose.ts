// Pure diagnosis of a CoreDNS pod a restart cannot help: its log text and last termination state in,
// findings out, each with the line that proves it. Patterns follow CoreDNS's own messages
// (plugin/loop, plugin/errors, plugin/kubernetes through client-go, plugin/ready).

export interface PodEvidence {
  /** Container log text (current or --previous; the caller picks). */
  logs: string;
  /** lastState.terminated.reason of the CoreDNS container, e.g. "OOMKilled", "Error". */
  lastTerminationReason?: string;
}

export type FindingKind = 'forwarding-loop' | 'out-of-memory' | 'api-unreachable' | 'upstream-timeout' | 'fatal';

export interface Finding {
  kind: FindingKind;
  /** What it means and what to do, one line. */
  summary: string;
  /** The log line (or state) that shows it, trimmed. */
  evidence: string;
}

const EVIDENCE_MAX = 300;

interface Rule {
  kind: FindingKind;
  summary: string;
  matches(line: string): boolean;
}

// Most specific first: a line is credited to the first rule that matches it.
const RULES: Rule[] = [
  {
    kind: 'forwarding-loop',
    summary: "forwarding loop: the node's resolv.conf points back at CoreDNS — fix the forward target",
    matches: (l) => /plugin\/loop: Loop .* detected/i.test(l),
  },
  {
    kind: 'api-unreachable',
    summary: 'CoreDNS cannot reach the API server — check the kubernetes Service, network policies and its RBAC',
    matches: (l) =>
      /failed to (watch|list)\b/i.test(l) ||
      /Still waiting on: "kubernetes"/.test(l) ||
      (/connection refused|i\/o timeout|no route to host/i.test(l) && /plugin\/kubernetes|:6443|:443\b|\/api\//.test(l)),
  },
  {
    kind: 'upstream-timeout',
    summary: 'upstream resolver not answering — check the forward target in the Corefile and its reachability',
    matches: (l) => /\[ERROR\] plugin\/errors: .*(i\/o timeout|connection refused|no route to host)/.test(l),
  },
  {
    kind: 'fatal',
    summary: 'CoreDNS exits with a fatal error — read the line and fix the Corefile or the environment',
    matches: (l) => /\[FATAL\]|^\s*panic:/.test(l),
  },
];

const trim = (line: string): string => {
  const t = line.trim();
  return t.length > EVIDENCE_MAX ? `${t.slice(0, EVIDENCE_MAX - 1)}…` : t;
};

/** Findings, one per kind, in order of importance; empty when nothing is recognised. */
export function diagnose(evidence: PodEvidence): Finding[] {
  const firstLine = new Map<FindingKind, string>();
  for (const line of evidence.logs.split('\n')) {
    const rule = RULES.find((r) => r.matches(line));
    if (rule && !firstLine.has(rule.kind)) firstLine.set(rule.kind, trim(line));
  }
  const findings: Finding[] = [];
  if (evidence.lastTerminationReason === 'OOMKilled')
    findings.push({
      kind: 'out-of-memory',
      summary: 'CoreDNS was killed for exceeding its memory limit — raise the limit or lower the cache size',
      evidence: 'lastState.terminated.reason: OOMKilled',
    });
  for (const rule of RULES) {
    const line = firstLine.get(rule.kind);
    if (line !== undefined) findings.push({ kind: rule.kind, summary: rule.summary, evidence: line });
  }
  const order: FindingKind[] = ['forwarding-loop', 'out-of-memory', 'api-unreachable', 'upstream-timeout', 'fatal'];
  return findings.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
}
