// The conformance sample (--sample-services N): a few real Services of each kind the Kubernetes DNS
// specification covers, with the answers the API says they must have, so a pod serving stale or wrong
// data for real workloads is caught, not only for kubernetes.default. Pure: plain objects in (read by
// src/discover/sample.ts), queries out.
import type { Query } from '../probe/contract.ts';
import type { SampleObjects, SampleService } from '../discover/sample.ts';
import { reverseName } from './reverse.ts';

/** CoreDNS learns of a new Service through its watch; a fresh one may not be served yet on every pod. */
export const SAMPLE_MIN_AGE_MS = 60_000;
/** The most Services of each kind --sample-services accepts (5 kinds: at most 5×this queries). */
export const SAMPLE_MAX = 10;

const v4 = (ip: string) => !ip.includes(':');
const byName = (a: SampleService, b: SampleService) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`);

/** A, headless A, ExternalName CNAME, named-port SRV and Service-IP PTR checks for up to `n` Services each. */
export function conformanceQueries(objects: SampleObjects, domain: string, n: number): Query[] {
  const count = Math.max(0, Math.min(n, SAMPLE_MAX));
  const old = objects.services
    .filter((s) => !(s.namespace === 'default' && s.name === 'kubernetes')) // the cluster checks cover it
    .filter((s) => !s.createdAt || objects.readAt - Date.parse(s.createdAt) >= SAMPLE_MIN_AGE_MS)
    .sort(byName);
  const fqdn = (s: SampleService) => `${s.name}.${s.namespace}.svc.${domain}`;
  const source = (s: SampleService, what: string) => `sample: ${what} of Service ${s.namespace}/${s.name}`;
  const id = (kind: string, s: SampleService) => `sample/${kind}/${s.namespace}/${s.name}`;
  const withIP = old.filter((s) => s.type !== 'ExternalName' && !s.headless && s.clusterIPs.length > 0);
  const queries: Query[] = [];

  for (const s of withIP.slice(0, count)) {
    const ips = s.clusterIPs.filter(v4);
    const type = ips.length > 0 ? 'A' : 'AAAA';
    queries.push({ id: id('a', s), name: fqdn(s), type, expect: { equal: ips.length > 0 ? ips : s.clusterIPs }, source: source(s, `ClusterIP ${type}`) });
  }

  const headless = old
    .filter((s) => s.headless && s.type !== 'ExternalName')
    .map((s) => {
      const ready = objects.slices
        .filter((sl) => sl.namespace === s.namespace && sl.service === s.name && sl.addressType === 'IPv4')
        .flatMap((sl) => sl.endpoints.filter((e) => e.ready).flatMap((e) => e.addresses));
      return { s, ready: [...new Set(ready)].sort() };
    })
    .filter((h) => h.ready.length > 0);
  for (const { s, ready } of headless.slice(0, count))
    queries.push({ id: id('headless', s), name: fqdn(s), type: 'A', expect: { equal: ready }, source: source(s, `headless A (${ready.length} ready endpoints)`) });

  for (const s of old.filter((x) => x.type === 'ExternalName' && x.externalName).slice(0, count))
    queries.push({
      id: id('cname', s),
      name: fqdn(s),
      type: 'CNAME',
      expect: { include: [s.externalName!.replace(/\.$/, '').toLowerCase()] },
      source: source(s, 'ExternalName CNAME'),
    });

  const named = withIP.flatMap((s) => s.ports.filter((p) => p.name).map((p) => ({ s, p })));
  for (const { s, p } of named.slice(0, count))
    queries.push({
      id: `${id('srv', s)}/${p.name}`,
      name: `_${p.name}._${p.protocol.toLowerCase()}.${fqdn(s)}`,
      type: 'SRV',
      expect: { include: [`${p.port} ${fqdn(s)}`] },
      source: source(s, `SRV of port ${p.name}`),
    });

  for (const s of withIP.slice(0, count))
    queries.push({ id: id('ptr', s), name: reverseName(s.clusterIPs[0]!), type: 'PTR', expect: { include: [fqdn(s)] }, source: source(s, 'PTR of its ClusterIP') });
  return queries;
}
