// The probe pod's life: create → watch until Running → exec the probe with the plan → validate its JSON →
// ALWAYS delete (finally, and on SIGINT/SIGTERM). Infrastructure failures become one ProbePodError with a
// clear reason; DNS failures are the report's business, not ours.
import { randomBytes } from 'node:crypto';
import { KubeError, type KPod, type KubeClient } from '../kube/index.ts';
import { validateReport, type CheckPlan, type ProbeReport } from '../probe/contract.ts';
import { buildProbePod, CONTAINER, LABELS, PROBE_SELECTOR, probeCommand, type ProbePodOptions } from './spec.ts';

export type ProbePodFailure = 'image-pull' | 'unschedulable' | 'rejected' | 'forbidden' | 'start-timeout' | 'pod-failed' | 'exec' | 'garbage';

export class ProbePodError extends Error {
  constructor(
    readonly reason: ProbePodFailure,
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'ProbePodError';
  }

  get line(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }
}

const IMAGE_PULL = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);
const CANNOT_START = new Set(['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

/** Where a probe pod stands: running, still starting, or failed for a reason worth telling at once. */
export function podProgress(pod: KPod): 'running' | 'pending' | ProbePodError {
  const waiting = pod.containerStatuses.find((c) => c.waitingReason);
  if (waiting && IMAGE_PULL.has(waiting.waitingReason!))
    return new ProbePodError('image-pull', `probe pod ${pod.name} cannot pull its image: ${waiting.waitingReason}${waiting.waitingMessage ? `: ${waiting.waitingMessage}` : ''}`,
      'check --probe-image, the registry and --image-pull-secret');
  if (waiting && CANNOT_START.has(waiting.waitingReason!))
    return new ProbePodError('pod-failed', `probe pod ${pod.name} cannot start: ${waiting.waitingReason}${waiting.waitingMessage ? `: ${waiting.waitingMessage}` : ''}`, 'check the probe image');
  const scheduled = pod.conditions.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable')
    return new ProbePodError('unschedulable', `probe pod ${pod.name} cannot be scheduled: ${scheduled.message ?? 'no node fits'}`,
      'check --node-selector, --toleration, --probe-nodes and free capacity');
  if (pod.phase === 'Failed' || pod.phase === 'Succeeded') {
    const term = pod.containerStatuses.find((c) => c.terminatedReason);
    const why = pod.reason ?? term?.terminatedReason ?? pod.phase;
    return new ProbePodError('pod-failed', `probe pod ${pod.name} ended before the probe ran: ${why}${pod.message ? `: ${pod.message}` : ''}`, 'check the probe image and --pod-timeout');
  }
  if (pod.phase === 'Running' && !waiting) return 'running';
  return 'pending';
}

/** Parses and validates the probe's stdout against the plan; garbage is a ProbePodError, never a crash. */
export function parseProbeOutput(stdout: string, plan: CheckPlan, pod: string): ProbeReport {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    const preview = stdout.trim().slice(0, 80) || '(nothing)';
    throw new ProbePodError('garbage', `probe in pod ${pod} printed no JSON report: ${preview}`, 'the probe image may not match this version: check --probe-image');
  }
  const problem = validateReport(parsed, plan);
  if (problem) throw new ProbePodError('garbage', `probe in pod ${pod} printed an invalid report: ${problem}`, 'the probe image may not match this version: check --probe-image');
  const report = parsed as ProbeReport;
  if (report.error) throw new ProbePodError('exec', `probe in pod ${pod} could not run the plan: ${report.error.message}`, 'report this as a bug with the plan (-o json)');
  return report;
}

/** How long the probe may take: every sample can time out, and samples of one check run one after another. */
export function execBudgetMs(plan: CheckPlan): number {
  return plan.timeoutMs * plan.samples * 2 + 15_000;
}

/** A 403 that is not RBAC (Pod Security, quota, webhooks) or a 422 is the cluster refusing this pod. */
function createError(err: unknown, namespace: string): unknown {
  if (!(err instanceof KubeError)) return err;
  const rbac = err.kind === 'forbidden' && /cannot \w+ resource/.test(err.message);
  if ((err.kind === 'forbidden' && !rbac) || err.kind === 'invalid')
    return new ProbePodError('rejected', `probe pod rejected in namespace ${namespace}: ${err.message}`, 'an admission policy, Pod Security or quota refused it: see the message, or use --probe-namespace');
  return err;
}

export interface ProbeTimings {
  createMs: number;
  startMs: number;
  execMs: number;
  deleteMs: number;
}

export interface ProbeRunResult {
  pod: string;
  node: string;
  report: ProbeReport;
  timings: ProbeTimings;
}

export interface ProbeRunOptions extends Omit<ProbePodOptions, 'node' | 'runId' | 'deadlineSeconds'> {
  /** Time allowed from create to Running. */
  podTimeoutMs: number;
  /** Nodes to pin the probe pods to: one pod per node; empty = one unpinned pod. */
  nodes: string[];
  /** Told when each stage starts (for the progress line). */
  onStage?: (stage: 'probe pod' | 'exec', detail: string) => void;
  /** Called after an interrupted run's pods are deleted; the CLI exits with 130 there. */
  onInterrupted: () => void;
}

const elapsed = (since: number) => Date.now() - since;

/** Live probe pods, deleted on SIGINT/SIGTERM. */
class PodJanitor {
  private readonly live = new Map<string, string>(); // name → namespace
  private interrupted = false;

  constructor(
    private readonly client: KubeClient,
    private readonly onInterrupted: () => void,
  ) {}

  private readonly onSignal = (): void => {
    if (this.interrupted) return;
    this.interrupted = true;
    void Promise.allSettled([...this.live].map(([name, ns]) => this.client.deletePod(ns, name))).then(() => this.onInterrupted());
  };

  install(): void {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  uninstall(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }

  add(namespace: string, name: string): void {
    this.live.set(name, namespace);
  }

  async remove(namespace: string, name: string): Promise<void> {
    await this.client.deletePod(namespace, name);
    this.live.delete(name);
  }
}

async function runOne(client: KubeClient, plan: CheckPlan, opts: ProbeRunOptions, runId: string, node: string | undefined, janitor: PodJanitor): Promise<ProbeRunResult> {
  const execTimeoutMs = execBudgetMs(plan);
  const deadlineSeconds = Math.ceil((opts.podTimeoutMs + execTimeoutMs) / 1000) + 30;
  const manifest = buildProbePod({ ...opts, runId, deadlineSeconds, ...(node ? { node } : {}) });
  const namespace = manifest.metadata.namespace;
  const timings: ProbeTimings = { createMs: 0, startMs: 0, execMs: 0, deleteMs: 0 };
  opts.onStage?.('probe pod', `creating in namespace ${namespace}${node ? ` on node ${node}` : ''}`);
  let t = Date.now();
  const created = await client.createPod(manifest).catch((err: unknown) => {
    throw createError(err, namespace);
  });
  janitor.add(namespace, created.name);
  timings.createMs = elapsed(t);
  try {
    t = Date.now();
    let failure: ProbePodError | undefined;
    let current: KPod = created;
    const first = podProgress(created);
    if (first !== 'running') {
      if (first instanceof ProbePodError) throw first;
      const watched = await client.watchPod(namespace, created.name, created.resourceVersion, (pod) => {
        current = pod;
        const progress = podProgress(pod);
        if (progress instanceof ProbePodError) failure = progress;
        return progress !== 'pending';
      }, opts.podTimeoutMs);
      if (failure) throw failure;
      if (watched.deleted) throw new ProbePodError('pod-failed', `probe pod ${created.name} was deleted before it ran`, 'something else deletes pods in that namespace: run again');
      if (watched.timedOut) {
        const waiting = current.containerStatuses.find((c) => c.waitingReason)?.waitingReason;
        throw new ProbePodError('start-timeout', `probe pod ${created.name} not Running after ${opts.podTimeoutMs} ms (phase ${current.phase}${waiting ? `, ${waiting}` : ''})`,
          'the node may be slow to pull the image: raise --pod-timeout or use a pre-pulled --probe-image');
      }
    }
    timings.startMs = elapsed(t);
    opts.onStage?.('exec', `probe in ${created.name}${current.nodeName ? ` on ${current.nodeName}` : ''}`);
    t = Date.now();
    const planBase64 = Buffer.from(JSON.stringify(plan)).toString('base64');
    const result = await client.exec({ namespace, pod: created.name, container: CONTAINER, command: probeCommand(opts.image, planBase64), timeoutMs: execTimeoutMs }).catch((err: unknown) => {
      if (err instanceof KubeError && err.kind !== 'forbidden' && err.kind !== 'unauthorized' && err.kind !== 'unreachable')
        throw new ProbePodError('exec', `exec of the probe in pod ${created.name} failed: ${err.message}`, err.hint);
      throw err;
    });
    timings.execMs = elapsed(t);
    // The probe prints a report even when it exits non-zero (plan invalid); judge the output first.
    if (result.exitCode !== 0 && !result.stdout.trim())
      throw new ProbePodError('exec', `probe in pod ${created.name} exited with code ${result.exitCode}: ${result.stderr.trim().split('\n').pop() ?? ''}`, 'check the probe image');
    const report = parseProbeOutput(result.stdout, plan, created.name);
    return { pod: created.name, node: current.nodeName, report, timings };
  } finally {
    t = Date.now();
    await janitor.remove(namespace, created.name);
    timings.deleteMs = elapsed(t);
  }
}

/** Runs the plan from one probe pod per node in `opts.nodes` (or one unpinned pod), in parallel. */
export async function runProbePods(client: KubeClient, plan: CheckPlan, opts: ProbeRunOptions): Promise<ProbeRunResult[]> {
  const runId = randomBytes(4).toString('hex');
  const janitor = new PodJanitor(client, opts.onInterrupted);
  janitor.install();
  try {
    const nodes = opts.nodes.length ? opts.nodes : [undefined];
    return await Promise.all(nodes.map((node) => runOne(client, plan, opts, runId, node, janitor)));
  } finally {
    janitor.uninstall();
  }
}

/** This tool's probe pods that outlived their deadline (or ended): safe to delete. */
export function stalePods(pods: KPod[], now: number): KPod[] {
  return pods.filter((p) => {
    if (p.labels[LABELS.managedBy] !== 'coredns-sentinel') return false;
    if (p.phase === 'Succeeded' || p.phase === 'Failed') return true;
    const created = p.creationTimestamp ? Date.parse(p.creationTimestamp) : NaN;
    return Number.isFinite(created) && created + (p.activeDeadlineSeconds ?? 0) * 1000 < now;
  });
}

/** Deletes stale probe pods left by interrupted runs; returns their names. */
export async function sweepStalePods(client: KubeClient, namespace: string, now = Date.now()): Promise<string[]> {
  const stale = stalePods(await client.listPods(namespace, PROBE_SELECTOR), now);
  await Promise.all(stale.map((p) => client.deletePod(p.namespace || namespace, p.name)));
  return stale.map((p) => p.name);
}
