// runCycle over a fake cluster (test/fixtures/engine.ts): discovery, planning and judging run for real on
// kubeadm's workload, the probe reports are what the probe would write, and the client logs every write
// in order — so the safety rules of repair are asserted on the order of the calls, not on a sim's timing.
import assert from 'node:assert/strict';
import { runCycle, type CycleResult } from './cycle.ts';
import { EXIT } from '../common/exit-codes.ts';
import { SILENT_LOGGER } from '../common/logger.ts';
import { LOCK_NAME } from '../repair/lock.ts';
import { contextOf, fakeEngineCluster, NAMESPACE, settings, type FakeEngineCluster } from '../../test/fixtures/engine.ts';
import type { CheckSettings } from './settings.ts';
import type { Clock } from '../common/clock.ts';
import { manualClock } from '../../test/fixtures/clock.ts';

const NO_PROGRESS = { stage() {}, done() {} };

const cycle = (fake: FakeEngineCluster, s: CheckSettings, signal?: AbortSignal, clock?: Clock): Promise<CycleResult> =>
  runCycle({ ctx: contextOf(fake, s), prober: fake.prober, progress: NO_PROGRESS, log: SILENT_LOGGER, ...(signal ? { signal } : {}), ...(clock ? { clock } : {}) });

const repairing = (over: Partial<CheckSettings['repair']> = {}) => settings({}, { enabled: true, ...over });
/** The log without reads: what the cycle changed, and when it probed. */
const steps = (fake: FakeEngineCluster) => fake.log.filter((l) => !l.startsWith('lease'));
const evictions = (fake: FakeEngineCluster) => fake.log.filter((l) => l.startsWith('evict') || l.startsWith('delete'));

describe('runCycle over a fake cluster', () => {
  it('healthy → exit 0, one probe, no action; with --repair no Lease is taken', async () => {
    const fake = fakeEngineCluster();
    const checked = await cycle(fake, settings());
    assert.equal(checked.exitCode, EXIT.healthy);
    assert.equal(checked.output.classification, 'healthy');
    assert.deepEqual(fake.log, ['probe'], 'a plain check writes nothing');
    const repaired = await cycle(fake, repairing());
    assert.equal(repaired.exitCode, EXIT.healthy);
    assert.deepEqual(repaired.repairs, []);
    assert.equal(fake.lease(), undefined);
    assert.deepEqual(evictions(fake), []);
  });

  it('one hung pod without --repair → exit 1, the pod named, nothing written', async () => {
    const fake = fakeEngineCluster();
    const hung = fake.podNames()[1]!;
    fake.sicken(hung);
    const result = await cycle(fake, settings());
    assert.equal(result.exitCode, EXIT.unhealthy);
    assert.deepEqual(result.judgement.candidates.map((c) => c.pod), [hung]);
    assert.deepEqual(fake.log, ['probe']);
  });

  it('one hung pod with --repair → its restart recorded in the history BEFORE the eviction, then verified by a new probe; exit 0', async () => {
    const fake = fakeEngineCluster();
    const hung = fake.podNames()[0]!;
    fake.sicken(hung);
    const result = await cycle(fake, repairing());
    const log = steps(fake);
    const intent = log.indexOf(`history ${hung}:intent`);
    const evicted = log.indexOf(`evict ${hung}`);
    assert.ok(intent >= 0 && evicted > intent, `intent before eviction: ${log.join(' | ')}`);
    assert.ok(log.indexOf(`event SentinelRestart ${hung}`) > intent && log.indexOf(`event SentinelRestart ${hung}`) < evicted, 'the Event says so before the eviction');
    assert.equal(log.indexOf('probe', evicted) > evicted, true, 'a verifying probe after the eviction');
    assert.ok(log.indexOf(`event SentinelRepaired ${hung}`) > log.indexOf('probe', evicted), 'repaired only once verified');
    assert.deepEqual(evictions(fake), [`evict ${hung}`]);
    assert.deepEqual(result.repairs.map((r) => [r.pod, r.method, r.outcome]), [[hung, 'evict', 'done']]);
    assert.equal(result.exitCode, EXIT.healthy);
    assert.equal(result.output.repair?.before?.classification, 'pod-local');
    assert.equal(fake.history()!.restarts[0]!.status, 'done');
    assert.equal(fake.lease()!.holderIdentity, '', 'the Lease released');
  });

  it('two hung pods → both restarted, one at a time, a verifying probe between', async () => {
    const fake = fakeEngineCluster();
    const [a, b] = fake.podNames();
    fake.sicken(a!);
    fake.sicken(b!);
    const result = await cycle(fake, repairing());
    const order = steps(fake).filter((l) => /^(probe|evict|history .*:intent$)/.test(l) && !l.includes(':done'));
    const first = order.indexOf(`evict ${result.repairs[0]!.pod}`);
    assert.deepEqual(evictions(fake).sort(), [`evict ${a}`, `evict ${b}`].sort());
    assert.equal(order[first + 1], 'probe', `verified before the next: ${order.join(' | ')}`);
    assert.ok(order.indexOf(`evict ${result.repairs[1]!.pod}`) > first + 1);
    assert.deepEqual(result.repairs.map((r) => r.outcome), ['done', 'done']);
    assert.equal(result.exitCode, EXIT.healthy);
  });

  it('the Lease held by another runner → exit 6 naming it, nothing restarted, nothing written', async () => {
    const fake = fakeEngineCluster();
    fake.sicken(fake.podNames()[0]!);
    fake.holdLease({ name: LOCK_NAME, namespace: NAMESPACE, holderIdentity: 'ci/7/ab', leaseDurationSeconds: 60, renewTime: new Date().toISOString() });
    const result = await cycle(fake, repairing());
    assert.equal(result.exitCode, EXIT.locked);
    assert.match(result.output.repair?.note ?? '', /locked by ci\/7\/ab/);
    assert.deepEqual(steps(fake), ['probe']);
    assert.equal(fake.lease()!.holderIdentity, 'ci/7/ab');
  });

  it('--dry-run → says it would evict the hung pod, and writes nothing (no Lease, history, Event)', async () => {
    const fake = fakeEngineCluster();
    const hung = fake.podNames()[2]!;
    fake.sicken(hung);
    const result = await cycle(fake, repairing({ dryRun: true }));
    assert.deepEqual(result.repairs.map((r) => [r.pod, r.outcome]), [[hung, 'dry-run']]);
    assert.deepEqual(fake.log, ['probe']);
    assert.equal(result.exitCode, EXIT.unhealthy);
  });

  it('max-unavailable: a pod that still answers (wrong answers) is not restarted while another is unavailable', async () => {
    const fake = fakeEngineCluster();
    const [wrong, , notReady] = fake.podNames();
    fake.sicken(wrong!, 'wrong-answer', 'kubernetes-a');
    fake.unready(notReady!);
    const result = await cycle(fake, repairing());
    assert.deepEqual(evictions(fake), []);
    assert.deepEqual(result.repairs, []);
    assert.match(result.output.repair?.skipped.find((s) => s.pod === wrong)?.reason ?? '', /unavailable/);
    assert.equal(result.exitCode, EXIT.unhealthy);
  });

  it('interrupted mid-session (during the first restart) → that restart concluded and recorded, the second not started, the Lease released, exit 130', async () => {
    const fake = fakeEngineCluster();
    const [a, b] = fake.podNames();
    fake.sicken(a!);
    fake.sicken(b!);
    const stop = new AbortController();
    fake.onRestart = () => stop.abort();
    const result = await cycle(fake, repairing(), stop.signal);
    assert.equal(result.exitCode, EXIT.interrupted);
    assert.equal(evictions(fake).length, 1);
    const restarted = evictions(fake)[0]!.split(' ')[1]!;
    assert.deepEqual(result.repairs.map((r) => [r.pod, r.outcome]), [[restarted, 'failed']]);
    assert.match(result.output.repair?.note ?? '', /^interrupted by a signal/);
    assert.ok(fake.log.includes(`event SentinelRepairFailed ${restarted}`));
    assert.deepEqual(fake.history()!.restarts.map((r) => [r.pods[0]!.name, r.status]), [[restarted, 'done']]);
    assert.equal(fake.lease()!.holderIdentity, '');
  });

  describe('on a manual clock (--repair-timeout 120 s passes without a real sleep)', () => {
    it('a PodDisruptionBudget refusing the eviction → asked again every 5 s until --repair-timeout, never forced; blocked, the intent dropped, the Lease renewed meanwhile', async () => {
      const fake = fakeEngineCluster();
      const hung = fake.podNames()[0]!;
      fake.sicken(hung);
      fake.evictionsRefused = true;
      const time = manualClock();
      const result = await time.run(cycle(fake, repairing({ timeoutMs: 120_000 }), undefined, time.clock), 1_000, 200);
      assert.equal(fake.log.filter((l) => l === `evict refused ${hung}`).length, 25, 'at 0, 5, … 120 s');
      assert.equal(time.elapsed() >= 120_000 && time.elapsed() < 125_000, true, `${time.elapsed()} ms`);
      assert.deepEqual(fake.log.filter((l) => l.startsWith('delete')), [], 'never forced');
      assert.deepEqual(result.repairs.map((r) => [r.pod, r.outcome]), [[hung, 'blocked']]);
      assert.deepEqual(fake.history()!.restarts, [], 'the intent dropped: nothing was restarted');
      assert.ok(fake.log.filter((l) => /^lease .+\//.test(l)).length >= 1 + 120 / 20, `renewed every 20 s: ${fake.log.filter((l) => l.startsWith('lease')).join(' | ')}`);
      assert.equal(fake.lease()!.holderIdentity, '');
      assert.equal(result.exitCode, EXIT.unhealthy);
    });

    it('a replacement that never becomes Ready → reported after --repair-timeout, the next hung pod not touched, exit 1', async () => {
      const fake = fakeEngineCluster();
      const [a, b] = fake.podNames();
      fake.sicken(a!);
      fake.sicken(b!);
      fake.replacementsReady = false;
      const time = manualClock();
      const result = await time.run(cycle(fake, repairing({ timeoutMs: 120_000 }), undefined, time.clock), 1_000, 200);
      assert.equal(evictions(fake).length, 1);
      assert.match(result.repairs[0]!.detail, /no Ready replacement within 120 s \(--repair-timeout\); not touching other pods/);
      const untouched = a === result.repairs[0]!.pod ? b : a;
      assert.match(result.output.repair?.skipped.find((x) => x.pod === untouched)?.reason ?? '', /^not attempted/);
      assert.equal(time.elapsed() >= 120_000, true);
      assert.equal(result.exitCode, EXIT.unhealthy);
    });
  });
});
