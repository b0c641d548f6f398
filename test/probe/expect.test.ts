// Pure parts of the probe: expectation validators, answer normalization, argument parsing, folding.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import dnsPacket from 'dns-packet';
import type { Answer } from 'dns-packet';
import { canonicalIpv6, normalizeAnswers, normalizeName, normalizeValue } from '../../src/probe/answers.ts';
import { PlanInvalid, parseArgs, planText, userArgs } from '../../src/probe/args.ts';
import { LIMITS, PLAN_SCHEMA, parsePlan } from '../../src/probe/contract.ts';
import type { Query, Sample } from '../../src/probe/contract.ts';
import { answersQuestion, classifySocketError, encodeQuery } from '../../src/probe/dns.ts';
import { checkEqual, checkInclude, checkLatency, checkNonEmpty, checkRcode, evaluate, formatMs } from '../../src/probe/expect.ts';
import { percentile, resultReason, summarize, toSample } from '../../src/probe/summary.ts';
import { compareSemVer, PROBE_VERSION, probeVersionNote } from '../../src/probe/version.ts';

describe('probe expectations (pure)', function () {
  describe('checkRcode', function () {
    it('allows NOERROR by default and nothing else', function () {
      expect(checkRcode('NOERROR')).to.equal(null);
      expect(checkRcode('NXDOMAIN')).to.deep.equal({ outcome: 'unexpected-rcode', detail: 'rcode NXDOMAIN, expected NOERROR' });
    });
    for (const rcode of ['SERVFAIL', 'REFUSED', 'NOTIMP', 'FORMERR'])
      it(`classifies a disallowed ${rcode} as server-failure`, function () {
        expect(checkRcode(rcode)).to.deep.equal({ outcome: 'server-failure', detail: `rcode ${rcode}, expected NOERROR` });
      });
    it('honours the allowed list, case-insensitively', function () {
      expect(checkRcode('NXDOMAIN', ['nxdomain'])).to.equal(null);
      expect(checkRcode('NOERROR', ['NXDOMAIN'])).to.deep.equal({ outcome: 'unexpected-rcode', detail: 'rcode NOERROR, expected NXDOMAIN' });
      expect(checkRcode('SERVFAIL', ['NOERROR', 'NXDOMAIN'])?.detail).to.equal('rcode SERVFAIL, expected NOERROR or NXDOMAIN');
      expect(checkRcode('SERVFAIL', ['SERVFAIL'])).to.equal(null);
    });
  });

  describe('answer checks', function () {
    it('nonEmpty', function () {
      expect(checkNonEmpty('A', ['10.0.0.1'])).to.equal(null);
      expect(checkNonEmpty('SRV', [])).to.deep.equal({ outcome: 'wrong-answer', detail: 'no SRV records in the answer' });
    });
    it('include: every expected value among the answers, normalized', function () {
      expect(checkInclude('A', ['10.0.0.1'], ['10.0.0.2', '10.0.0.1'])).to.equal(null);
      expect(checkInclude('PTR', ['Kube-DNS.kube-system.svc.cluster.local.'], ['kube-dns.kube-system.svc.cluster.local'])).to.equal(null);
      expect(checkInclude('A', ['10.0.0.1', '10.0.0.3'], ['10.0.0.2', '10.0.0.1'])).to.deep.equal({
        outcome: 'wrong-answer',
        detail: 'expected 10.0.0.3, got 10.0.0.1, 10.0.0.2',
      });
      expect(checkInclude('A', ['10.0.0.1'], [])?.detail).to.equal('expected 10.0.0.1, got no answers');
    });
    it('equal: the answers as a set', function () {
      expect(checkEqual('A', ['10.0.0.2', '10.0.0.1'], ['10.0.0.1', '10.0.0.2', '10.0.0.1'])).to.equal(null);
      expect(checkEqual('AAAA', ['FD00:0:0::1'], ['fd00::1'])).to.equal(null);
      expect(checkEqual('SRV', ['53  KUBE-DNS.kube-system.svc.cluster.local.'], ['53 kube-dns.kube-system.svc.cluster.local'])).to.equal(null);
      expect(checkEqual('A', ['10.96.0.1'], ['10.96.0.9'])).to.deep.equal({ outcome: 'wrong-answer', detail: 'expected 10.96.0.1, got 10.96.0.9' });
      expect(checkEqual('A', ['10.96.0.1'], ['10.96.0.1', '10.96.0.9'])?.detail).to.equal('expected 10.96.0.1, got 10.96.0.1, 10.96.0.9');
      expect(checkEqual('A', [], [])).to.equal(null);
      expect(checkEqual('TXT', ['Hello'], ['hello'])?.outcome).to.equal('wrong-answer');
    });
    it('maxLatencyMs', function () {
      expect(checkLatency(5, undefined)).to.equal(null);
      expect(checkLatency(5, 5)).to.equal(null);
      expect(checkLatency(12.3456, 10)).to.deep.equal({ outcome: 'slow', detail: 'answered in 12.346 ms, limit 10 ms' });
    });
  });

  describe('evaluate', function () {
    const res = (rcode: string, answers: string[], latencyMs = 1) => ({ rcode, answers, latencyMs });
    it('checks rcode, then answers, then latency', function () {
      const e = { equal: ['10.0.0.1'], maxLatencyMs: 10 };
      expect(evaluate('A', e, res('NOERROR', ['10.0.0.1']))).to.equal(null);
      expect(evaluate('A', e, res('SERVFAIL', [], 50))?.outcome).to.equal('server-failure');
      expect(evaluate('A', e, res('NOERROR', ['10.0.0.2'], 50))?.outcome).to.equal('wrong-answer');
      expect(evaluate('A', e, res('NOERROR', ['10.0.0.1'], 50))?.outcome).to.equal('slow');
    });
    it('does not compare answers of an allowed NXDOMAIN', function () {
      expect(evaluate('A', { rcodes: ['NXDOMAIN'], nonEmpty: true }, res('NXDOMAIN', []))).to.equal(null);
    });
    it('nonEmpty comes before include and equal', function () {
      expect(evaluate('A', { nonEmpty: true, equal: ['10.0.0.1'] }, res('NOERROR', []))?.detail).to.equal('no A records in the answer');
    });
  });

  it('formatMs keeps at most three decimals', function () {
    expect([formatMs(2000), formatMs(1.5), formatMs(0.1234), formatMs(0.0004)]).to.deep.equal(['2000', '1.5', '0.123', '0']);
  });
});

describe('probe answer normalization (pure)', function () {
  it('names: lowercase, no trailing dot, root stays "."', function () {
    expect([normalizeName('A.Example.'), normalizeName('a.example'), normalizeName('.')]).to.deep.equal(['a.example', 'a.example', '.']);
  });
  it('IPv6 in RFC 5952 form; other text untouched', function () {
    expect(canonicalIpv6('FD00:0000:0:0::0001')).to.equal('fd00::1');
    expect(canonicalIpv6('2001:db8:0:0:1:0:0:1')).to.equal('2001:db8::1:0:0:1');
    expect(canonicalIpv6('10.0.0.1')).to.equal('10.0.0.1');
    expect(canonicalIpv6('zz::1')).to.equal('zz::1');
  });
  it('plan values per type', function () {
    expect(normalizeValue('A', ' 10.0.0.1 ')).to.equal('10.0.0.1');
    expect(normalizeValue('CNAME', 'X.Example.')).to.equal('x.example');
    expect(normalizeValue('SRV', '53 X.Example.')).to.equal('53 x.example');
    expect(normalizeValue('SRV', '53')).to.equal('53');
    expect(normalizeValue('TXT', ' Keep As Is ')).to.equal(' Keep As Is ');
  });
  it('decoded records: only the queried type, per the contract', function () {
    const answers = [
      { type: 'CNAME', name: 'api.example', data: 'Real.Example.' },
      { type: 'A', name: 'real.example', data: '10.0.0.1' },
      { type: 'AAAA', name: 'real.example', data: 'fd00:0:0:0:0:0:0:1' },
      { type: 'SRV', name: '_dns._udp.example', data: { port: 53, target: 'NS.Example', priority: 1, weight: 2 } },
      { type: 'PTR', name: '1.0.0.10.in-addr.arpa', data: 'Real.Example' },
      { type: 'TXT', name: 't.example', data: [Buffer.from('ab'), Buffer.from('cd')] },
    ] as Answer[];
    expect(normalizeAnswers('A', answers)).to.deep.equal(['10.0.0.1']);
    expect(normalizeAnswers('AAAA', answers)).to.deep.equal(['fd00::1']);
    expect(normalizeAnswers('CNAME', answers)).to.deep.equal(['real.example']);
    expect(normalizeAnswers('SRV', answers)).to.deep.equal(['53 ns.example']);
    expect(normalizeAnswers('PTR', answers)).to.deep.equal(['real.example']);
    expect(normalizeAnswers('TXT', answers)).to.deep.equal(['abcd']);
  });
});

describe('probe DNS messages (pure)', function () {
  const q = { name: 'Kube-DNS.Kube-System.svc.cluster.local.', type: 'A' } as const;
  const reply = (over: Partial<dnsPacket.Packet> = {}) =>
    dnsPacket.decode(dnsPacket.encode({ type: 'response', id: 42, questions: [{ name: 'kube-dns.kube-system.svc.cluster.local', type: 'A', class: 'IN' }], ...over }));

  it('a query carries RD, the question and an OPT record with the EDNS size (none for 0)', function () {
    const withEdns = dnsPacket.decode(encodeQuery(42, q, 1232));
    expect(withEdns).to.deep.include({ id: 42, flag_rd: true });
    expect(withEdns.questions).to.deep.equal([{ name: 'Kube-DNS.Kube-System.svc.cluster.local', type: 'A', class: 'IN' }]);
    expect(withEdns.additionals).to.have.length(1);
    expect(withEdns.additionals?.[0]).to.include({ type: 'OPT', udpPayloadSize: 1232 });
    expect(dnsPacket.decode(encodeQuery(42, q, 0)).additionals).to.deep.equal([]);
  });
  it('a response matches only with the same id, name (any case), type and class', function () {
    expect(answersQuestion(reply(), 42, q)).to.equal(true);
    expect(answersQuestion(reply(), 43, q)).to.equal(false);
    expect(answersQuestion(reply({ questions: [{ name: 'other.example', type: 'A', class: 'IN' }] }), 42, q)).to.equal(false);
    expect(answersQuestion(reply({ questions: [{ name: 'kube-dns.kube-system.svc.cluster.local', type: 'AAAA', class: 'IN' }] }), 42, q)).to.equal(false);
    expect(answersQuestion(reply({ questions: [{ name: 'kube-dns.kube-system.svc.cluster.local', type: 'A', class: 'CH' }] }), 42, q)).to.equal(false);
    expect(answersQuestion(reply({ type: 'query' }), 42, q)).to.equal(false);
  });
  it('socket errors map to outcomes', function () {
    const err = (code: string) => Object.assign(new Error(code), { code });
    expect(classifySocketError(err('ECONNREFUSED')).outcome).to.equal('refused');
    expect(classifySocketError(err('ECONNRESET')).outcome).to.equal('refused');
    expect(classifySocketError(err('ENETUNREACH')).outcome).to.equal('unreachable');
    expect(classifySocketError(err('EHOSTUNREACH')).outcome).to.equal('unreachable');
    expect(classifySocketError(err('EMFILE'))).to.deep.equal({ outcome: 'io', detail: 'socket error EMFILE' });
  });
});

describe('probe results (pure)', function () {
  const query: Query = { id: 'a', name: 'x.example', type: 'A', expect: { equal: ['10.0.0.1'] } };
  const ok: Sample = { outcome: 'ok', rcode: 'NOERROR', answers: ['10.0.0.1'], latencyMs: 0.25 };
  const lost: Sample = { outcome: 'timeout', rcode: null, answers: [], latencyMs: null, detail: 'timeout after 2000 ms' };

  it('toSample judges an exchange', function () {
    expect(toSample({ ok: true, rcode: 'NOERROR', answers: ['10.0.0.1'], truncated: false, latencyMs: 0.25 }, query)).to.deep.equal(ok);
    expect(toSample({ ok: true, rcode: 'NOERROR', answers: ['10.0.0.9'], truncated: false, latencyMs: 1 }, query)).to.deep.equal({
      outcome: 'wrong-answer',
      rcode: 'NOERROR',
      answers: ['10.0.0.9'],
      latencyMs: 1,
      detail: 'expected 10.0.0.1, got 10.0.0.9',
    });
    expect(toSample({ ok: false, outcome: 'timeout', detail: 'timeout after 2000 ms' }, query)).to.deep.equal(lost);
  });
  it('resultReason counts failures and quotes the first', function () {
    expect(resultReason([ok, ok])).to.equal('ok');
    expect(resultReason([ok, lost, lost])).to.equal('2/3 samples failed: timeout after 2000 ms');
  });
  it('percentile is nearest-rank', function () {
    expect(percentile([], 50)).to.equal(null);
    expect(percentile([1], 99)).to.equal(1);
    expect(percentile([1, 2, 3, 4], 50)).to.equal(2);
    expect(percentile([1, 2, 3, 4], 99)).to.equal(4);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).to.equal(9);
  });
  it('summarize counts checks and takes percentiles over answered samples only', function () {
    const pass = { targetId: 't', queryId: 'a', transport: 'udp' as const, samples: [ok, { ...ok, latencyMs: 0.75 }], verdict: 'pass' as const, reason: 'ok' };
    const fail = { ...pass, transport: 'tcp' as const, samples: [lost], verdict: 'fail' as const, reason: '1/1 samples failed' };
    expect(summarize('t', [pass, fail])).to.deep.equal({ targetId: 't', checks: 2, failedChecks: 1, p50Ms: 0.25, p99Ms: 0.75 });
    expect(summarize('t', [fail]).p50Ms).to.equal(null);
  });
});

describe('probe arguments (pure)', function () {
  it('finds the user arguments with a script path and under node -e', function () {
    expect(userArgs(['/usr/bin/node', '/probe/probe.cjs', '--plan', 'x'], [])).to.deep.equal(['--plan', 'x']);
    expect(userArgs(['/usr/bin/node', '--plan', 'x'], ['-e', 'source'])).to.deep.equal(['--plan', 'x']);
    expect(userArgs(['/usr/bin/node', '--plan', 'x'], ['--eval=source'])).to.deep.equal(['--plan', 'x']);
  });
  it('accepts exactly one plan source, as "--flag value" or "--flag=value"', function () {
    expect(parseArgs(['--plan', '{}'])).to.deep.equal({ kind: 'plan', value: '{}' });
    expect(parseArgs(['--plan-base64=e30='])).to.deep.equal({ kind: 'plan-base64', value: 'e30=' });
    expect(parseArgs(['--plan-file', '/p.json'])).to.deep.equal({ kind: 'plan-file', value: '/p.json' });
    expect(parseArgs(['--version'])).to.deep.equal({ kind: 'version' });
    expect(() => parseArgs([])).to.throw(PlanInvalid, /exactly one/);
    expect(() => parseArgs(['--plan', '{}', '--plan-file', 'x'])).to.throw(PlanInvalid, /exactly one/);
    expect(() => parseArgs(['--plan'])).to.throw(PlanInvalid, /needs a value/);
    expect(() => parseArgs(['--stdin'])).to.throw(PlanInvalid, /unknown argument "--stdin"/);
    expect(() => parseArgs(['-p', 'x'])).to.throw(PlanInvalid, /unknown argument "-p"/);
    expect(() => parseArgs(['plan.json'])).to.throw(PlanInvalid, /unknown argument "plan.json"/);
    expect(() => parseArgs(['--', '--plan', '{}'])).to.throw(PlanInvalid, /unknown argument "--plan"/);
    expect(() => parseArgs(['--version=yes'])).to.throw(PlanInvalid, /--version takes no value/);
    // A value that starts with a dash is still the option's value.
    expect(parseArgs(['--plan-file', '-odd-name'])).to.deep.equal({ kind: 'plan-file', value: '-odd-name' });
  });
  it('checks base64 plans for size and alphabet before decoding', function () {
    expect(planText({ kind: 'plan-base64', value: Buffer.from('{"a":1}').toString('base64') })).to.equal('{"a":1}');
    expect(() => planText({ kind: 'plan-base64', value: 'A'.repeat(LIMITS.planBytes * 2) })).to.throw(PlanInvalid, /larger than/);
    expect(() => planText({ kind: 'plan-base64', value: '{not base64}' })).to.throw(PlanInvalid, /not base64/);
    expect(() => planText({ kind: 'plan-file', value: '/nonexistent/plan.json' })).to.throw(PlanInvalid, 'cannot read plan file /nonexistent/plan.json: ENOENT');
  });
  it('a deeply nested plan is rejected with a readable line, not a stack overflow', function () {
    const nested = `{"schema":${'['.repeat(400_000)}${']'.repeat(400_000)}}`;
    expect(() => parsePlan(nested)).to.throw(`plan schema must be "${PLAN_SCHEMA}", got a list`);
  });
  it('a name that cannot be encoded (empty or over-long label) is rejected', function () {
    const withName = (name: string) =>
      JSON.stringify({
        schema: PLAN_SCHEMA,
        targets: [{ id: 't', address: '127.0.0.1', port: 53, kind: 'pod', label: 't' }],
        queries: [{ id: 'q', name, type: 'A', expect: {} }],
        transports: ['udp'],
        samples: 1,
        timeoutMs: 100,
        concurrency: 1,
      });
    expect(parsePlan(withName('kubernetes.default.svc.cluster.local.')).queries[0]?.name).to.equal('kubernetes.default.svc.cluster.local.');
    expect(() => parsePlan(withName('a..b'))).to.throw('queries[0].name must be a DNS name (labels of 1 to 63 letters, digits, "_", "*" or "-")');
    expect(() => parsePlan(withName(`${'x'.repeat(64)}.example`))).to.throw('queries[0].name must be a DNS name (labels of 1 to 63 letters, digits, "_", "*" or "-")');
  });
  it('the probe version is the package version', function () {
    expect(PROBE_VERSION).to.equal(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });
});

describe('probe version against the CLI (pure)', function () {
  it('orders versions as Semantic Versioning does', function () {
    const ascending = ['0.1.0-alpha', '0.1.0-alpha.1', '0.1.0-alpha.beta', '0.1.0-beta.2', '0.1.0-beta.11', '0.1.0-rc.1', '0.1.0', '0.1.1', '0.2.0', '0.10.0', '1.0.0'];
    for (let i = 0; i + 1 < ascending.length; i++) {
      expect(compareSemVer(ascending[i]!, ascending[i + 1]!), `${ascending[i]} < ${ascending[i + 1]}`).to.be.below(0);
      expect(compareSemVer(ascending[i + 1]!, ascending[i]!)).to.be.above(0);
    }
    expect(compareSemVer('1.2.3+build.5', 'v1.2.3')).to.equal(0);
    expect(compareSemVer('latest', '1.0.0')).to.equal(null);
  });
  it('says when the probe is older than the CLI, or unreadable; nothing when as new or newer', function () {
    expect(probeVersionNote('0.2.0', '0.1.0')).to.equal(
      'the probe image is older than this CLI (probe 0.1.0, CLI 0.2.0): its checks may lack what this release added; use the probe image of the same release (--probe-image)',
    );
    expect(probeVersionNote('0.2.0', '0.2.0-rc.1')).to.match(/^the probe image is older than this CLI \(probe 0.2.0-rc.1, CLI 0.2.0\)/);
    expect(probeVersionNote('0.2.0', '0.2.0')).to.equal(null);
    expect(probeVersionNote('0.2.0', '0.3.0')).to.equal(null);
    expect(probeVersionNote('0.2.0', 'dev')).to.match(/^the probe reports version "dev", which is not a release version; this CLI is 0.2.0/);
    expect(probeVersionNote(PROBE_VERSION, PROBE_VERSION)).to.equal(null);
  });
});
