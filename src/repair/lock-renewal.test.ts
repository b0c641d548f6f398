// The repair Lease held in the background (client-go leaderelection rhythm): renewed every
// duration/3, lost as soon as a renewal fails (the repair then stops), a failed release reported.
import assert from 'node:assert/strict';
import { KubeError, type KLease, type RepairKubeClient } from '../kube/index.ts';
import { acquireLock, LOCK_NAME } from './lock.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A Lease store with a switch that makes every write fail. */
function leases() {
  let stored: KLease | undefined;
  let version = 0;
  const state = { failWrites: false, replaces: 0 };
  const put = (l: KLease): KLease => (stored = { ...l, resourceVersion: String(++version) });
  const client = {
    getLease: async () => stored,
    createLease: async (l: KLease) => put(l),
    replaceLease: async (l: KLease) => {
      state.replaces++;
      if (state.failWrites) throw new KubeError('server', 503, 'the server is currently unable to handle the request', 'retry later', { request: { verb: 'update', resource: 'leases', namespace: l.namespace, name: l.name } });
      if (l.resourceVersion !== stored?.resourceVersion) throw new KubeError('conflict', 409, 'stale', '', { request: { verb: 'update', resource: 'leases' } });
      return put(l);
    },
  } as unknown as RepairKubeClient;
  return { client, state, lease: () => stored };
}

describe('repair Lease in the background', () => {
  it('renews every duration/3 while held, and release clears the holder', async () => {
    const { client, state, lease } = leases();
    // 0.3 s duration (fractional seconds are fine for the timer): a renewal every 100 ms.
    const lock = await acquireLock(client, 'kube-system', 0.3, 'me/1/aa');
    const firstRenew = lease()!.renewTime;
    // Bounded waits, generous for a loaded machine: the timer fires every 100 ms.
    for (let i = 0; i < 40 && state.replaces < 2; i++) await sleep(50);
    assert.ok(state.replaces >= 2, `renewed ${state.replaces} times in 2 s`);
    assert.notEqual(lease()!.renewTime, firstRenew);
    assert.equal(lock.lost.aborted, false);
    assert.equal(await lock.release(), undefined);
    assert.equal(lease()!.holderIdentity, '');
    const after = state.replaces;
    await sleep(150);
    assert.equal(state.replaces, after, 'no renewal after release');
  });

  it('a failed renewal loses the Lease: `lost` fires with the request named, and release does not touch it', async () => {
    const { client, state, lease } = leases();
    const lock = await acquireLock(client, 'kube-system', 0.3, 'me/1/aa');
    state.failWrites = true;
    for (let i = 0; i < 40 && !lock.lost.aborted; i++) await sleep(50);
    assert.equal(lock.lost.aborted, true);
    assert.match((lock.lost.reason as Error).message, new RegExp(`${LOCK_NAME} could not be renewed: .*update leases`));
    state.failWrites = false;
    assert.equal(await lock.release(), undefined);
    assert.equal(lease()!.holderIdentity, 'me/1/aa', 'a lost Lease is not ours to clear');
  });

  it('a failed release is reported in one line, saying it expires by itself', async () => {
    const { client, state } = leases();
    const lock = await acquireLock(client, 'kube-system', 30, 'me/1/aa');
    state.failWrites = true;
    assert.match((await lock.release()) ?? '', /could not release the repair Lease coredns-sentinel-repair \(.*\); it expires by itself after 30 s/);
  });
});
