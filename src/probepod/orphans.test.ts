// Probe pods left by killed runs (docs/repair.md "Probe pods left behind"): which the next run deletes,
// and when. Pure but for the live-process check of this test's own pid.
import assert from 'node:assert/strict';
import type { KPod } from '../kube/index.ts';
import { OWNER_ANNOTATIONS, bootDigest, currentOwner, ownerAnnotations, ownerDead, processAlive, processStart, type RunOwner } from '../common/owner.ts';
import { SWEEP_ANNOTATIONS, deadlineSecondsOf, staleReason } from './lifecycle.ts';

const self: RunOwner = { boot: bootDigest('laptop', 'boot-1'), pid: 100, pidStart: '5000' };
const owner = (o: Partial<RunOwner>) => ownerAnnotations({ ...self, pid: 200, pidStart: '6000', ...o });

const T = Date.parse('2025-01-01T00:00:00Z');
const pod = (over: Partial<KPod>, annotations: Record<string, string> = {}): KPod => ({
  name: 'coredns-sentinel-probe-x',
  namespace: 'sentinel',
  uid: 'u',
  resourceVersion: '1',
  labels: { 'app.kubernetes.io/managed-by': 'coredns-sentinel' },
  annotations: { [SWEEP_ANNOTATIONS.startSeconds]: '60', [SWEEP_ANNOTATIONS.execSeconds]: '27', ...annotations },
  ownerReferences: [],
  nodeName: 'node-1',
  phase: 'Running',
  podIPs: [],
  conditions: [],
  containerStatuses: [],
  creationTimestamp: new Date(T).toISOString(),
  activeDeadlineSeconds: deadlineSecondsOf(60_000, 27_000),
  ...over,
});
const readyAt = (ms: number) => [{ type: 'Ready', status: 'True', lastTransitionTime: new Date(T + ms).toISOString() }];
const nobodyAlive = () => false;
const everyoneAlive = () => true;

describe('orphaned probe pods', () => {
  describe('ownerDead: provably dead runs', () => {
    it('same host and boot, process gone → dead', () => assert.equal(ownerDead(owner({}), self, nobodyAlive), true));
    it('same host and boot, process alive → not dead', () => assert.equal(ownerDead(owner({}), self, everyoneAlive), false));
    it('another host → never dead (its run may be alive there)', () => assert.equal(ownerDead(owner({ boot: bootDigest('ci-runner', 'boot-1') }), self, nobodyAlive), false));
    it('another boot of this host → never dead by pid (pids restart after a reboot)', () => assert.equal(ownerDead(owner({ boot: bootDigest('laptop', 'boot-0') }), self, nobodyAlive), false));
    it('no boot id known here → never dead', () => assert.equal(ownerDead(owner({}), { ...self, boot: '' }, nobodyAlive), false));
    it('no boot id known to the creator → no owner annotations at all', () => assert.deepEqual(owner({ boot: '' }), {}));
    it('the annotations name no machine: no host name, no boot id, only their digest', () => {
      const written = ownerAnnotations({ boot: bootDigest('laptop.corp.example', '6f1c2a9e-0b7d-4c1e-9a51-2d0e5f3b8c47'), pid: 4242, pidStart: '777' });
      assert.deepEqual(Object.keys(written).sort(), ['coredns-sentinel/owner-boot', 'coredns-sentinel/pid', 'coredns-sentinel/pid-start']);
      assert.match(written['coredns-sentinel/owner-boot']!, /^[0-9a-f]{16}$/);
      assert.doesNotMatch(JSON.stringify(written), /laptop|corp|6f1c2a9e/);
    });
    it('this process itself → not dead', () => assert.equal(ownerDead(owner({ pid: 100 }), self, nobodyAlive), false));
    it('no owner annotations → not dead', () => assert.equal(ownerDead({}, self, nobodyAlive), false));
    it('passes the recorded start time, so a reused pid is told apart', () => {
      let seen = '';
      ownerDead(owner({ pidStart: '6000' }), self, (_pid, start) => ((seen = start), true));
      assert.equal(seen, '6000');
    });
  });

  describe('processAlive / processStart on this machine', () => {
    it('this process is alive with its own start time; a reused pid with another start time is not', () => {
      const me = currentOwner();
      assert.equal(processAlive(me.pid, me.pidStart), true);
      if (me.pidStart) assert.equal(processAlive(me.pid, String(Number(me.pidStart) + 1)), false);
      assert.equal(processStart(me.pid), me.pidStart);
    });
  });

  describe('staleReason: when the next run deletes a pod', () => {
    const rows: [string, KPod, number, boolean, RegExp | undefined][] = [
      ['dead run, 1 s old', pod({}, owner({})), 1_000, false, /its run is gone/],
      ['live run, Ready 20 s (within its 27 s exec budget)', pod({ conditions: readyAt(2_000) }), 22_000, true, undefined],
      ['live run elsewhere, Ready 33 s (exec budget 27 s + 5 s margin passed)', pod({ conditions: readyAt(2_000) }), 35_000, true, /Ready for longer than its exec budget \(27 s\)/],
      ['Pending 50 s (start budget 60 s)', pod({ phase: 'Pending' }), 50_000, true, undefined],
      ['Pending 66 s (start budget 60 s + 5 s passed)', pod({ phase: 'Pending' }), 66_000, true, /not Running within its start budget \(60 s\)/],
      ['ended', pod({ phase: 'Failed' }), 1_000, true, /ended/],
      ['an old pod without budgets: its deadline', pod({ annotations: {} }), 93_000, true, /past its deadline/],
      ['an old pod without budgets, before its deadline', pod({ annotations: {} }), 50_000, true, undefined],
      ['not this tool’s', pod({ labels: {}, phase: 'Failed' }), 1_000, false, undefined],
    ];
    for (const [name, p, at, alive, reason] of rows)
      it(`${name} → ${reason ? 'deleted' : 'kept'}`, () => {
        const got = staleReason(p, T + at, (a) => ownerDead(a, self, alive ? everyoneAlive : nobodyAlive));
        if (reason) assert.match(got ?? '(kept)', reason);
        else assert.equal(got, undefined);
      });

    it('the default bound for an orphan of another host: Ready + exec budget + 5 s, and kubelet fails it at its deadline', () => {
      assert.equal(deadlineSecondsOf(60_000, 27_000), 92);
      assert.equal(OWNER_ANNOTATIONS.pid, 'coredns-sentinel/pid');
    });
  });
});
