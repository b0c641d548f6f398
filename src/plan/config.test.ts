// The config file: every key, durations in the flags' syntax, and one-line refusals naming the file.
import assert from 'node:assert/strict';
import { ConfigError, parseCheckString, parsePlanConfig } from './config.ts';
import { LIMITS, RCODES, RECORD_TYPES } from '../probe/contract.ts';
import { CHECK_GROUPS } from './derived.ts';
import configSchema from '../../schema/config.v1.json' with { type: 'json' };

const V = 'apiVersion: coredns-sentinel/config/v1\n';

describe('parsePlanConfig', () => {
  it("the schema's limits and names are the code's: room for the default checks in the probe's query limit, the record types, rcodes and groups", () => {
    assert.equal(configSchema.properties.checks.maxItems, LIMITS.queries - 20);
    const words = (pattern: string) => pattern.replace(/\[(.)(.)\]/g, '$2').slice(2, -2).split('|');
    assert.deepEqual(words(configSchema.$defs.recordType.pattern).map((w) => w.toUpperCase()), RECORD_TYPES);
    assert.deepEqual(words(configSchema.$defs.rcode.pattern).map((w) => w.toUpperCase()), RCODES);
    assert.deepEqual(words(configSchema.$defs.checkGroup.pattern), CHECK_GROUPS);
  });

  it('reads check strings and mappings', () => {
    const config = parsePlanConfig(
      ['apiVersion: coredns-sentinel/config/v1', 'checks:', '  - "gone.example.com A NXDOMAIN"', '  - {name: consul.service.consul, type: a, nonEmpty: true, maxLatency: 50ms}', '  - name: txt.example.com', '    type: TXT', '    equal: ["v=1"]'].join('\n'),
      'sentinel.yaml',
    );
    assert.deepEqual(config.checks, [
      { name: 'gone.example.com', type: 'A', expect: { rcodes: ['NXDOMAIN'] } },
      { name: 'consul.service.consul', type: 'A', expect: { nonEmpty: true, maxLatencyMs: 50 } },
      { name: 'txt.example.com', type: 'TXT', expect: { equal: ['v=1'] } },
    ]);
  });

  it('refuses a config nested deeper than any config needs, before the parser recurses (no stack overflow)', () => {
    for (const n of [40, 2000, 20_000]) {
      assert.throws(() => parsePlanConfig(`${V}checks: ${'['.repeat(n)}${']'.repeat(n)}\n`, 'c.yaml'), /^ConfigError: c\.yaml: nested more than 32 levels deep/);
      assert.throws(() => parsePlanConfig(`${V}checks:\n${Array.from({ length: Math.min(n, 500) }, (_, i) => `${' '.repeat(2 * i + 2)}- `).join('\n')}x\n`, 'c.yaml'), /nested more than 32 levels deep/);
    }
    // Brackets in quotes and comments are no nesting.
    assert.equal(parsePlanConfig(`${V}# ${'['.repeat(50)}\nchecks: ["x.example TXT ${'['.repeat(50)}"]\n`, 'c.yaml').checks.length, 1);
  });

  it('accepts an empty file', () => {
    assert.deepEqual(parsePlanConfig('', 'empty.yaml'), { checks: [] });
  });

  it('turns check groups off: disable lists groups, defaultChecks: false all of them', () => {
    assert.deepEqual(parsePlanConfig(`${V}disable: [stub, hosts]\n`, 'c.yaml').disable, ['stub', 'hosts']);
    assert.deepEqual(parsePlanConfig(`${V}defaultChecks: false\n`, 'c.yaml').disable, ['cluster', 'external', 'stub', 'zone', 'hosts']);
    assert.throws(() => parsePlanConfig(`${V}disable: [dns]\n`, 'c.yaml'), /^ConfigError: c\.yaml: disable\[0\] must be one of cluster, external, stub, zone, hosts, got "dns"$/);
    assert.throws(() => parsePlanConfig(`${V}disable: stub\n`, 'c.yaml'), /disable must be a list, got "stub"/);
    assert.throws(() => parsePlanConfig(`${V}defaultChecks: no\n`, 'c.yaml'), /defaultChecks must be true or false/);
  });

  it('reads durations with the flags\' syntax', () => {
    assert.equal(parsePlanConfig('apiVersion: coredns-sentinel/config/v1\ntimeout: 1.5s\n', 'c.yaml').timeoutMs, 1500);
    assert.equal(parsePlanConfig('apiVersion: coredns-sentinel/config/v1\ntimeout: 2\n', 'c.yaml').timeoutMs, 2000);
  });

  for (const [text, problem] of [
    ['checks: [', /^bad\.yaml: not valid YAML/],
    ['- a\n- b\n', /^bad\.yaml: must be a YAML mapping/],
    [V + 'sample: 3\n', /^bad\.yaml: unknown field "sample" \(known: apiVersion, samples, .*; see docs\/config\.md\)$/],
    [V + 'samples: 0\n', /^bad\.yaml: samples must be >= 1, got 0$/],
    [V + 'timeout: fast\n', /^bad\.yaml: timeout must be a duration/],
    [V + 'transports: [udp, quic]\n', /^bad\.yaml: transports\[1\] must be one of "udp", "tcp", got "quic"$/],
    [V + 'checks: {a: 1}\n', /^bad\.yaml: checks must be a list/],
    [V + 'checks: ["host.example.com"]\n', /^bad\.yaml: checks\[0\] must be "NAME TYPE \[VALUE \.\.\.\]", got "host\.example\.com"$/],
    [V + 'checks: ["host.example.com MX"]\n', /^bad\.yaml: checks\[0\]\.type must be one of A, AAAA, SRV, PTR, CNAME, TXT, got "MX"$/],
    [V + 'checks: ["bad!name A"]\n', /^bad\.yaml: checks\[0\]\.name must be a DNS name, got "bad!name"$/],
    [V + 'checks: [{name: a.example, type: A, colour: red}]\n', /^bad\.yaml: checks\[0\] has an unknown field "colour" \(known: name, type, rcodes, nonEmpty, include, equal, maxLatency, external\)$/],
    [V + 'checks: [{name: a.example, rcodes: [NOPE]}]\n', /^bad\.yaml: checks\[0\]\.rcodes\[0\] must be one of NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED, got "NOPE"$/],
    [V + 'checks: [42]\n', /^bad\.yaml: checks\[0\] must be/],
    ['samples: 3\n', /^bad\.yaml: apiVersion missing: add "apiVersion: coredns-sentinel\/config\/v1"/],
    ['apiVersion: v2\n', /^bad\.yaml: apiVersion "v2" is not supported/],
    [V + 'timeoutMs: 500\n', /^bad\.yaml: unknown field "timeoutMs"/],
    [V + 'timeout: 600h\n', /^bad\.yaml: timeout must be from 1ms to 30s, got "600h"/],
    [V + 'timeout: 0\n', /^bad\.yaml: timeout must be from 1ms to 30s/],
    [V + 'checks: ["host.example.com A 999.1.1.1"]\n', /checks\[0\]\.include\[0\] is "999\.1\.1\.1", which can never be an answer of a A record \(not an IPv4 address\)$/],
    [V + 'checks: ["host.example.com A fd00::1"]\n', /not an IPv4 address/],
    [V + 'checks: ["host.example.com AAAA 10.0.0.1"]\n', /not an IPv6 address/],
    [V + 'checks: ["host.example.com AAAA fe80::1%eth0"]\n', /"fe80::1%eth0", which can never be an answer of a AAAA record \(an IPv6 address with a zone index\)$/],
    [V + 'checks: [{name: a.example, type: CNAME, equal: ["not a name"]}]\n', /not a DNS name/],
    [V + 'checks: [{name: a.example, maxLatency: 1h}]\n', /checks\[0\]\.maxLatency must be from 1ms to 30s/],
    [V + `checks:\n${'  - a.example A\n'.repeat(181)}`, /^bad\.yaml: checks must have at most 180 checks \(the probe runs at most 200 queries per plan, the default checks included\), got 181$/],
  ] as [string, RegExp][]) {
    it(`rejects ${JSON.stringify(text).slice(0, 100)} with one line naming the file`, () => {
      assert.throws(
        () => parsePlanConfig(text, 'bad.yaml'),
        (err: unknown) => err instanceof ConfigError && problem.test(err.message) && !err.message.includes('\n'),
      );
    });
  }

  it('normalizes what it accepts: the comma form of transports, one value for a list, names without the final dot, TXT as written', () => {
    const config = parsePlanConfig(`${V}transports: "tcp, udp, tcp"\nexternalName: Example.ORG.\nchecks:\n  - {name: A.Example., type: aaaa, include: "FD00::1", rcodes: noerror}\n  - {name: t.example, type: TXT, equal: ["V=1"]}\n`, 'c.yaml');
    assert.deepEqual(config.transports, ['tcp', 'udp']);
    assert.equal(config.externalName, 'example.org');
    assert.deepEqual(config.checks, [
      { name: 'a.example', type: 'AAAA', expect: { rcodes: ['NOERROR'], include: ['fd00::1'] } },
      { name: 't.example', type: 'TXT', expect: { equal: ['V=1'] } },
    ]);
    assert.throws(() => parsePlanConfig(`${V}checks: [{name: a.example, type: AAAA, equal: [fd00::1, 10.0.0.1]}]\n`, 'c.yaml'), /^ConfigError: c\.yaml: checks\[0\]\.equal\[1\] is "10\.0\.0\.1", which can never be an answer of a AAAA record \(not an IPv6 address\)$/);
    assert.throws(() => parsePlanConfig(`${V}samples: "3"\n`, 'c.yaml'), /^ConfigError: c\.yaml: samples must be an integer, got "3"$/);
    assert.throws(() => parsePlanConfig(`${V}checks: [{type: A}]\n`, 'c.yaml'), /^ConfigError: c\.yaml: checks\[0\]\.name is missing$/);
  });

  it('parses a check string with several values', () => {
    assert.deepEqual(parseCheckString('svc.example.org A 10.0.0.1 10.0.0.2', 'x'), { name: 'svc.example.org', type: 'A', expect: { include: ['10.0.0.1', '10.0.0.2'] } });
  });
});
