import assert from 'node:assert/strict';
import { candidates, lookupCost, parseResolvConf, type CandidateAnswer } from './clientview.ts';

const POD_RESOLV = 'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n';

describe('client view: resolv.conf and the search path', () => {
  it('reads nameservers, the search list and ndots as resolv(5) does', () => {
    assert.deepEqual(parseResolvConf(POD_RESOLV), { nameservers: ['10.96.0.10'], search: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], ndots: 5 });
    assert.deepEqual(parseResolvConf('# comment\nnameserver 1.1.1.1 ; trailing\nnameserver ::1\ndomain a.example\nsearch b.example\noptions timeout:2 ndots:99\n'),
      { nameservers: ['1.1.1.1', '::1'], search: ['b.example'], ndots: 15 });
    assert.deepEqual(parseResolvConf(''), { nameservers: [], search: [], ndots: 1 });
  });

  it('tries the search list first below ndots, the name first at or above it, an absolute name alone', () => {
    const conf = parseResolvConf(POD_RESOLV);
    assert.deepEqual(candidates('kubernetes.default', conf), ['kubernetes.default.default.svc.cluster.local', 'kubernetes.default.svc.cluster.local', 'kubernetes.default.cluster.local', 'kubernetes.default']);
    assert.deepEqual(candidates('a.b.c.d.e.f', conf)[0], 'a.b.c.d.e.f');
    assert.deepEqual(candidates('kubernetes.io.', conf), ['kubernetes.io']);
  });

  const c = (name: string, a: string | null, aCount: number, aaaa: string | null = a, aaaaCount = 0): CandidateAnswer => ({ name, a: { rcode: a, answers: aCount }, aaaa: { rcode: aaaa, answers: aaaaCount } });
  const table: [string, CandidateAnswer[], { glibc: number; musl: number; answeredAs: string | null }][] = [
    ['found on the second candidate', [c('x.default.svc', 'NXDOMAIN', 0), c('x.svc', 'NOERROR', 1), c('x', 'NXDOMAIN', 0)], { glibc: 4, musl: 4, answeredAs: 'x.svc' }],
    ['found on the first', [c('x.default.svc', 'NOERROR', 1)], { glibc: 2, musl: 2, answeredAs: 'x.default.svc' }],
    ['an empty NOERROR first: musl stops there, glibc goes on', [c('x.a', 'NOERROR', 0), c('x.b', 'NOERROR', 1)], { glibc: 4, musl: 2, answeredAs: 'x.b' }],
    ['nothing anywhere', [c('x.a', 'NXDOMAIN', 0), c('x.b', 'NXDOMAIN', 0), c('x', 'NXDOMAIN', 0)], { glibc: 6, musl: 6, answeredAs: null }],
    ['no answer at all (timeouts) counts as not NXDOMAIN for musl', [c('x.a', null, 0), c('x.b', 'NOERROR', 1)], { glibc: 4, musl: 2, answeredAs: 'x.b' }],
    ['an AAAA answer is an address too', [c('x.a', 'NOERROR', 0, 'NOERROR', 1)], { glibc: 2, musl: 2, answeredAs: 'x.a' }],
  ];
  for (const [name, tried, cost] of table) it(`lookup cost: ${name}`, () => assert.deepEqual(lookupCost(tried), cost));
});
