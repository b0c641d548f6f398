import { expect } from 'chai';
import { diagnose, type FindingKind } from './diagnose.ts';

// Log lines as CoreDNS 1.11/1.12 prints them.
const LINES = {
  loop: '[FATAL] plugin/loop: Loop (127.0.0.1:55953 -> :53) detected for zone ".", see https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO 4547991504243258144.3688648895315093531."',
  upstreamTimeout: '[ERROR] plugin/errors: 2 example.com. A: read udp 10.244.0.3:42188->8.8.8.8:53: i/o timeout',
  upstreamRefused: '[ERROR] plugin/errors: 2 example.com. AAAA: dial udp 8.8.8.8:53: connect: connection refused',
  watch:
    '[ERROR] plugin/kubernetes: pkg/mod/k8s.io/client-go@v0.29.3/tools/cache/reflector.go:229: Failed to watch *v1.Namespace: failed to list *v1.Namespace: Get "https://10.96.0.1:443/api/v1/namespaces?limit=500&resourceVersion=0": dial tcp 10.96.0.1:443: connect: connection refused',
  listLower: 'W0101 00:00:00.000000       1 reflector.go:535] pkg/mod/k8s.io/client-go/tools/cache/reflector.go:229: failed to list *v1.Service: Unauthorized',
  apiRefused: '[INFO] plugin/kubernetes: Get "https://10.96.0.1:443/version": dial tcp 10.96.0.1:443: connect: connection refused',
  ready: '[INFO] plugin/ready: Still waiting on: "kubernetes"',
  fatal: '[FATAL] plugin/forward: unable to parse forward target: not an IP address or file: "bogus"',
  panic: 'panic: runtime error: invalid memory address or nil pointer dereference',
  info: '[INFO] plugin/reload: Running configuration SHA512 = 591cf328cccc12bc490481273e738df59329c62c0b729d94e8b61db9961c2fa5',
};

const kinds = (logs: string, lastTerminationReason?: string): FindingKind[] =>
  diagnose({ logs, lastTerminationReason }).map((f) => f.kind);

describe('judge/diagnose', () => {
  const rows: [string, string, FindingKind[]][] = [
    ['loop plugin FATAL', LINES.loop, ['forwarding-loop']],
    ['upstream i/o timeout', LINES.upstreamTimeout, ['upstream-timeout']],
    ['upstream connection refused', LINES.upstreamRefused, ['upstream-timeout']],
    ['Failed to watch the API', LINES.watch, ['api-unreachable']],
    ['client-go failed to list', LINES.listLower, ['api-unreachable']],
    ['API connection refused from plugin/kubernetes', LINES.apiRefused, ['api-unreachable']],
    ['ready plugin waiting on kubernetes', LINES.ready, ['api-unreachable']],
    ['generic FATAL', LINES.fatal, ['fatal']],
    ['Go panic', LINES.panic, ['fatal']],
    ['nothing wrong', `${LINES.info}\nCoreDNS-1.11.1\nlinux/amd64, go1.20.7, ae2bbc2`, []],
    ['empty logs', '', []],
  ];
  for (const [name, logs, want] of rows) it(`${name} → ${want.join(', ') || 'no finding'}`, () => expect(kinds(logs)).to.deep.equal(want));

  it('says what to do, with the evidence line', () => {
    const [finding] = diagnose({ logs: `${LINES.info}\n${LINES.loop}\n` });
    expect(finding!.summary).to.equal("forwarding loop: the node's resolv.conf points back at CoreDNS — fix the forward target");
    expect(finding!.evidence).to.equal(LINES.loop);
    expect(diagnose({ logs: LINES.upstreamTimeout })[0]!.summary).to.match(/^upstream resolver not answering/);
    expect(diagnose({ logs: LINES.watch })[0]!.summary).to.match(/^CoreDNS cannot reach the API server/);
  });

  it('reports OOMKilled from the last termination state', () => {
    const [finding] = diagnose({ logs: '', lastTerminationReason: 'OOMKilled' });
    expect(finding).to.deep.equal({
      kind: 'out-of-memory',
      summary: 'CoreDNS was killed for exceeding its memory limit — raise the limit or lower the cache size',
      evidence: 'lastState.terminated.reason: OOMKilled',
    });
    expect(kinds('', 'Error')).to.deep.equal([]);
  });

  it('gives one finding per kind, the first line, most important first', () => {
    const logs = [LINES.upstreamTimeout, LINES.upstreamRefused, LINES.panic, LINES.watch, LINES.loop].join('\n');
    const findings = diagnose({ logs, lastTerminationReason: 'OOMKilled' });
    expect(findings.map((f) => f.kind)).to.deep.equal(['forwarding-loop', 'out-of-memory', 'api-unreachable', 'upstream-timeout', 'fatal']);
    expect(findings.find((f) => f.kind === 'upstream-timeout')!.evidence).to.equal(LINES.upstreamTimeout);
  });

  it('credits the loop FATAL to the loop, not to the generic FATAL', () => expect(kinds(`${LINES.loop}\n${LINES.loop}`)).to.deep.equal(['forwarding-loop']));

  it('trims long evidence to 300 characters', () => {
    const long = `  ${LINES.fatal} ${'y'.repeat(400)}`;
    const evidence = diagnose({ logs: long })[0]!.evidence;
    expect(evidence).to.have.length(300);
    expect(evidence).to.match(/^\[FATAL\] plugin\/forward: .*y…$/);
  });

  it('handles CRLF logs and huge lines without trouble', () => {
    const findings = diagnose({ logs: `${LINES.info}\r\n${LINES.upstreamTimeout}\r\n${'x'.repeat(100_000)}\r\n` });
    expect(findings.map((f) => f.evidence)).to.deep.equal([LINES.upstreamTimeout]);
  });
});
