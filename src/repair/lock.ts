// The repair lock (design rule 7): a coordination.k8s.io Lease "coredns-sentinel-repair" in the DNS
// namespace, so a laptop and CI never repair at once. Taken only when there is something to repair,
// never in --dry-run; renewed in the background every leaseDurationSeconds/3 while held (client-go
// leaderelection's rhythm), and a failed renewal ends the claim: `lost` fires and the repair stops before
// its next step. Released (holder cleared) at the end; a failed release is reported. A holder that died
// leaves a Lease that another runner takes over once it has seen it unchanged for leaseDurationSeconds
// on its own clock (client-go's observedTime): the holder's renewTime is never compared with our clock
// to take a Lease, so clock skew between runners cannot hand a live Lease to a second one.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { KubeError, type KLease, type RepairKubeClient } from '../kube/index.ts';
import { DEFAULTS } from '../common/defaults.ts';
import { lineOf, SentinelError } from '../common/errors.ts';
import { EXIT } from '../common/exit-codes.ts';
import { systemClock, type Clock } from '../common/clock.ts';

export const LOCK_NAME = 'coredns-sentinel-repair';
export const DEFAULT_LEASE_SECONDS = DEFAULTS.repair.leaseSeconds;

/** "<hostname>/<pid>/<random>": tells a human which runner holds the lock. */
export const lockIdentity = (): string => `${hostname()}/${process.pid}/${randomBytes(3).toString('hex')}`;

export class LockedError extends SentinelError {
  constructor(
    readonly holder: string,
    readonly until: string,
  ) {
    super(`repair is locked by ${holder} until ${until} (Lease ${LOCK_NAME}): another runner is repairing; run again later`, { exitCode: EXIT.locked });
    this.name = 'LockedError';
  }
}

/** When the holder's claim ends by the holder's own clock: renewTime (or acquireTime) + leaseDurationSeconds. */
export function leaseExpiry(lease: KLease): number {
  const from = Date.parse(lease.renewTime ?? lease.acquireTime ?? '');
  if (Number.isNaN(from)) return 0;
  return from + durationMs(lease);
}

const durationMs = (lease: KLease): number => (lease.leaseDurationSeconds ?? DEFAULT_LEASE_SECONDS) * 1000;

/**
 * create, take (absent holder or ours), locked (another holder renewed recently by our clock: refusing
 * is the safe side of any skew), or observe: another holder's renewTime looks expired, but that time was
 * written by the holder's clock. As client-go's leaderelection does, expiry is then measured from when
 * this client observed the record: it must stay unchanged for a whole lease duration on our own clock.
 */
export type LeaseDecision = { kind: 'create' } | { kind: 'take' } | { kind: 'locked'; holder: string; until: string } | { kind: 'observe'; holder: string };

/** What to do with the Lease as read. Pure. */
export function leaseDecision(lease: KLease | undefined, identity: string, now: Date): LeaseDecision {
  if (!lease) return { kind: 'create' };
  if (!lease.holderIdentity || lease.holderIdentity === identity) return { kind: 'take' };
  const expiry = leaseExpiry(lease);
  if (expiry <= now.getTime()) return { kind: 'observe', holder: lease.holderIdentity };
  return { kind: 'locked', holder: lease.holderIdentity, until: new Date(expiry).toISOString() };
}

/** What changes whenever the holder writes the Lease: a renewal, a release, a take-over. */
const recordOf = (lease: KLease | undefined): string =>
  lease ? JSON.stringify([lease.resourceVersion, lease.holderIdentity, lease.renewTime, lease.acquireTime]) : 'absent';

export interface RepairLock {
  identity: string;
  /** Aborted when a renewal failed or another runner took the Lease: stop repairing; reason says why. */
  readonly lost: AbortSignal;
  /** Extends the claim now; throws LockedError when another runner took it. */
  renew(): Promise<void>;
  /**
   * Stops the renewals and clears the holder so the next runner need not wait for expiry. Never throws:
   * returns the problem as one line when the Lease could not be released (it then expires by itself).
   */
  release(): Promise<string | undefined>;
}

/** Renewals per lease duration (client-go: retryPeriod well below renewDeadline below leaseDuration). */
export const RENEWALS_PER_DURATION = 3;

export interface LockOptions {
  identity?: string;
  clock?: Clock;
  /** Ends a wait on a Lease whose holder may be dead (Interrupted). */
  signal?: AbortSignal;
}

class HeldLease implements RepairLock {
  private readonly lostController = new AbortController();
  private readonly stopRenewing = new AbortController();
  private readonly renewals: Promise<void>;
  readonly lost = this.lostController.signal;

  constructor(
    private readonly client: RepairKubeClient,
    private lease: KLease,
    readonly identity: string,
    private readonly clock: Clock,
  ) {
    this.renewals = this.renewLoop(durationMs(lease) / RENEWALS_PER_DURATION);
  }

  private async renewLoop(periodMs: number): Promise<void> {
    const stop = this.stopRenewing.signal;
    try {
      for (;;) {
        await this.clock.sleep(periodMs, stop);
        await this.renew();
      }
    } catch (err) {
      if (!stop.aborted) this.lose(err);
    }
  }

  private lose(err: unknown): void {
    const why = lineOf(err);
    this.lostController.abort(new Error(`the repair Lease ${LOCK_NAME} could not be renewed: ${why}`));
  }

  private async lostTo(): Promise<LockedError> {
    const now = await this.client.getLease(this.lease.namespace, this.lease.name).catch(() => undefined);
    const until = now ? new Date(leaseExpiry(now)).toISOString() : 'unknown';
    return new LockedError(now?.holderIdentity || 'another runner', until);
  }

  async renew(): Promise<void> {
    if (this.lost.aborted) throw new LockedError('another runner (our renewal failed)', 'unknown');
    try {
      this.lease = await this.client.replaceLease({ ...this.lease, holderIdentity: this.identity, renewTime: this.clock.now().toISOString() });
    } catch (err) {
      if (err instanceof KubeError && err.kind === 'conflict') throw await this.lostTo();
      throw err;
    }
  }

  async release(): Promise<string | undefined> {
    this.stopRenewing.abort();
    await this.renewals;
    // A Lease we lost is not ours to clear.
    if (this.lost.aborted) return undefined;
    try {
      await this.client.replaceLease({ ...this.lease, holderIdentity: '', renewTime: this.clock.now().toISOString() });
      return undefined;
    } catch (err) {
      const why = lineOf(err);
      return `could not release the repair Lease ${LOCK_NAME} (${why}); it expires by itself after ${this.lease.leaseDurationSeconds ?? DEFAULT_LEASE_SECONDS} s`;
    }
  }
}

/**
 * Watches a Lease whose holder looks expired until it has stayed unchanged for a lease duration on our
 * clock (then it is ours to take: the Lease as last read), or until it changes (a live holder renewed it,
 * or it was released or deleted: decide again on what was read).
 */
async function observeUntilExpired(client: RepairKubeClient, seen: KLease, clock: Clock, signal?: AbortSignal): Promise<KLease | undefined> {
  const observedAt = clock.monotonic();
  const period = durationMs(seen) / RENEWALS_PER_DURATION;
  for (;;) {
    const left = durationMs(seen) - (clock.monotonic() - observedAt);
    if (left <= 0) return seen;
    await clock.sleep(Math.min(period, left), signal);
    const again = await client.getLease(seen.namespace, seen.name);
    if (recordOf(again) !== recordOf(seen)) return again;
  }
}

/**
 * Takes the lock or throws LockedError naming the holder. A lost race (409 on create or on replace)
 * means another runner got there first: read who, and say so.
 */
export async function acquireLock(client: RepairKubeClient, namespace: string, durationSeconds: number, options: LockOptions = {}): Promise<RepairLock> {
  const { identity = lockIdentity(), clock = systemClock, signal } = options;
  let current = await client.getLease(namespace, LOCK_NAME);
  let decision = leaseDecision(current, identity, clock.now());
  if (decision.kind === 'observe') {
    const seen = current!;
    current = await observeUntilExpired(client, seen, clock, signal);
    const changed = recordOf(current) !== recordOf(seen);
    decision = !changed ? { kind: 'take' } : leaseDecision(current, identity, clock.now());
    // Renewed while we watched: alive, whatever its clock says.
    if (changed && decision.kind === 'observe')
      decision = { kind: 'locked', holder: decision.holder, until: new Date(clock.now().getTime() + durationMs(current!)).toISOString() };
  }
  if (decision.kind === 'locked') throw new LockedError(decision.holder, decision.until);
  const now = clock.now().toISOString();
  const sameHolder = current?.holderIdentity === identity;
  const claim: KLease = {
    name: LOCK_NAME,
    namespace,
    holderIdentity: identity,
    leaseDurationSeconds: durationSeconds,
    // As client-go: a re-take by the same holder keeps its acquireTime and is no transition.
    acquireTime: sameHolder ? (current?.acquireTime ?? now) : now,
    renewTime: now,
    leaseTransitions: (current?.leaseTransitions ?? 0) + (current && !sameHolder ? 1 : 0),
    ...(current?.resourceVersion ? { resourceVersion: current.resourceVersion } : {}),
  };
  try {
    const held = decision.kind === 'create' ? await client.createLease(claim) : await client.replaceLease(claim);
    return new HeldLease(client, held, identity, clock);
  } catch (err) {
    if (!(err instanceof KubeError && err.kind === 'conflict')) throw err;
    const winner = await client.getLease(namespace, LOCK_NAME);
    throw new LockedError(winner?.holderIdentity || 'another runner', winner ? new Date(leaseExpiry(winner)).toISOString() : 'unknown');
  }
}
