// The config file: every key, durations in the flags' syntax, and one-line refusals naming the file.
import assert from 'node:assert/strict';
import { ConfigError, parseCheckString, parsePlanConfig } from './config.ts';

const V = 'apiVersion: coredns-sentinel/config/v1\n';

describe('parsePlanConfig', () => {
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

  it('accepts an empty file', () => {
    assert.deepEqual(parsePlanConfig('', 'empty.yaml'), { checks: [] });
  });

  it('turns check groups off: disable lists groups, defaultChecks: false all of them', () => {
    assert.deepEqual(parsePlanConfig(`${V}disable: [stub, hosts]\n`, 'c.yaml').disable, ['stub', 'hosts']);
    assert.deepEqual(parsePlanConfig(`${V}defaultChecks: false\n`, 'c.yaml').disable, ['cluster', 'external', 'stub', 'zone', 'hosts']);
    assert.throws(() => parsePlanConfig(`${V}disable: [dns]\n`, 'c.yaml'), /^ConfigError: c\.yaml: disable: unknown check group "dns"/);
    assert.throws(() => parsePlanConfig(`${V}disable: stub\n`, 'c.yaml'), /disable must be a list of check groups/);
    assert.throws(() => parsePlanConfig(`${V}defaultChecks: no\n`, 'c.yaml'), /defaultChecks must be true or false/);
  });

  it('reads durations with the flags\' syntax', () => {
    assert.equal(parsePlanConfig('apiVersion: coredns-sentinel/config/v1\ntimeout: 1.5s\n', 'c.yaml').timeoutMs, 1500);
    assert.equal(parsePlanConfig('apiVersion: coredns-sentinel/config/v1\ntimeout: 2\n', 'c.yaml').timeoutMs, 2000);
  });

  for (const [text, problem] of [
    ['checks: [', /^bad\.yaml: not valid YAML/],
    ['- a\n- b\n', /^bad\.yaml: must be a YAML mapping/],
    [V + 'sample: 3\n', /^bad\.yaml: unknown key "sample"/],
    [V + 'samples: 0\n', /^bad\.yaml: samples must be an integer from 1 to 20/],
    [V + 'timeout: fast\n', /^bad\.yaml: timeout must be a duration/],
    [V + 'transports: [udp, quic]\n', /^bad\.yaml: transports must be a list of udp and tcp/],
    [V + 'checks: {a: 1}\n', /^bad\.yaml: checks must be a list/],
    [V + 'checks: ["host.example.com"]\n', /^bad\.yaml: checks\[0\]: "host.example.com" must be "NAME TYPE/],
    [V + 'checks: ["host.example.com MX"]\n', /^bad\.yaml: checks\[0\]: type must be one of/],
    [V + 'checks: ["bad!name A"]\n', /^bad\.yaml: checks\[0\]: "bad!name" is not a DNS name/],
    [V + 'checks: [{name: a.example, type: A, colour: red}]\n', /^bad\.yaml: checks\[0\]: unknown key "colour"/],
    [V + 'checks: [{name: a.example, rcodes: [NOPE]}]\n', /^bad\.yaml: checks\[0\]\.rcodes: unknown rcode NOPE/],
    [V + 'checks: [42]\n', /^bad\.yaml: checks\[0\] must be/],
    ['samples: 3\n', /^bad\.yaml: apiVersion missing: add "apiVersion: coredns-sentinel\/config\/v1"/],
    ['apiVersion: v2\n', /^bad\.yaml: apiVersion "v2" is not supported/],
    [V + 'timeoutMs: 500\n', /^bad\.yaml: unknown key "timeoutMs"/],
    [V + 'timeout: 600h\n', /^bad\.yaml: timeout must be from 1ms to 30s, got "600h"/],
    [V + 'timeout: 0\n', /^bad\.yaml: timeout must be from 1ms to 30s/],
    [V + 'checks: ["host.example.com A 999.1.1.1"]\n', /checks\[0\]: "999\.1\.1\.1" can never be an answer of a A record \(not an IPv4 address\)/],
    [V + 'checks: ["host.example.com A fd00::1"]\n', /not an IPv4 address/],
    [V + 'checks: ["host.example.com AAAA 10.0.0.1"]\n', /not an IPv6 address/],
    [V + 'checks: [{name: a.example, type: CNAME, equal: ["not a name"]}]\n', /not a DNS name/],
    [V + 'checks: [{name: a.example, maxLatency: 1h}]\n', /checks\[0\]\.maxLatency must be from 1ms to 30s/],
    [V + `checks:\n${'  - a.example A\n'.repeat(181)}`, /checks: at most 180 checks/],
  ] as [string, RegExp][]) {
    it(`rejects ${JSON.stringify(text).slice(0, 100)} with one line naming the file`, () => {
      assert.throws(
        () => parsePlanConfig(text, 'bad.yaml'),
        (err: unknown) => err instanceof ConfigError && problem.test(err.message) && !err.message.includes('\n'),
      );
    });
  }

  it('parses a check string with several values', () => {
    assert.deepEqual(parseCheckString('svc.example.org A 10.0.0.1 10.0.0.2', 'x'), { name: 'svc.example.org', type: 'A', expect: { include: ['10.0.0.1', '10.0.0.2'] } });
  });
});
