// Which process a probe pod or freshness canary belongs to, written on it as annotations, so that the
// next run can tell an object whose run is provably dead (same machine, same boot, the process gone)
// from one whose run may still be alive elsewhere. The machine and boot are written only as a digest of the host name and
// the boot id (/proc/sys/kernel/random/boot_id): equal digests mean "this host, this boot", and the
// pod tells nothing else about the machine that created it. The process's start time (field 22 of
// /proc/<pid>/stat) guards against a reused pid. Without a boot id (not Linux) no digest is written,
// and such objects are never "provably dead".
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export const OWNER_ANNOTATIONS = {
  /** sha256 of host name and boot id, 16 hex digits. */
  boot: 'coredns-sentinel/owner-boot',
  pid: 'coredns-sentinel/pid',
  pidStart: 'coredns-sentinel/pid-start',
} as const;

export interface RunOwner {
  /** Digest of this host and boot; '' when the boot id is unknown. */
  boot: string;
  pid: number;
  /** Clock ticks since boot when the process started; '' when unknown. */
  pidStart: string;
}

/** The digest of one host and boot; '' without a boot id. Pure. */
export function bootDigest(host: string, bootId: string): string {
  return bootId ? createHash('sha256').update(`${host}\0${bootId}`).digest('hex').slice(0, 16) : '';
}

const readOr = (file: string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

/** Field 22 (starttime) of /proc/<pid>/stat; the command name (field 2) may hold spaces and parentheses. */
export function processStart(pid: number): string {
  const stat = readOr(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] ?? '';
}

let self: RunOwner | undefined;

/** This process; read once, as it cannot change (a fleet or --probe-nodes all run asks once per probe pod). */
export function currentOwner(): RunOwner {
  self ??= { boot: bootDigest(hostname(), readOr('/proc/sys/kernel/random/boot_id').trim()), pid: process.pid, pidStart: processStart(process.pid) };
  return self;
}

/** Nothing when the boot is unknown: a pid alone could never prove a run dead. */
export const ownerAnnotations = (o: RunOwner): Record<string, string> =>
  o.boot ? { [OWNER_ANNOTATIONS.boot]: o.boot, [OWNER_ANNOTATIONS.pid]: String(o.pid), ...(o.pidStart ? { [OWNER_ANNOTATIONS.pidStart]: o.pidStart } : {}) } : {};

/** Is this process (pid, started at `start` when known) still running here? */
export function processAlive(pid: number, start: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !start || processStart(pid) === '' || processStart(pid) === start;
}

/**
 * The pod's run is provably dead: it was started on this host in this boot, and its process is gone
 * (or the pid now belongs to a process started later). Other or unknown hosts and boots are never
 * "dead". Pure but for `alive`.
 */
export function ownerDead(annotations: Record<string, string>, self: RunOwner, alive: (pid: number, start: string) => boolean = processAlive): boolean {
  const pid = Number(annotations[OWNER_ANNOTATIONS.pid]);
  if (!self.boot || annotations[OWNER_ANNOTATIONS.boot] !== self.boot || !Number.isInteger(pid) || pid <= 0) return false;
  if (pid === self.pid) return false;
  return !alive(pid, annotations[OWNER_ANNOTATIONS.pidStart] ?? '');
}
