// `doctor`: can this tool run here, and what would each mode need? The facts are gathered by
// src/engine/doctor.ts; here they become per-mode answers and the text. Pure.
import type { DoctorReport } from '../contracts/generated/doctor-report.ts';
import type { AccessCheck } from '../kube/index.ts';
import { applyCommand, describeCheck } from './access.ts';
import { decideMode, decisionLine } from './auto.ts';
import { MODE_REGISTRY, type ModeFacts } from './registry.ts';
import type { ConcreteMode } from './types.ts';

export interface CheckAnswer {
  check: AccessCheck;
  allowed: boolean;
}

export interface DoctorFacts {
  server: string;
  /** The API server's version, or why it could not be read (then nothing else was asked). */
  api: { version: string } | { error: string };
  inCluster: boolean;
  /** Reading the workload, and each mode's own questions (src/modes/registry.ts). */
  access: { read: CheckAnswer[]; modes: Partial<Record<ConcreteMode, CheckAnswer[]>> };
  workload: { line: string } | { error: string };
  /** undefined when the workload was not found (nothing to test). */
  routable?: { pods: boolean; service: boolean };
  dnsAddresses: number;
  /** The short real probe pod: ran, failed (why), or not tried (why). */
  probeImage: { ok: boolean; line: string };
}

export interface ModeAnswer {
  mode: ConcreteMode;
  canRun: boolean;
  /** What is missing or not true here; empty when it can run. */
  missing: string[];
  /** Apply this to grant what the mode needs. */
  manifest: string;
}

/** `doctor -o json`: the type generated from schema/doctor-report.v1.json. */
export type { DoctorReport };

const allowed = (xs: CheckAnswer[]) => xs.every((x) => x.allowed);
const denied = (xs: CheckAnswer[]) => xs.filter((x) => !x.allowed).map((x) => `RBAC: ${describeCheck(x.check)}`);

/** Auto's facts from doctor's: a mode is allowed when its RBAC is granted and nothing else it needs is missing (the probe pod ran). */
/** The facts with `allowed` meaning only "its RBAC is granted", as each mode's doctorMissing reads them. */
const rbacFacts = (f: DoctorFacts, base: Omit<ModeFacts, 'allowed'>) => ({
  ...base,
  allowed: Object.fromEntries(MODE_REGISTRY.map((m) => [m.name, allowed(f.access.modes[m.name] ?? [])])),
  probeImage: f.probeImage,
});

export function modeFacts(f: DoctorFacts): ModeFacts {
  const base = {
    inCluster: f.inCluster,
    read: allowed(f.access.read) && 'line' in f.workload,
    ...(f.routable ? { podsRoutable: f.routable.pods, serviceRoutable: f.routable.service } : {}),
    dnsAddresses: f.dnsAddresses,
  };
  const withRbac = rbacFacts(f, base);
  return { ...base, allowed: Object.fromEntries(MODE_REGISTRY.map((m) => [m.name, withRbac.allowed[m.name] === true && m.doctorMissing(withRbac).length === 0])) };
}

/** Each mode's answer, auto's pick and the exit code (0 when any mode can run, else 3). */
export function doctorReport(f: DoctorFacts, exit: { ok: number; cannot: number }): DoctorReport {
  const base = [...denied(f.access.read), ...('error' in f.workload ? [`the DNS workload: ${f.workload.error}`] : [])];
  const facts = modeFacts(f);
  const withRbac = rbacFacts(f, facts);
  const modes: ModeAnswer[] = MODE_REGISTRY.map((m) => {
    const missing = [...base, ...denied(f.access.modes[m.name] ?? []), ...m.doctorMissing(withRbac)];
    return { mode: m.name, missing, manifest: m.manifest, canRun: missing.length === 0 && !('error' in f.api) };
  });
  const auto = decideMode(facts);
  const any = modes.some((m) => m.canRun);
  const firstFix = 'error' in f.api ? `the API server is not reachable: ${f.api.error}` : any ? undefined : auto.mode === undefined ? `${auto.why} — ${auto.fix}` : undefined;
  return { apiVersion: 'coredns-sentinel/doctor/v1', kind: 'DoctorReport', facts: f, modes, auto, exitCode: (any ? exit.ok : exit.cannot) as DoctorReport['exitCode'], ...(firstFix ? { firstFix } : {}) };
}

const yes = (b: boolean) => (b ? 'yes' : 'no');

export function renderDoctor(r: DoctorReport): string {
  const f = r.facts;
  const lines = [
    `API server      ${f.server}: ${'version' in f.api ? `reachable, Kubernetes ${f.api.version}` : `NOT reachable: ${f.api.error}`}`,
    `in a pod        ${yes(f.inCluster)}`,
    `DNS workload    ${'line' in f.workload ? f.workload.line : `not found: ${f.workload.error}`}`,
    `routable here   ${f.routable ? `pod IPs ${yes(f.routable.pods)}, Service IP ${yes(f.routable.service)}` : 'not tested (no workload)'}${f.dnsAddresses ? `, ${f.dnsAddresses} --dns-address` : ''}`,
    `probe image     ${f.probeImage.line}`,
    '',
    'MODE          CAN RUN  NEEDS',
    ...r.modes.map((m) => `${m.mode.padEnd(13)} ${(m.canRun ? 'yes' : 'no').padEnd(8)} ${m.canRun ? '-' : `${m.missing.join('; ')} → ${applyCommand(m.manifest)}`}`),
    '',
    'cannot' in r.auto ? `auto would pick ${decisionLine(r.auto).replace(/^mode: /, '')}` : `auto: no mode can run: ${r.auto.why}`,
  ];
  if (r.firstFix) lines.push(`first fix: ${r.firstFix}`);
  return `${lines.join('\n')}\n`;
}
