// The repair Lease as client-go's leaderelection holds it, on a fake clock (no real sleeps): renewed
// every duration/3 while held, lost as soon as a renewal fails (the repair then stops), a failed release
// reported; another holder's Lease taken only after it stayed unchanged for a whole duration on OUR clock,
// whatever its renewTime says, so clock skew never hands a live Lease to a second runner.
import assert from 'node:assert/strict';
import { KubeError, type KLease, type RepairKubeClient } from '../kube/index.ts';
import { Interrupted } from '../common/abort.ts';
import { manualClock as fakeClock } from '../../test/fixtures/clock.ts';
import { acquireLock, LockedError, LOCK_NAME } from './lock.ts';

/** A Lease store with a switch that makes every write fail, and another runner that can renew. */
function leases(initial?: KLease) {
  let stored: KLease | undefined = initial && { ...initial, resourceVersion: '1' };
  let version = 1;
  const state = { failWrites: false, replaces: 0, gets: 0 };
  const put = (l: KLease): KLease => (stored = { ...l, resourceVersion: String(++version) });
  const client = {
    getLease: async () => (state.gets++, stored),
    createLease: async (l: KLease) => {
      if (stored) throw new KubeError('conflict', 409, 'exists', '', { request: { verb: 'create', resource: 'leases' } });
      return put(l);
    },
    replaceLease: async (l: KLease) => {
      state.replaces++;
      if (state.failWrites) throw new KubeError('server', 503, 'the server is currently unable to handle the request', 'retry later', { request: { verb: 'update', resource: 'leases', namespace: l.namespace, name: l.name } });
      if (l.resourceVersion !== stored?.resourceVersion) throw new KubeError('conflict', 409, 'stale', '', { request: { verb: 'update', resource: 'leases' } });
      return put(l);
    },
  } as unknown as RepairKubeClient;
  return { client, state, lease: () => stored, othersRenewal: (renewTime: string) => put({ ...stored!, renewTime }) };
}

const base = { name: LOCK_NAME, namespace: 'kube-system', leaseDurationSeconds: 60 };

describe('repair Lease in the background', () => {
  it('renews every duration/3 while held, and release clears the holder and stops the renewals', async () => {
    const { clock, advance, sleeping } = fakeClock();
    const { client, state, lease } = leases();
    const lock = await acquireLock(client, 'kube-system', 30, { identity: 'me/1/aa', clock });
    const firstRenew = lease()!.renewTime;
    await advance(9_999);
    assert.equal(state.replaces, 0, 'no renewal before duration/3');
    await advance(1);
    assert.equal(state.replaces, 1, 'renewed at 10 s');
    assert.equal(lease()!.renewTime, '2025-01-01T00:00:10.000Z');
    assert.notEqual(lease()!.renewTime, firstRenew);
    await advance(20_000);
    assert.equal(state.replaces, 3);
    assert.equal(lock.lost.aborted, false);
    assert.equal(await lock.release(), undefined);
    assert.equal(lease()!.holderIdentity, '');
    assert.equal(sleeping(), 0, 'the renewal loop ended');
    const after = state.replaces;
    await advance(60_000);
    assert.equal(state.replaces, after, 'no renewal after release');
  });

  it('a failed renewal loses the Lease: `lost` fires with the request named, and release does not touch it', async () => {
    const { clock, advance } = fakeClock();
    const { client, state, lease } = leases();
    const lock = await acquireLock(client, 'kube-system', 30, { identity: 'me/1/aa', clock });
    state.failWrites = true;
    await advance(10_000);
    assert.equal(lock.lost.aborted, true);
    assert.match((lock.lost.reason as Error).message, new RegExp(`${LOCK_NAME} could not be renewed: .*update leases`));
    state.failWrites = false;
    assert.equal(await lock.release(), undefined);
    assert.equal(lease()!.holderIdentity, 'me/1/aa', 'a lost Lease is not ours to clear');
  });

  it('a failed release is reported in one line, saying it expires by itself', async () => {
    const { clock } = fakeClock();
    const { client, state } = leases();
    const lock = await acquireLock(client, 'kube-system', 30, { identity: 'me/1/aa', clock });
    state.failWrites = true;
    assert.match((await lock.release()) ?? '', /could not release the repair Lease coredns-sentinel-repair \(.*\); it expires by itself after 30 s/);
  });
});

describe('taking a Lease another runner holds', () => {
  it('a live holder whose clock is far behind ours (renewTime looks expired) keeps it: it renewed while we watched → LockedError', async () => {
    // Our clock says 00:10:00; the holder writes renewTimes 5 minutes behind, renewing every 20 s.
    const { clock, advance } = fakeClock('2025-01-01T00:10:00Z');
    const { client, state, othersRenewal } = leases({ ...base, holderIdentity: 'ci/7/ab', renewTime: '2025-01-01T00:05:00.000000Z', leaseTransitions: 2 });
    const taking = acquireLock(client, 'kube-system', 60, { identity: 'me/1/aa', clock });
    const outcome = taking.then(() => 'took it', (e: unknown) => e);
    await advance(15_000);
    othersRenewal('2025-01-01T00:05:15.000000Z');
    await advance(20_000);
    const err = await outcome;
    assert.ok(err instanceof LockedError, String(err));
    assert.equal(err.holder, 'ci/7/ab');
    assert.equal(state.replaces, 0, 'never wrote the Lease');
  });

  it('a dead holder (record unchanged for a whole duration on our clock) is taken over, one transition counted', async () => {
    const { clock, advance } = fakeClock('2025-01-01T00:10:00Z');
    const { client, lease } = leases({ ...base, holderIdentity: 'ci/7/ab', renewTime: '2025-01-01T00:05:00.000000Z', leaseTransitions: 2 });
    let took = false;
    const taking = acquireLock(client, 'kube-system', 60, { identity: 'me/1/aa', clock }).then((l) => ((took = true), l));
    await advance(59_000);
    assert.equal(took, false, 'not before a whole duration was observed');
    await advance(1_000);
    const lock = await taking;
    assert.equal(lease()!.holderIdentity, 'me/1/aa');
    assert.equal(lease()!.leaseTransitions, 3);
    assert.equal(lease()!.acquireTime, '2025-01-01T00:11:00.000Z');
    await lock.release();
  });

  it('a holder whose renewTime is recent by our clock is refused at once, naming holder and expiry', async () => {
    const { clock } = fakeClock('2025-01-01T00:01:00Z');
    const { client, state } = leases({ ...base, holderIdentity: 'ci/7/ab', renewTime: '2025-01-01T00:00:30.000000Z' });
    await assert.rejects(acquireLock(client, 'kube-system', 60, { identity: 'me/1/aa', clock }), (e: unknown) =>
      e instanceof LockedError && e.until === '2025-01-01T00:01:30.000Z' && /locked by ci\/7\/ab until 2025-01-01T00:01:30.000Z/.test(e.line));
    assert.equal(state.gets, 1);
  });

  it('a signal ends the wait on a possibly-dead holder (Interrupted), the Lease untouched', async () => {
    const { clock, advance } = fakeClock('2025-01-01T00:10:00Z');
    const { client, state } = leases({ ...base, holderIdentity: 'ci/7/ab', renewTime: '2025-01-01T00:05:00.000000Z' });
    const stop = new AbortController();
    const outcome = acquireLock(client, 'kube-system', 60, { identity: 'me/1/aa', clock, signal: stop.signal }).then(() => 'took it', (e: unknown) => e);
    await advance(5_000);
    stop.abort();
    assert.ok((await outcome) instanceof Interrupted);
    assert.equal(state.replaces, 0);
  });

  it('our own Lease (a run of ours that died) is re-taken at once: acquireTime kept, no transition', async () => {
    const { clock } = fakeClock('2025-01-01T00:10:00Z');
    const { client, lease } = leases({ ...base, holderIdentity: 'me/1/aa', acquireTime: '2025-01-01T00:09:00.000Z', renewTime: '2025-01-01T00:09:50.000Z', leaseTransitions: 4 });
    const lock = await acquireLock(client, 'kube-system', 60, { identity: 'me/1/aa', clock });
    assert.equal(lease()!.leaseTransitions, 4);
    assert.equal(lease()!.acquireTime, '2025-01-01T00:09:00.000Z');
    await lock.release();
  });
});
