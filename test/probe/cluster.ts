// A small "cluster DNS" for the probe tests: the records CoreDNS's kubernetes plugin would serve, an
// upstream for external names, a plan over them, and dig as an independent reference resolver.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { CheckPlan, Query, RecordType, Target } from '../../src/probe/contract.ts';
import { PLAN_SCHEMA } from '../../src/probe/contract.ts';
import type { Records } from './dnsmasq.ts';

const run = promisify(execFile);

/** Three strings of 250 bytes: over 512 bytes, so truncated over UDP without EDNS0. */
export const BIG_TXT = ['x', 'y', 'z'].map((c) => c.repeat(250));

export const CLUSTER_RECORDS: Records = {
  hosts: {
    'kubernetes.default.svc.cluster.local': ['10.96.0.1'],
    'kube-dns.kube-system.svc.cluster.local': ['10.96.0.10', 'fd00::a'],
  },
  srv: [['_dns._udp.kube-dns.kube-system.svc.cluster.local', 'kube-dns.kube-system.svc.cluster.local', 53]],
  ptr: [['1.0.96.10.in-addr.arpa', 'kubernetes.default.svc.cluster.local']],
  cname: [['api.cluster.local', 'kubernetes.default.svc.cluster.local']],
  txt: { 'info.cluster.local': ['hello', '-world'], 'big.cluster.local': BIG_TXT },
};

export const UPSTREAM_RECORDS: Records = { hosts: { 'example.org': ['93.184.216.34'] } };

export const QUERIES: Query[] = [
  { id: 'a', name: 'kubernetes.default.svc.cluster.local', type: 'A', expect: { equal: ['10.96.0.1'] } },
  // Mixed case and a non-canonical IPv6 spelling: both must still match.
  { id: 'aaaa', name: 'Kube-DNS.kube-system.svc.cluster.local.', type: 'AAAA', expect: { equal: ['FD00:0::A'] } },
  { id: 'srv', name: '_dns._udp.kube-dns.kube-system.svc.cluster.local', type: 'SRV', expect: { include: ['53 kube-dns.kube-system.svc.cluster.local.'] } },
  { id: 'ptr', name: '1.0.96.10.in-addr.arpa', type: 'PTR', expect: { equal: ['kubernetes.default.svc.cluster.local'] } },
  { id: 'cname', name: 'api.cluster.local', type: 'CNAME', expect: { equal: ['kubernetes.default.svc.cluster.local'] } },
  { id: 'txt', name: 'info.cluster.local', type: 'TXT', expect: { equal: ['hello-world'] } },
  { id: 'nx', name: 'missing.default.svc.cluster.local', type: 'A', expect: { rcodes: ['NXDOMAIN'] } },
  { id: 'ext', name: 'example.org', type: 'A', expect: { nonEmpty: true }, external: true },
];

export function target(id: string, address: string, port = 53): Target {
  return { id, address, port, kind: 'pod', label: `coredns-${id}` };
}

export function plan(targets: Target[], queries: Query[] = QUERIES, extra: Partial<CheckPlan> = {}): CheckPlan {
  return { schema: PLAN_SCHEMA, targets, queries, transports: ['udp', 'tcp'], samples: 2, timeoutMs: 1000, concurrency: 8, ...extra };
}

export interface DigAnswer {
  rcode: string;
  /** Normalized like the probe does (contract.ts Expectation). */
  answers: string[];
}

/** Normalizes one rdata field of dig's answer section the way the contract documents. */
function digValue(type: RecordType, rdata: string): string {
  const name = (s: string): string => s.toLowerCase().replace(/\.$/, '');
  switch (type) {
    case 'SRV': {
      const [, , port, host] = rdata.split(/\s+/);
      return `${port} ${name(host ?? '')}`;
    }
    case 'CNAME':
    case 'PTR':
      return name(rdata);
    case 'TXT':
      return [...rdata.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]).join('');
    default:
      return rdata;
  }
}

/** Asks dig (BIND 9) the same question: the reference the probe's answers are checked against. */
export async function dig(server: string, name: string, type: RecordType, transport: 'udp' | 'tcp' = 'udp'): Promise<DigAnswer> {
  const { stdout } = await run('dig', [`@${server}`, name, type, '+noall', '+answer', '+comments', '+tries=1', '+time=2', transport === 'tcp' ? '+tcp' : '+notcp']);
  const rcode = /status: ([A-Z]+)/.exec(stdout)?.[1] ?? 'none';
  const answers = stdout
    .split('\n')
    .filter((line) => line && !line.startsWith(';'))
    .map((line) => line.split(/\s+/))
    .filter((fields) => fields[3] === type)
    .map((fields) => digValue(type, fields.slice(4).join(' ')));
  return { rcode, answers };
}
