// The sim's Job and CronJob controllers: their pure rules table-driven, the CronJob schedule against a
// moved clock, and Jobs run by the kubelet through the real kubectl (`kubectl create job --from=cronjob/…`
// included).
import { expect } from 'chai';
import { CronJobController, dueTime, jobFromCronJob, jobOutcome, retryDelaySeconds, type JobSpec } from './batch.ts';
import { Store, type KObject } from './store.ts';
import { startSim } from './index.ts';
import type { Sim } from './types.ts';
import { kubectl, processesMentioning, testSubnet, waitFor } from './sim-fixtures.ts';

const template = { spec: { containers: [] } };

describe('sim batch: the rules', () => {
  const outcomes: [string, Partial<JobSpec>, { succeeded: number; failed: number }, number, string | undefined][] = [
    ['running, nothing done', {}, { succeeded: 0, failed: 0 }, 5, undefined],
    ['one success completes the default Job', {}, { succeeded: 1, failed: 0 }, 5, 'Complete'],
    ['two of three completions', { completions: 3 }, { succeeded: 2, failed: 0 }, 5, undefined],
    ['failures up to backoffLimit retry', { backoffLimit: 2 }, { succeeded: 0, failed: 2 }, 5, undefined],
    ['one failure past backoffLimit 0', { backoffLimit: 0 }, { succeeded: 0, failed: 1 }, 5, 'Failed/BackoffLimitExceeded'],
    ['the default backoffLimit is 6', {}, { succeeded: 0, failed: 7 }, 5, 'Failed/BackoffLimitExceeded'],
    ['past activeDeadlineSeconds', { activeDeadlineSeconds: 5 }, { succeeded: 0, failed: 0 }, 5, 'Failed/DeadlineExceeded'],
    ['before activeDeadlineSeconds', { activeDeadlineSeconds: 5 }, { succeeded: 0, failed: 0 }, 4.9, undefined],
  ];
  for (const [name, spec, counts, seconds, want] of outcomes)
    it(`Job outcome: ${name}`, () => {
      const got = jobOutcome({ template, ...spec }, counts, seconds);
      expect(got && [got.type, got.reason].filter(Boolean).join('/')).to.equal(want);
    });

  it('retries after 10 s doubling, at most 6 min', () => {
    expect([0, 1, 2, 3, 6, 7, 20].map(retryDelaySeconds)).to.deep.equal([0, 10, 20, 40, 320, 360, 360]);
  });

  const at = (iso: string) => new Date(iso);
  const due: [string, string, string, string, string | undefined][] = [
    ['*/5 * * * *', '2026-01-01T10:00:00Z', '2026-01-01T10:04:59Z', 'UTC', undefined],
    ['*/5 * * * *', '2026-01-01T10:00:00Z', '2026-01-01T10:05:00Z', 'UTC', '2026-01-01T10:05:00.000Z'],
    // Missed times run once, at the most recent.
    ['*/5 * * * *', '2026-01-01T10:00:00Z', '2026-01-01T10:17:30Z', 'UTC', '2026-01-01T10:15:00.000Z'],
    ['0 3 * * 1-5', '2026-01-02T04:00:00Z', '2026-01-04T12:00:00Z', 'UTC', undefined], // Fri 04:00 → Sun: no weekday 03:00 between
    ['0 3 * * 1-5', '2026-01-02T04:00:00Z', '2026-01-05T03:00:00Z', 'UTC', '2026-01-05T03:00:00.000Z'],
    ['30 2 * * *', '2026-06-01T00:00:00Z', '2026-06-01T01:00:00Z', 'Europe/Berlin', '2026-06-01T00:30:00.000Z'], // 02:30 CEST
  ];
  for (const [schedule, since, now, tz, want] of due)
    it(`schedule ${schedule} (${tz}) from ${since} at ${now}: ${want ?? 'nothing due'}`, () => {
      expect(dueTime(schedule, at(since), at(now), tz)?.toISOString()).to.equal(want);
    });

  it('a scheduled Job is named by the minutes since the epoch, with the template and the CronJob as owner', () => {
    const cj = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'check', namespace: 'ns', uid: 'u1' }, spec: { schedule: '* * * * *', jobTemplate: { metadata: { labels: { a: 'b' } }, spec: { backoffLimit: 0, template } } } };
    const job = jobFromCronJob(cj, at('2026-01-01T10:05:00Z'));
    expect(job.metadata).to.deep.include({ name: `check-${Date.parse('2026-01-01T10:05:00Z') / 60_000}`, namespace: 'ns', labels: { a: 'b' } });
    expect(job.metadata.annotations).to.deep.equal({ 'batch.kubernetes.io/cronjob-scheduled-timestamp': '2026-01-01T10:05:00Z' });
    expect(job.metadata.ownerReferences?.[0]).to.include({ kind: 'CronJob', name: 'check', uid: 'u1', controller: true });
    expect(job.spec).to.deep.equal({ backoffLimit: 0, template });
  });
});

describe('sim batch: CronJob controller on a moved clock', () => {
  let store: Store;
  let clock: Date;
  let controller: CronJobController;
  const jobs = () => store.list('jobs.batch', 'ns');
  const settle = () => new Promise((r) => setImmediate(r));
  const finish = (name: string, type: 'Complete' | 'Failed') =>
    store.mutate('jobs.batch', 'ns', name, (j) => void (j.status = { startTime: clock.toISOString(), conditions: [{ type, status: 'True' }] }));

  beforeEach(() => {
    store = new Store();
    clock = new Date('2026-01-01T10:02:00Z');
    controller = new CronJobController(store, () => clock);
  });
  afterEach(() => controller.stop());

  async function cronJob(spec: Record<string, unknown>): Promise<KObject> {
    const cj = store.create('cronjobs.batch', { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c', namespace: 'ns' }, spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template } }, ...spec } });
    // Its last run was at 10:00 on the controller's clock (not the machine's, which made the object).
    store.mutate('cronjobs.batch', 'ns', 'c', (o) => void (o.status = { lastScheduleTime: '2026-01-01T10:00:00Z' }));
    controller.start();
    await settle();
    return cj;
  }
  async function tick(iso: string): Promise<void> {
    clock = new Date(iso);
    controller.kick();
    await settle();
  }

  it('creates a Job at each scheduled time, records lastScheduleTime and active, and keeps the history limits', async () => {
    await cronJob({ successfulJobsHistoryLimit: 1 });
    expect(jobs()).to.have.length(0);
    await tick('2026-01-01T10:05:00Z');
    expect(jobs().map((j) => j.metadata.name)).to.deep.equal([`c-${Date.parse('2026-01-01T10:05:00Z') / 60_000}`]);
    const status = store.get('cronjobs.batch', 'ns', 'c')!.status as { lastScheduleTime: string; active: { name: string }[] };
    expect(status.lastScheduleTime).to.equal('2026-01-01T10:05:00Z');
    expect(status.active.map((a) => a.name)).to.deep.equal([jobs()[0]!.metadata.name]);
    await tick('2026-01-01T10:06:00Z');
    expect(jobs()).to.have.length(1);
    finish(jobs()[0]!.metadata.name!, 'Complete');
    await tick('2026-01-01T10:10:00Z');
    await settle();
    // The first finished Job is beyond successfulJobsHistoryLimit 1 only once the second one completes.
    expect(jobs()).to.have.length(2);
    finish(jobs()[1]!.metadata.name!, 'Complete');
    await tick('2026-01-01T10:11:00Z');
    expect(jobs().map((j) => j.metadata.name)).to.deep.equal([`c-${Date.parse('2026-01-01T10:10:00Z') / 60_000}`]);
  });

  it('Forbid skips a time while a Job runs and runs once, late, when it ends; suspend stops it', async () => {
    await cronJob({ concurrencyPolicy: 'Forbid' });
    await tick('2026-01-01T10:05:00Z');
    await tick('2026-01-01T10:10:30Z');
    expect(jobs()).to.have.length(1);
    finish(jobs()[0]!.metadata.name!, 'Failed');
    await tick('2026-01-01T10:11:00Z');
    expect(jobs().map((j) => j.metadata.name)).to.include(`c-${Date.parse('2026-01-01T10:10:00Z') / 60_000}`);
    store.mutate('cronjobs.batch', 'ns', 'c', (o) => void ((o.spec as { suspend: boolean }).suspend = true));
    await tick('2026-01-01T10:20:00Z');
    expect(jobs()).to.have.length(2);
  });
});

describe('sim batch: Jobs in the sim, through kubectl', function () {
  this.timeout(60_000);
  let sim: Sim;
  const k = (...args: string[]) => kubectl(sim.kubeconfigPath, args);
  const apply = (o: object) => kubectl(sim.kubeconfigPath, ['apply', '--validate=false', '-f', '-'], JSON.stringify(o));
  const node = (script: string) => ({ name: 'main', image: 'docker.io/library/node:22-alpine', command: ['node', '-e', script] });
  const job = (name: string, spec: Record<string, unknown>, script: string) => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default' },
    spec: { ...spec, template: { spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [node(script)] } } },
  });
  type JobObject = { spec: { selector: { matchLabels: Record<string, string> } }; status: { succeeded?: number; failed?: number; active?: number; conditions?: { type: string; reason?: string }[] } };
  const get = async (name: string) => JSON.parse(await k('get', 'job', name, '-o', 'json')) as JobObject;
  const finished = async (name: string) => {
    const j = await get(name);
    return j.status.conditions?.some((c) => c.type === 'Complete' || c.type === 'Failed') && j;
  };
  const podsOf = async (name: string) =>
    (JSON.parse(await k('get', 'pods', '-l', `batch.kubernetes.io/job-name=${name}`, '-o', 'json')) as { items: { status: { phase: string; containerStatuses?: { state: { terminated?: { exitCode: number } } }[] } }[] }).items;

  before(async () => {
    sim = await startSim({ subnet: testSubnet(), timing: { scale: 0.02 }, podStartMs: 50 });
    await sim.waitReady(10_000);
  });

  after(async () => {
    await sim?.stop();
    expect(await processesMentioning(sim.dir)).to.deep.equal([]);
  });

  it('a pod that exits 0 completes the Job: kubectl wait --for=condition=complete, succeeded 1, the generated selector', async () => {
    await apply(job('ok', {}, 'process.exit(0)'));
    await k('wait', '--for=condition=complete', 'job/ok', '--timeout=20s');
    const j = await get('ok');
    expect(j.status).to.include({ succeeded: 1, failed: 0, active: 0 });
    expect(j.status.conditions?.map((c) => c.type)).to.deep.equal(['SuccessCriteriaMet', 'Complete']);
    expect(Object.keys(j.spec.selector.matchLabels)).to.deep.equal(['batch.kubernetes.io/controller-uid']);
    expect((await podsOf('ok')).map((p) => p.status.phase)).to.deep.equal(['Succeeded']);
  });

  it('failing pods are retried up to backoffLimit, then the Job fails with BackoffLimitExceeded', async () => {
    await apply(job('bad', { backoffLimit: 1 }, 'process.exit(3)'));
    const j = await waitFor('job bad to finish', () => finished('bad'), 20_000, 200);
    expect(j.status.conditions?.find((c) => c.type === 'Failed')?.reason).to.equal('BackoffLimitExceeded');
    expect(j.status.failed).to.equal(2);
    expect((await podsOf('bad')).map((p) => p.status.containerStatuses?.[0]?.state.terminated?.exitCode)).to.deep.equal([3, 3]);
  });

  it('a Job running past activeDeadlineSeconds fails with DeadlineExceeded and its pod is stopped', async () => {
    await apply(job('slow', { activeDeadlineSeconds: 1 }, 'setTimeout(() => {}, 600000)'));
    const j = await waitFor('job slow to finish', () => finished('slow'), 20_000, 200);
    expect(j.status.conditions?.find((c) => c.type === 'Failed')?.reason).to.equal('DeadlineExceeded');
    await waitFor('its pod to stop', async () => (await podsOf('slow')).every((p) => p.status.phase === 'Failed' || p.status.phase === 'Succeeded') || undefined, 20_000, 200);
  });

  it('kubectl create job --from=cronjob/NAME runs the CronJob’s jobTemplate; deleting the Job deletes its pods', async () => {
    await apply({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'nightly', namespace: 'default' }, spec: { schedule: '0 3 * * *', jobTemplate: { spec: job('', { backoffLimit: 0 }, 'process.exit(0)').spec } } });
    await k('create', 'job', '--from=cronjob/nightly', 'nightly-manual');
    await k('wait', '--for=condition=complete', 'job/nightly-manual', '--timeout=20s');
    const created = JSON.parse(await k('get', 'job', 'nightly-manual', '-o', 'json')) as { metadata: { annotations: Record<string, string>; ownerReferences: { kind: string; name: string }[] } };
    expect(created.metadata.annotations['cronjob.kubernetes.io/instantiate']).to.equal('manual');
    expect(created.metadata.ownerReferences[0]).to.include({ kind: 'CronJob', name: 'nightly' });
    expect(await podsOf('nightly-manual')).to.have.length(1);
    await k('delete', 'job', 'nightly-manual');
    await waitFor('its pod to go', async () => (await podsOf('nightly-manual')).length === 0 || undefined, 10_000, 100);
  });
});
