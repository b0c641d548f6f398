// The Job and CronJob controllers, as kube-controller-manager runs them (pkg/controller/job, cronjob):
// a Job runs its pod template until `completions` pods succeeded (Complete) or more than `backoffLimit`
// failed (Failed, BackoffLimitExceeded) or it ran longer than activeDeadlineSeconds (Failed,
// DeadlineExceeded), retrying failed pods after the controller's back-off (10 s doubling, capped at 6
// min; shortened by the sim's time scale); a CronJob creates a Job from its jobTemplate at each time of
// its 5-field schedule (cron-parser; spec.timeZone honoured), with its concurrencyPolicy and history
// limits. Deleting a Job deletes its pods (the garbage collector's background propagation). Not played:
// Indexed completion, podFailurePolicy, successPolicy, suspend of a running Job, ttlSecondsAfterFinished,
// startingDeadlineSeconds (a missed schedule runs once, late).
import { CronExpressionParser } from 'cron-parser';
import type { KObject, Store } from './store.ts';
import { isActive, markDeleted, now, ownedBy, ownerRef, randomSuffix, Reconciler, same } from './controllers.ts';

const JOBS = 'jobs.batch';
const CRONJOBS = 'cronjobs.batch';
const phaseOf = (p: KObject) => (p.status as { phase?: string } | undefined)?.phase;

type PodTemplate = { metadata?: KObject['metadata']; spec: Record<string, unknown> };
export type JobSpec = {
  completions?: number;
  parallelism?: number;
  backoffLimit?: number;
  activeDeadlineSeconds?: number;
  suspend?: boolean;
  selector?: { matchLabels?: Record<string, string> };
  template: PodTemplate;
};
type JobCondition = { type: string; status: string; reason?: string; message?: string; lastProbeTime?: string; lastTransitionTime?: string };
export type JobStatus = { startTime?: string; completionTime?: string; active?: number; ready?: number; succeeded?: number; failed?: number; terminating?: number; conditions?: JobCondition[] };

/** What the registry fills in on create (pkg/apis/batch/v1/defaults.go, and the generated selector of job/strategy.go). */
export function jobDefaults(job: KObject, uid: string): void {
  const spec = job.spec as JobSpec;
  spec.completions ??= 1;
  spec.parallelism ??= 1;
  spec.backoffLimit ??= 6;
  spec.suspend ??= false;
  Object.assign(spec, { completionMode: (spec as { completionMode?: string }).completionMode ?? 'NonIndexed', manualSelector: (spec as { manualSelector?: boolean }).manualSelector ?? false });
  const labels = { 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': job.metadata.name ?? '', 'controller-uid': uid, 'job-name': job.metadata.name ?? '' };
  if (!(spec as { manualSelector?: boolean }).manualSelector) spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
  spec.template.metadata = { ...spec.template.metadata, labels: { ...spec.template.metadata?.labels, ...labels } };
  (spec.template.spec as { restartPolicy?: string }).restartPolicy ??= 'Never';
}

/** The Job's verdict from its pods' counts and age, or undefined while it runs. Pure. */
export function jobOutcome(spec: JobSpec, counts: { succeeded: number; failed: number }, runningSeconds: number): { type: 'Complete' | 'Failed'; reason?: string; message?: string } | undefined {
  if (counts.succeeded >= (spec.completions ?? 1)) return { type: 'Complete' };
  if (counts.failed > (spec.backoffLimit ?? 6)) return { type: 'Failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
  if (spec.activeDeadlineSeconds !== undefined && runningSeconds >= spec.activeDeadlineSeconds) return { type: 'Failed', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
  return undefined;
}

/** The job controller's back-off before a new pod after `failed` failures: 10 s doubling, at most 6 min. */
export const retryDelaySeconds = (failed: number): number => (failed === 0 ? 0 : Math.min(360, 10 * 2 ** (failed - 1)));

export class JobController extends Reconciler {
  /** Per Job, the next reconcile it asked for (a deadline, a retry) and when: one timer each, the earliest. */
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; at: number }>();

  constructor(
    store: Store,
    private readonly scale: number,
  ) {
    super(store, [JOBS, 'pods']);
    store.admit((resource, o) => {
      if (resource === JOBS) jobDefaults(o, o.metadata.uid ?? '');
    });
  }

  /** Reconciles again in `ms` for this Job (its deadline, its retry), unless it already will sooner; bounded by the controller's life. */
  private after(job: KObject, ms: number): void {
    const key = `${job.metadata.namespace}/${job.metadata.name}`;
    const at = Date.now() + ms;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    clearTimeout(pending?.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.kick();
    }, ms);
    this.timers.set(key, { timer, at });
  }

  override stop(): void {
    super.stop();
    for (const { timer } of this.timers.values()) clearTimeout(timer);
  }

  protected reconcile(): void {
    const jobs = this.store.list(JOBS);
    // Background propagation: the pods of a deleted Job go too.
    const uids = new Set(jobs.map((j) => j.metadata.uid));
    for (const p of this.store.list('pods', undefined, (p) => (p.metadata.ownerReferences ?? []).some((r) => r.kind === 'Job' && r.controller && !uids.has(r.uid)))) this.removePod(p);
    for (const job of jobs) if (!job.metadata.deletionTimestamp) this.sync(job);
  }

  private removePod(p: KObject): void {
    if (isActive(p)) markDeleted(this.store, p);
    else if (!p.metadata.deletionTimestamp || phaseOf(p) === 'Succeeded' || phaseOf(p) === 'Failed') this.store.remove('pods', p.metadata.namespace, p.metadata.name ?? '');
  }

  private sync(job: KObject): void {
    const spec = job.spec as JobSpec;
    const status = { ...(job.status as JobStatus | undefined) };
    if (status.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')) return;
    const pods = this.store.list('pods', job.metadata.namespace, (p) => ownedBy(p, job));
    const active = pods.filter(isActive);
    const succeeded = pods.filter((p) => phaseOf(p) === 'Succeeded').length;
    const failed = pods.filter((p) => phaseOf(p) === 'Failed').length;
    const startTime = status.startTime ?? now();
    const runningSeconds = (Date.now() - Date.parse(startTime)) / 1000;
    const outcome = jobOutcome(spec, { succeeded, failed }, runningSeconds);
    const next: JobStatus = { ...status, startTime, active: active.length, ready: active.filter((p) => (p.status as { conditions?: { type: string; status: string }[] }).conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length, succeeded, failed, terminating: pods.filter((p) => !!p.metadata.deletionTimestamp && isActive(p)).length };
    if (outcome) {
      for (const p of active) markDeleted(this.store, p);
      const at = now();
      // Since 1.31 a finishing Job first says why (SuccessCriteriaMet / FailureTarget), then Complete / Failed.
      const first = outcome.type === 'Complete' ? { type: 'SuccessCriteriaMet', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' } : { type: 'FailureTarget', reason: outcome.reason, message: outcome.message };
      const last = outcome.type === 'Complete' ? { type: 'Complete', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' } : { type: 'Failed', reason: outcome.reason, message: outcome.message };
      next.conditions = [first, last].map((c) => ({ ...c, status: 'True', lastProbeTime: at, lastTransitionTime: at }));
      next.active = 0;
      next.ready = 0;
      if (outcome.type === 'Complete') next.completionTime = at;
    } else if (!spec.suspend) {
      const want = Math.min(spec.parallelism ?? 1, (spec.completions ?? 1) - succeeded) - active.length;
      const lastFailure = Math.max(0, ...pods.filter((p) => phaseOf(p) === 'Failed').map((p) => Date.parse(finishedAt(p) ?? '') || 0));
      const waitMs = lastFailure + retryDelaySeconds(failed) * 1000 * this.scale - Date.now();
      if (want > 0 && waitMs > 0) this.after(job, waitMs);
      else for (let i = 0; i < want; i++) this.createPod(job, spec);
      if (spec.activeDeadlineSeconds !== undefined) this.after(job, Math.max(0, (spec.activeDeadlineSeconds - runningSeconds) * 1000) + 10);
    }
    if (!same(next, job.status)) this.store.mutate(JOBS, job.metadata.namespace, job.metadata.name ?? '', (o) => void (o.status = next));
  }

  private createPod(job: KObject, spec: JobSpec): void {
    const t = spec.template;
    this.store.create('pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${job.metadata.name}-${randomSuffix()}`,
        namespace: job.metadata.namespace,
        labels: { ...t.metadata?.labels },
        annotations: { ...t.metadata?.annotations },
        ownerReferences: [ownerRef(job, 'batch/v1', 'Job')],
      },
      spec: { terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler', serviceAccountName: 'default', ...structuredClone(t.spec) },
      status: { phase: 'Pending' },
    });
  }
}

/** When the pod's last container ended. */
function finishedAt(p: KObject): string | undefined {
  const statuses = (p.status as { containerStatuses?: { state?: { terminated?: { finishedAt?: string } } }[] } | undefined)?.containerStatuses ?? [];
  return statuses.map((s) => s.state?.terminated?.finishedAt).filter((t): t is string => !!t).sort().at(-1);
}

export type CronJobSpec = {
  schedule: string;
  timeZone?: string;
  suspend?: boolean;
  concurrencyPolicy?: 'Allow' | 'Forbid' | 'Replace';
  successfulJobsHistoryLimit?: number;
  failedJobsHistoryLimit?: number;
  jobTemplate: { metadata?: KObject['metadata']; spec: JobSpec };
};

type CronJobStatus = { active?: unknown[]; lastScheduleTime?: string; lastSuccessfulTime?: string };

/** The most recent time of the schedule after `since` and not after `at`, or undefined. Pure. */
export function dueTime(schedule: string, since: Date, at: Date, timeZone?: string): Date | undefined {
  // A time exactly at `at` is due (prev() is strictly before its currentDate).
  const latest = CronExpressionParser.parse(schedule, { currentDate: new Date(at.getTime() + 1), ...(timeZone ? { tz: timeZone } : {}) }).prev().toDate();
  return latest > since ? latest : undefined;
}

/** The next time of the schedule after `at`. */
export const nextTime = (schedule: string, at: Date, timeZone?: string): Date => CronExpressionParser.parse(schedule, { currentDate: at, ...(timeZone ? { tz: timeZone } : {}) }).next().toDate();

/** The Job a CronJob creates for a scheduled time (cronjob/utils.go getJobFromTemplate2): named by the minutes since the epoch. */
export function jobFromCronJob(cj: KObject, scheduled: Date): KObject {
  const t = (cj.spec as CronJobSpec).jobTemplate;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: `${cj.metadata.name}-${Math.floor(scheduled.getTime() / 60_000)}`,
      namespace: cj.metadata.namespace,
      labels: { ...t.metadata?.labels },
      annotations: { ...t.metadata?.annotations, 'batch.kubernetes.io/cronjob-scheduled-timestamp': scheduled.toISOString().replace(/\.\d+Z$/, 'Z') },
      ownerReferences: [ownerRef(cj, 'batch/v1', 'CronJob')],
    },
    spec: structuredClone(t.spec),
  };
}

const finished = (job: KObject): 'Complete' | 'Failed' | undefined =>
  (job.status as JobStatus | undefined)?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')?.type as 'Complete' | 'Failed' | undefined;

export class CronJobController extends Reconciler {
  private timer?: NodeJS.Timeout;

  /** `clock` is the controller's time (tests move it). */
  constructor(
    store: Store,
    private readonly clock: () => Date = () => new Date(),
  ) {
    super(store, [CRONJOBS, JOBS]);
    store.admit((resource, o) => {
      if (resource !== CRONJOBS) return;
      const spec = o.spec as CronJobSpec;
      spec.suspend ??= false;
      spec.concurrencyPolicy ??= 'Allow';
      spec.successfulJobsHistoryLimit ??= 3;
      spec.failedJobsHistoryLimit ??= 1;
    });
  }

  override stop(): void {
    super.stop();
    clearTimeout(this.timer);
  }

  protected reconcile(): void {
    const at = this.clock();
    let soonest: Date | undefined;
    for (const cj of this.store.list(CRONJOBS)) {
      if (cj.metadata.deletionTimestamp) continue;
      const spec = cj.spec as CronJobSpec;
      try {
        this.sync(cj, spec, at);
        const next = nextTime(spec.schedule, at, spec.timeZone);
        if (!soonest || next < soonest) soonest = next;
      } catch {
        // An unparseable schedule: the real controller records a warning Event and skips the CronJob.
      }
    }
    clearTimeout(this.timer);
    // At most a minute ahead: a clock moved by a test is seen within that.
    if (soonest) this.timer = setTimeout(() => this.kick(), Math.min(60_000, Math.max(10, soonest.getTime() - at.getTime())));
  }

  private sync(cj: KObject, spec: CronJobSpec, at: Date): void {
    const jobs = this.store.list(JOBS, cj.metadata.namespace, (j) => ownedBy(j, cj));
    const status: CronJobStatus = { ...(cj.status as CronJobStatus | undefined) };
    const running = jobs.filter((j) => !finished(j));
    const lastSuccess = jobs.filter((j) => finished(j) === 'Complete').map((j) => (j.status as JobStatus).completionTime ?? '').sort().at(-1);
    const since = new Date(status.lastScheduleTime ?? cj.metadata.creationTimestamp ?? at.toISOString());
    const due = spec.suspend ? undefined : dueTime(spec.schedule, since, at, spec.timeZone);
    let created: KObject | undefined;
    if (due && !(spec.concurrencyPolicy === 'Forbid' && running.length)) {
      if (spec.concurrencyPolicy === 'Replace') for (const j of running) this.store.remove(JOBS, j.metadata.namespace, j.metadata.name ?? '');
      const job = jobFromCronJob(cj, due);
      if (!this.store.get(JOBS, job.metadata.namespace, job.metadata.name ?? '')) created = this.store.create(JOBS, job);
      status.lastScheduleTime = job.metadata.annotations!['batch.kubernetes.io/cronjob-scheduled-timestamp'];
    }
    const active = [...(spec.concurrencyPolicy === 'Replace' && created ? [] : running), ...(created ? [created] : [])].map((j) => ({ apiVersion: 'batch/v1', kind: 'Job', name: j.metadata.name, namespace: j.metadata.namespace, uid: j.metadata.uid, resourceVersion: j.metadata.resourceVersion }));
    const next: CronJobStatus = { ...status, ...(lastSuccess ? { lastSuccessfulTime: lastSuccess } : {}) };
    delete next.active;
    if (active.length) next.active = active;
    if (!same(next, cj.status)) this.store.mutate(CRONJOBS, cj.metadata.namespace, cj.metadata.name ?? '', (o) => void (o.status = next));
    this.trimHistory(jobs, 'Complete', spec.successfulJobsHistoryLimit ?? 3);
    this.trimHistory(jobs, 'Failed', spec.failedJobsHistoryLimit ?? 1);
  }

  /** Deletes the oldest finished Jobs beyond the limit (their pods follow, by the Job controller). */
  private trimHistory(jobs: KObject[], outcome: 'Complete' | 'Failed', limit: number): void {
    const done = jobs.filter((j) => finished(j) === outcome).sort((a, b) => ((a.status as JobStatus).startTime ?? '').localeCompare((b.status as JobStatus).startTime ?? ''));
    for (const j of done.slice(0, Math.max(0, done.length - limit))) this.store.remove(JOBS, j.metadata.namespace, j.metadata.name ?? '');
  }
}
