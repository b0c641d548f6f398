// Checks derived from what the Corefile serves (src/discover/corefile.ts), and which part of CoreDNS
// answers a name. Pure. The judge uses sourceOf() to attribute a failing name: a stub's forwarder, a zone
// CoreDNS serves itself, the cluster zone, or the upstream.
import { dnsNameProblem, type Query, type RecordType } from '../probe/contract.ts';
import type { ServedZone, Zones } from '../discover/types.ts';

/** Groups of checks the user can turn off (--no-default-checks, `disable:` in the config file). */
export const CHECK_GROUPS = ['cluster', 'external', 'stub', 'zone', 'hosts'] as const;
export type CheckGroup = (typeof CHECK_GROUPS)[number];

export type NameSource =
  | { kind: 'cluster'; zone: string }
  | { kind: 'zone'; zone: string; origin: string }
  | { kind: 'hosts'; zone: string; origin: string }
  | { kind: 'stub'; zone: string; forwarders: string[]; origin: string }
  | { kind: 'external' };

const norm = (name: string) => name.replace(/\.$/, '').toLowerCase();
const inZone = (name: string, zone: string) => zone === '.' || name === zone || name.endsWith(`.${zone}`);

/**
 * The port the probe reaches: the block with the kubernetes plugin, else the root block, else the first.
 * Blocks on other ports (e.g. a metrics-only or chaos server) are not what the pods serve on the DNS port.
 */
export function probedPort(served: ServedZone[]): number | undefined {
  return (served.find((z) => z.by === 'kubernetes') ?? served.find((z) => z.zone === '.') ?? served[0])?.port;
}

/** The served zones on the probed port; undefined when the Corefile could not be read. */
export function probedZones(zones: Zones): ServedZone[] | undefined {
  if (!zones.served) return undefined;
  const port = probedPort(zones.served);
  return zones.served.filter((z) => z.port === port);
}

/** Whether a kubernetes plugin serves the cluster zone (true when the Corefile could not be read: assume so). */
export function servesCluster(zones: Zones): boolean {
  const served = probedZones(zones);
  return served === undefined || served.some((z) => z.by === 'kubernetes');
}

/** Which part of the DNS configuration answers `name` (longest zone wins, as CoreDNS picks a server block). */
export function sourceOf(name: string, zones: Zones): NameSource {
  const n = norm(name);
  const served = probedZones(zones);
  if (!served) return inZone(n, zones.clusterDomain) ? { kind: 'cluster', zone: zones.clusterDomain } : { kind: 'external' };
  const host = served.find((z) => z.by === 'hosts' && z.records?.some((r) => r.name === n));
  if (host) return { kind: 'hosts', zone: host.zone, origin: host.origin };
  const rank = { kubernetes: 0, file: 1, hosts: 2, forward: 3 } as const;
  const best = served
    .filter((z) => z.zone !== '.' && inZone(n, z.zone))
    .sort((a, b) => b.zone.length - a.zone.length || rank[a.by] - rank[b.by])[0];
  if (!best) return { kind: 'external' };
  switch (best.by) {
    case 'kubernetes':
      return { kind: 'cluster', zone: best.zone };
    case 'file':
      return { kind: 'zone', zone: best.zone, origin: best.origin };
    case 'hosts':
      return { kind: 'hosts', zone: best.zone, origin: best.origin };
    case 'forward':
      return { kind: 'stub', zone: best.zone, forwarders: best.forwarders ?? [], origin: best.origin };
  }
}

/** True when CoreDNS answers the name itself (cluster, file or hosts zone), not through a forwarder. */
export const answeredByCoreDNS = (s: NameSource): boolean => s.kind === 'cluster' || s.kind === 'zone' || s.kind === 'hosts';

/** A zone-file or hosts source with at most this many record sets is checked whole (budget allowing). */
export const WHOLE_SOURCE_MAX = 8;
/** Record sets sampled from a larger source: zones with thousands of names must not make the plan expensive. */
const RECORDS_PER_SOURCE = 3;

const slug = (s: string) => s.replace(/[^a-z0-9.-]+/gi, '-');

/** A name the probe can ask: a valid DNS name (the Corefile and its files may hold others). */
const askable = (name: string): boolean => dnsNameProblem(name) === null;

/**
 * Names of the served zones, zone files and hosts sources that are no valid DNS name: they are never
 * asked (one bad name must not stop every check), and each is a note. Pure.
 */
export function invalidNameNotes(zones: Zones, groups: ReadonlySet<CheckGroup>): string[] {
  const notes: string[] = [];
  const shown = (name: string) => JSON.stringify(name.length > 80 ? `${name.slice(0, 77)}...` : name);
  for (const z of probedZones(zones) ?? []) {
    if (z.by === 'forward' && z.zone !== '.' && groups.has('stub') && !askable(z.zone))
      notes.push(`stub domain ${shown(z.zone)} (${z.origin}) is not checked: ${dnsNameProblem(z.zone)}`);
    const group = z.by === 'file' ? 'zone' : z.by === 'hosts' ? 'hosts' : undefined;
    if (!group || !groups.has(group)) continue;
    const bad = [...new Set((z.records ?? []).map((r) => r.name).filter((n) => !askable(n)))];
    for (const name of bad) notes.push(`${group} name ${shown(name)} in ${z.zone} (${z.origin}) is not checked: ${dnsNameProblem(name)}`);
  }
  return notes;
}

/** The source's askable record sets (name and type), one of each type first. */
function recordSets(z: ServedZone): { name: string; type: RecordType; values: string[] }[] {
  const sets = new Map<string, { name: string; type: RecordType; values: string[] }>();
  for (const r of (z.records ?? []).filter((x) => askable(x.name))) {
    const key = `${r.name} ${r.type}`;
    const set = sets.get(key) ?? sets.set(key, { name: r.name, type: r.type, values: [] }).get(key)!;
    set.values.push(r.value);
  }
  const all = [...sets.values()];
  const firstOfType = all.filter((s, i) => all.findIndex((o) => o.type === s.type) === i);
  return [...firstOfType, ...all.filter((s) => !firstOfType.includes(s))];
}

/** Every record set of a small source; of a larger one RECORDS_PER_SOURCE, one of each type first (A, CNAME, …). */
function sampleRecordSets(z: ServedZone): { name: string; type: RecordType; values: string[] }[] {
  const all = recordSets(z);
  return all.length <= WHOLE_SOURCE_MAX ? all : all.slice(0, RECORDS_PER_SOURCE);
}

/** A derived check's source line: which zone or hosts source, where it is written. */
const sourceLabel = (group: CheckGroup, z: ServedZone) => `${group} ${z.zone} (${z.origin})`;

/** For each zone or hosts source not checked whole: how many of its record sets the plan asks, and why. Pure. */
export function partialSourceNotes(zones: Zones, queries: Query[]): string[] {
  const notes: string[] = [];
  for (const z of probedZones(zones) ?? []) {
    const group: CheckGroup | undefined = z.by === 'file' ? 'zone' : z.by === 'hosts' ? 'hosts' : undefined;
    if (!group) continue;
    const total = recordSets(z).length;
    const asked = queries.filter((q) => q.source === sourceLabel(group, z)).length;
    if (asked === 0 || asked >= total) continue;
    const why = total > WHOLE_SOURCE_MAX ? `sources of up to ${WHOLE_SOURCE_MAX} are checked whole, larger ones sampled` : 'the checks per pod are shared with the other checks';
    notes.push(`${group} ${z.zone} (${z.origin}): ${asked} of its ${total} record sets checked (${why})`);
  }
  return notes;
}

/** Stub, file-zone and hosts checks, each saying where it came from, within `budget` queries (fair across sources). */
export function derivedQueries(zones: Zones, groups: ReadonlySet<CheckGroup>, budget: number): Query[] {
  const served = probedZones(zones) ?? [];
  const stubs: Query[] = [];
  const seenStub = new Set<string>();
  for (const z of served) {
    if (z.by !== 'forward' || z.zone === '.' || seenStub.has(z.zone) || !askable(z.zone)) continue;
    seenStub.add(z.zone);
    // NOERROR or NXDOMAIN means the stub's forwarder answered; SERVFAIL or a timeout means it did not.
    stubs.push({
      id: `stub/${slug(z.zone)}`,
      name: z.zone,
      type: 'A',
      expect: { rcodes: ['NOERROR', 'NXDOMAIN'] },
      external: true,
      source: `stub ${z.zone} → ${(z.forwarders ?? []).join(' ')} (${z.origin})`,
    });
  }
  // One list per zone file and hosts source, so each gets its turn.
  const seen = new Set<string>();
  const fromRecords = (by: 'file' | 'hosts', group: CheckGroup): Query[][] =>
    served
      .filter((z) => z.by === by)
      .map((z) =>
        sampleRecordSets(z).flatMap((set): Query[] => {
          const key = `${set.name} ${set.type}`;
          if (seen.has(key)) return [];
          seen.add(key);
          return [
            {
              id: `${group}/${slug(set.name)}/${set.type.toLowerCase()}`,
              name: set.name,
              type: set.type,
              // The file is known: CoreDNS answers exactly its record set, no more and no less.
              expect: { equal: set.values },
              source: sourceLabel(group, z),
            },
          ];
        }),
      );
  const lists = [
    groups.has('stub') ? stubs : [],
    ...(groups.has('zone') ? fromRecords('file', 'zone') : []),
    ...(groups.has('hosts') ? fromRecords('hosts', 'hosts') : []),
  ];
  // Round robin, so one large zone cannot crowd out every stub or the other sources.
  const out: Query[] = [];
  for (let i = 0; out.length < budget && lists.some((l) => l.length > i); i++)
    for (const l of lists) if (l[i] && out.length < budget) out.push(l[i]!);
  return out;
}

/** Whether the Corefile forwards the root zone (no root forward: an air-gapped or authoritative-only server). */
export function forwardsRoot(zones: Zones): boolean {
  const served = probedZones(zones);
  return served === undefined || served.some((z) => z.by === 'forward' && z.zone === '.');
}
