import { expect } from 'chai';
import { pods, plan, report, workload, type Fault } from '../../test/fixtures/reports.ts';
import { judge } from '../judge/judge.ts';
import type { Judgement } from '../judge/types.ts';
import {
  HISTORY_KEY,
  HISTORY_LIMITS,
  HISTORY_SCHEMA,
  decodeHistory,
  emptyHistory,
  encodeHistory,
  intentOf,
  nextHistory,
  openIntents,
  previousFailures,
  resolveIntents,
  settleIntent,
  withIntent,
  type History,
  type RestartRecord,
} from './history.ts';
import { planRepairs, type Escalation } from './policy.ts';

const T0 = new Date('2025-06-01T12:00:00.000Z');
const MIN = 60_000;
const at = (offsetMs: number): Date => new Date(T0.getTime() + offsetMs);
const KEY_B = 'pod/kube-system/coredns-b/uid-coredns-b';
const hungB: Fault[] = [{ target: 'coredns-b', outcome: 'timeout' }];

function cycle(faults: Fault[], h: History, confirmCycles = 1): Judgement {
  const p = plan(pods(3));
  return judge({
    plan: p,
    workload: workload(pods(3)),
    primary: { node: 'node-0', report: report(p, faults) },
    previousFailures: previousFailures(h),
    config: { confirmCycles },
  });
}

const restartAt = (when: Date, name = 'coredns-x'): RestartRecord => ({
  id: `id-${name}-${when.getTime()}`,
  at: when.toISOString(),
  method: 'evict',
  status: 'done',
  lineage: `kube-system/pod/${name}`,
  pods: [{ name, uid: `uid-${name}`, signature: 'api/udp' }],
});

describe('repair/history', () => {
  describe('nextHistory', () => {
    it('counts failing streaks across cycles until confirmation (M=3), keeping when they began', () => {
      let h = emptyHistory();
      const statuses: string[] = [];
      for (let i = 0; i < 3; i++) {
        const j = cycle(hungB, h, 3);
        statuses.push(j.targets.find((t) => t.label === 'coredns-b')!.status);
        h = nextHistory(h, j, at(i * MIN));
      }
      expect(statuses).to.deep.equal(['pending-confirmation', 'pending-confirmation', 'fail']);
      expect(h.targets).to.deep.equal({ [KEY_B]: { failing: 3, signature: 'api/tcp,api/udp,dns-srv/tcp,dns-srv/udp,ext/tcp,ext/udp', since: T0.toISOString() } });
      expect(h.updatedAt).to.equal(at(2 * MIN).toISOString());
    });

    it('drops a streak when the target passes', () => {
      const h1 = nextHistory(emptyHistory(), cycle(hungB, emptyHistory()), T0);
      const h2 = nextHistory(h1, cycle([], h1), at(MIN));
      expect(h2.targets).to.deep.equal({});
    });

    it('keeps a streak unchanged through a probe-side cycle', () => {
      const h1 = nextHistory(emptyHistory(), cycle(hungB, emptyHistory()), T0);
      const h2 = nextHistory(h1, cycle([{ outcome: 'unreachable' }], h1), at(MIN));
      expect(h2.targets[KEY_B]).to.deep.equal(h1.targets[KEY_B]);
    });

    it('write-ahead: the intent counts as a restart before the eviction; done with its replacements after', () => {
      const j = cycle(hungB, emptyHistory());
      const plan_ = planRepairs(j, workload(pods(3)), emptyHistory(), {}, T0);
      const intent = intentOf(plan_.actions[0]!, 'r1', T0);
      const h = withIntent(emptyHistory(), intent, T0);
      expect(h.restarts).to.deep.equal([
        {
          id: 'r1',
          at: T0.toISOString(),
          method: 'evict',
          status: 'intent',
          lineage: 'kube-system/pod/coredns-b',
          workload: 'coredns',
          pods: [{ name: 'coredns-b', uid: 'uid-coredns-b', signature: 'api/tcp,api/udp,dns-srv/tcp,dns-srv/udp,ext/tcp,ext/udp' }],
        },
      ]);
      // Even a bare intent (the run died before completing it) puts coredns-b in cooldown.
      const next = planRepairs(cycle(hungB, h), workload(pods(3)), h, {}, at(MIN));
      expect(next.actions).to.deep.equal([]);
      expect(next.skipped[0]!.reason).to.match(/in cooldown/);
      const done = settleIntent(h, 'r1', { done: true, replacements: [{ name: 'coredns-d', uid: 'uid-coredns-d' }] }, at(1000));
      expect(done.restarts[0]).to.include({ status: 'done' });
      expect(done.restarts[0]!.replacements).to.deep.equal([{ name: 'coredns-d', uid: 'uid-coredns-d' }]);
      expect(openIntents(done)).to.deep.equal([]);
      // A refused eviction restarted nothing: the intent is dropped.
      expect(settleIntent(h, 'r1', { done: false }, at(1000)).restarts).to.deep.equal([]);
    });

    it('resolveIntents: a dead run\'s intent is done when its pod is gone or terminating, dropped when it still runs', () => {
      const j = cycle(hungB, emptyHistory());
      const action = planRepairs(j, workload(pods(3)), emptyHistory(), {}, T0).actions[0]!;
      const h = withIntent(emptyHistory(), intentOf(action, 'r1', T0), T0);
      expect(resolveIntents(h, [{ uid: 'uid-coredns-b', terminating: false }], at(MIN)).restarts).to.deep.equal([]);
      expect(resolveIntents(h, [{ uid: 'uid-coredns-b', terminating: true }], at(MIN)).restarts[0]!.status).to.equal('done');
      expect(resolveIntents(h, [{ uid: 'uid-coredns-a', terminating: false }], at(MIN)).restarts[0]!.status).to.equal('done');
      const settled = resolveIntents(h, [], at(MIN));
      expect(resolveIntents(settled, [], at(2 * MIN))).to.equal(settled);
    });

    it('prunes restarts older than the retention and caps their number', () => {
      const old = restartAt(at(-HISTORY_LIMITS.retainMs));
      const recent = Array.from({ length: HISTORY_LIMITS.restarts + 5 }, (_, i) => restartAt(at(-i * 1000), `p${i}`));
      const h = nextHistory({ ...emptyHistory(), restarts: [old, ...recent] }, cycle([], emptyHistory()), T0);
      expect(h.restarts).to.have.length(HISTORY_LIMITS.restarts);
      expect(h.restarts.some((r) => r.at === old.at)).to.equal(false);
      // The newest are kept, oldest first.
      expect(h.restarts.at(-1)!.pods[0]!.name).to.equal('p0');
      expect(h.restarts[0]!.pods[0]!.name).to.equal(`p${HISTORY_LIMITS.restarts - 1}`);
    });

    describe('escalations', () => {
      const escalation: Escalation = { pod: 'coredns-b', lineage: 'kube-system/deployment/coredns', signature: 'api/udp', evidence: ['a', 'b'], since: T0.toISOString(), isNew: true };

      it('records a new escalation once, keeping the first time', () => {
        const h1 = nextHistory(emptyHistory(), cycle(hungB, emptyHistory()), T0, [escalation]);
        const h2 = nextHistory(h1, cycle(hungB, h1), at(MIN), [{ ...escalation, isNew: false }]);
        expect(h2.escalations).to.deep.equal([{ at: T0.toISOString(), lineage: escalation.lineage, signature: 'api/udp', pod: 'coredns-b', evidence: ['a', 'b'] }]);
      });

      it('keeps it while DNS is unhealthy, clears it after a healthy cycle', () => {
        const h1 = nextHistory(emptyHistory(), cycle(hungB, emptyHistory()), T0, [escalation]);
        expect(nextHistory(h1, cycle(hungB, h1), at(MIN)).escalations).to.have.length(1);
        expect(nextHistory(h1, cycle([], h1), at(MIN)).escalations).to.deep.equal([]);
      });

      it('bounds the evidence kept', () => {
        const many = { ...escalation, evidence: Array.from({ length: 50 }, (_, i) => `line ${i}`) };
        const h = nextHistory(emptyHistory(), cycle(hungB, emptyHistory()), T0, [many]);
        expect(h.escalations[0]!.evidence).to.have.length(HISTORY_LIMITS.evidenceLines);
      });
    });
  });

  describe('encode / decode', () => {
    it('round-trips', () => {
      const j = cycle(hungB, emptyHistory());
      const action = planRepairs(j, workload(pods(3)), emptyHistory(), {}, T0).actions[0]!;
      const h = nextHistory(settleIntent(withIntent(emptyHistory(), intentOf(action, 'r1', T0), T0), 'r1', { done: true, replacements: [{ name: 'coredns-d', uid: 'uid-d' }] }, T0), j, T0);
      expect(h.restarts).to.have.length(1);
      const data = encodeHistory(h);
      expect(Object.keys(data)).to.deep.equal([HISTORY_KEY]);
      expect(decodeHistory(data)).to.deep.equal({ history: h });
    });

    it('reads a v1 history: its restarts count as done', () => {
      const v1 = { at: T0.toISOString(), method: 'evict', lineage: 'kube-system/deployment/coredns', pods: [{ name: 'coredns-b', uid: 'uid-b', signature: 'api/udp' }] };
      const { history, warning } = decodeHistory({ [HISTORY_KEY]: JSON.stringify({ schema: 'coredns-sentinel/history/v1', updatedAt: null, targets: {}, restarts: [v1], escalations: [] }) });
      expect(warning).to.equal(undefined);
      expect(history.restarts).to.deep.equal([{ id: `v1-0-${T0.toISOString()}`, status: 'done', ...v1 }]);
    });

    it('no ConfigMap data (first run) is an empty history without a warning', () => {
      expect(decodeHistory(undefined)).to.deep.equal({ history: emptyHistory() });
      expect(decodeHistory({})).to.deep.equal({ history: emptyHistory() });
    });

    const garbage: [string, string, RegExp][] = [
      ['not JSON', '{"schema": ', /is not valid JSON/],
      ['binary noise', '\u0000\u00ff\u0001', /is not valid JSON/],
      ['a JSON list', '[1,2]', /is not a JSON object/],
      ['null', 'null', /is not a JSON object/],
      ['a number', '42', /is not a JSON object/],
      ['another schema', JSON.stringify({ schema: 'coredns-sentinel/history/v0', targets: {} }), /has schema "coredns-sentinel\/history\/v0", expected/],
      ['no schema', JSON.stringify({ targets: {} }), /has no schema, expected "coredns-sentinel\/history\/v2"/],
    ];
    for (const [name, text, warning] of garbage)
      it(`${name} → empty history and a warning`, () => {
        const { history, warning: w } = decodeHistory({ [HISTORY_KEY]: text });
        expect(history).to.deep.equal(emptyHistory());
        expect(w).to.match(warning).and.match(/starting from an empty history/);
      });

    it('keeps the readable entries and says how many were dropped', () => {
      const good = restartAt(T0);
      const text = JSON.stringify({
        schema: HISTORY_SCHEMA,
        updatedAt: 'yesterday',
        targets: { ok: { failing: 2, signature: 's', since: T0.toISOString() }, bad: { failing: 'two' }, zero: { failing: 0, signature: '', since: T0.toISOString() } },
        restarts: [good, { ...good, method: 'reboot' }, { ...good, at: 'soon' }, { ...good, pods: [{ name: 1 }] }, null],
        escalations: [{ at: T0.toISOString(), lineage: 'l', signature: 's', pod: 'p', evidence: ['e'] }, { at: T0.toISOString() }],
      });
      const { history, warning } = decodeHistory({ [HISTORY_KEY]: text });
      expect(history.updatedAt).to.equal(null);
      expect(Object.keys(history.targets)).to.deep.equal(['ok']);
      expect(history.restarts).to.deep.equal([good]);
      expect(history.escalations).to.have.length(1);
      expect(warning).to.equal('repair history in the ConfigMap had 7 unreadable entries (the first: targets["bad"].signature is missing); kept the rest');
    });

    it('missing lists are a warning, not a crash', () => {
      const { history, warning } = decodeHistory({ [HISTORY_KEY]: JSON.stringify({ schema: HISTORY_SCHEMA }) });
      expect(history).to.deep.equal(emptyHistory());
      expect(warning).to.match(/0 unreadable entries and missing lists/);
    });

    it('a history bigger than the limits is cut to them on decode', () => {
      const restarts = Array.from({ length: HISTORY_LIMITS.restarts * 2 }, (_, i) => restartAt(at(i), `p${i}`));
      const { history } = decodeHistory(encodeHistory({ ...emptyHistory(), restarts }));
      expect(history.restarts).to.have.length(HISTORY_LIMITS.restarts);
      expect(history.restarts[0]!.pods[0]!.name).to.equal(`p${HISTORY_LIMITS.restarts}`);
    });

    it('a full history stays far below the 1 MiB ConfigMap limit', () => {
      const restarts = Array.from({ length: HISTORY_LIMITS.restarts }, (_, i) => restartAt(T0, `coredns-6d4b75cb6d-${i}xxxx`));
      const targets = Object.fromEntries(
        Array.from({ length: HISTORY_LIMITS.targets }, (_, i) => [`pod/kube-system/coredns-6d4b75cb6d-${i}/0b5e6c2a-7d0c-4a43-9d8e-1f0c1e7d${i}`, { failing: 3, signature: 'api/tcp,api/udp,dns-srv/tcp,dns-srv/udp', since: T0.toISOString() }]),
      );
      const bytes = encodeHistory({ ...emptyHistory(), restarts, targets })[HISTORY_KEY]!.length;
      expect(bytes).to.be.below(512 * 1024);
    });
  });
});
