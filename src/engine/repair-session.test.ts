// The repair session alone (src/engine/repair-session.ts), over the fake cluster of test/fixtures/engine.ts:
// a judged round in, the repairs done and recorded out; its probe rounds and judge are the engine's own.
import assert from 'node:assert/strict';
import { runRepairSession, type RepairSessionDeps, type SessionStart } from './repair-session.ts';
import { probeRound, withoutTerminating, type ProbedCycle } from './probe-round.ts';
import { judge } from '../judge/judge.ts';
import { emptyHistory, previousFailures, type History } from '../repair/history.ts';
import { readHistory } from '../repair/state.ts';
import { EXIT } from '../common/exit-codes.ts';
import { SILENT_LOGGER } from '../common/logger.ts';
import { systemClock } from '../common/clock.ts';
import { contextOf, fakeEngineCluster, NAMESPACE, settings, type FakeEngineCluster } from '../../test/fixtures/engine.ts';

const NO_PROGRESS = { stage() {}, done() {} };

const judgeRound = (round: ProbedCycle, history: History) =>
  judge({ plan: round.plan, workload: round.workload, primary: { report: round.runs[0]!.report, node: round.runs[0]!.node }, previousFailures: previousFailures(history) });

/** The session's deps and its start: one probe round of the fake cluster, judged on the stored history. */
async function sessionOf(fake: FakeEngineCluster, repair: Partial<RepairSessionDeps['settings']> = {}): Promise<{ deps: RepairSessionDeps; start: SessionStart }> {
  const s = settings({}, { enabled: true, ...repair });
  const round = { ctx: contextOf(fake, s), prober: fake.prober, progress: NO_PROGRESS, log: SILENT_LOGGER };
  const deps: RepairSessionDeps = {
    client: fake.client,
    settings: s.repair,
    log: SILENT_LOGGER,
    progress: NO_PROGRESS,
    clock: systemClock,
    probeAgain: async () => withoutTerminating(await probeRound(round)),
    judge: judgeRound,
  };
  const stored = await readHistory(fake.client, NAMESPACE);
  const probed = withoutTerminating(await probeRound(round));
  return { deps, start: { probed, judgement: judgeRound(probed, stored.history), stored } };
}

describe('repair session', () => {
  it('a history written by a newer version → not repairing, said in the section, nothing written', async () => {
    const fake = fakeEngineCluster();
    fake.sicken(fake.podNames()[0]!);
    const { deps, start } = await sessionOf(fake);
    const outcome = await runRepairSession(deps, { ...start, stored: { ...start.stored, newerSchema: 'coredns-sentinel/history/v9' } });
    assert.match(outcome.section.note ?? '', /newer coredns-sentinel \(coredns-sentinel\/history\/v9\)/);
    assert.equal(outcome.exitCode, EXIT.unhealthy);
    assert.deepEqual(fake.log, ['probe']);
  });

  it('an intent left by a run that died is settled under the Lease, with nothing to repair', async () => {
    const fake = fakeEngineCluster();
    const at = new Date(Date.now() - 60_000).toISOString();
    const died = { id: 'r1', at, method: 'evict' as const, status: 'intent' as const, lineage: `${NAMESPACE}/pod/gone`, pods: [{ name: 'coredns-gone', uid: 'uid-gone', signature: 's' }] };
    fake.seedHistory({ ...emptyHistory(), restarts: [died] });
    const { deps, start } = await sessionOf(fake);
    const outcome = await runRepairSession(deps, start);
    assert.equal(outcome.exitCode, EXIT.healthy);
    assert.deepEqual(fake.history()!.restarts.map((r) => r.status), ['done'], 'its pod is gone: the restart happened');
    const lease = fake.log.filter((l) => l.startsWith('lease'));
    assert.equal(lease.length, 2, `taken and released: ${fake.log.join(' | ')}`);
    assert.ok(fake.log.indexOf('history coredns-gone:done') > fake.log.indexOf(lease[0]!));
    assert.ok(fake.log.indexOf('history coredns-gone:done') < fake.log.indexOf(lease[1]!));
  });

  it('the history cannot be completed after the eviction → the eviction is still reported, exit 7, the Lease released', async () => {
    const fake = fakeEngineCluster();
    const hung = fake.podNames()[1]!;
    fake.sicken(hung);
    fake.onRestart = () => (fake.historyDown = true);
    const { deps, start } = await sessionOf(fake);
    const outcome = await runRepairSession(deps, start);
    assert.equal(outcome.exitCode, EXIT.repairIncomplete);
    assert.deepEqual(outcome.section.actions.map((a) => [a.pod, a.outcome]), [[hung, 'failed']]);
    assert.match(outcome.section.actions[0]!.detail, /restarted, but the repair history could not be completed/);
    assert.match(outcome.section.note ?? '', /^repair incomplete: .*update configmaps coredns-sentinel-state/);
    assert.deepEqual(fake.history()!.restarts.map((r) => r.status), ['intent'], 'the intent stays: the next run counts the restart');
    assert.equal(fake.lease()!.holderIdentity, '');
  });
});
