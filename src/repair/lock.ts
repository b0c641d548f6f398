// The repair lock (design rule 7): a coordination.k8s.io Lease "coredns-sentinel-repair" in the DNS
// namespace, so a laptop and CI never repair at once. Taken only when there is something to repair,
// never in --dry-run; renewed in the background every leaseDurationSeconds/3 while held (client-go
// leaderelection's rhythm), and a failed renewal ends the claim: `lost` fires and the repair stops before
// its next step. Released (holder cleared) at the end; a failed release is reported. A holder that died
// leaves a Lease that expires after leaseDurationSeconds and is then taken over.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { KubeError, type KLease, type RepairKubeClient } from '../kube/index.ts';
import { DEFAULTS } from '../common/defaults.ts';

export const LOCK_NAME = 'coredns-sentinel-repair';
export const DEFAULT_LEASE_SECONDS = DEFAULTS.repair.leaseSeconds;

/** "<hostname>/<pid>/<random>": tells a human which runner holds the lock. */
export const lockIdentity = (): string => `${hostname()}/${process.pid}/${randomBytes(3).toString('hex')}`;

export class LockedError extends Error {
  constructor(
    readonly holder: string,
    readonly until: string,
  ) {
    super(`repair is locked by ${holder} until ${until} (Lease ${LOCK_NAME}): another runner is repairing; run again later`);
    this.name = 'LockedError';
  }

  get line(): string {
    return this.message;
  }
}

/** When the holder's claim ends: renewTime (or acquireTime) + leaseDurationSeconds. */
export function leaseExpiry(lease: KLease): number {
  const from = Date.parse(lease.renewTime ?? lease.acquireTime ?? '');
  if (Number.isNaN(from)) return 0;
  return from + (lease.leaseDurationSeconds ?? DEFAULT_LEASE_SECONDS) * 1000;
}

export type LeaseDecision = { kind: 'create' } | { kind: 'take' } | { kind: 'locked'; holder: string; until: string };

/** What to do with the Lease as read: create it, take it (free, expired or ours), or give up. Pure. */
export function leaseDecision(lease: KLease | undefined, identity: string, now: Date): LeaseDecision {
  if (!lease) return { kind: 'create' };
  if (!lease.holderIdentity || lease.holderIdentity === identity) return { kind: 'take' };
  const expiry = leaseExpiry(lease);
  if (expiry <= now.getTime()) return { kind: 'take' };
  return { kind: 'locked', holder: lease.holderIdentity, until: new Date(expiry).toISOString() };
}

const microIso = (d: Date): string => d.toISOString();

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

class HeldLease implements RepairLock {
  private readonly lostController = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private renewing: Promise<void> = Promise.resolve();
  readonly lost = this.lostController.signal;

  constructor(
    private readonly client: RepairKubeClient,
    private lease: KLease,
    readonly identity: string,
  ) {
    const periodMs = ((lease.leaseDurationSeconds ?? DEFAULT_LEASE_SECONDS) * 1000) / RENEWALS_PER_DURATION;
    this.timer = setInterval(() => {
      this.renewing = this.renewing.then(() => this.renew()).catch((err: unknown) => this.lose(err));
    }, periodMs);
    this.timer.unref();
  }

  private lose(err: unknown): void {
    clearInterval(this.timer);
    const why = err instanceof LockedError || err instanceof KubeError ? err.line : String(err);
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
      this.lease = await this.client.replaceLease({ ...this.lease, holderIdentity: this.identity, renewTime: microIso(new Date()) });
    } catch (err) {
      if (err instanceof KubeError && err.kind === 'conflict') throw await this.lostTo();
      throw err;
    }
  }

  async release(): Promise<string | undefined> {
    clearInterval(this.timer);
    await this.renewing;
    // A Lease we lost is not ours to clear.
    if (this.lost.aborted) return undefined;
    try {
      await this.client.replaceLease({ ...this.lease, holderIdentity: '', renewTime: microIso(new Date()) });
      return undefined;
    } catch (err) {
      const why = err instanceof KubeError ? err.line : String(err);
      return `could not release the repair Lease ${LOCK_NAME} (${why}); it expires by itself after ${this.lease.leaseDurationSeconds ?? DEFAULT_LEASE_SECONDS} s`;
    }
  }
}

/**
 * Takes the lock or throws LockedError naming the holder. A lost race (409 on create or on replace)
 * means another runner got there first: read who, and say so.
 */
export async function acquireLock(client: RepairKubeClient, namespace: string, durationSeconds: number, identity = lockIdentity()): Promise<RepairLock> {
  const now = new Date();
  const current = await client.getLease(namespace, LOCK_NAME);
  const decision = leaseDecision(current, identity, now);
  if (decision.kind === 'locked') throw new LockedError(decision.holder, decision.until);
  const claim: KLease = {
    name: LOCK_NAME,
    namespace,
    holderIdentity: identity,
    leaseDurationSeconds: durationSeconds,
    acquireTime: microIso(now),
    renewTime: microIso(now),
    leaseTransitions: (current?.leaseTransitions ?? 0) + (current ? 1 : 0),
    ...(current?.resourceVersion ? { resourceVersion: current.resourceVersion } : {}),
  };
  try {
    const held = decision.kind === 'create' ? await client.createLease(claim) : await client.replaceLease(claim);
    return new HeldLease(client, held, identity);
  } catch (err) {
    if (!(err instanceof KubeError && err.kind === 'conflict')) throw err;
    const winner = await client.getLease(namespace, LOCK_NAME);
    throw new LockedError(winner?.holderIdentity || 'another runner', winner ? new Date(leaseExpiry(winner)).toISOString() : 'unknown');
  }
}
