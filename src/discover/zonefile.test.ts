import assert from 'node:assert/strict';
import { parseHosts, parseZoneFile } from './zonefile.ts';

describe('parseZoneFile', () => {
  it('reads owners, $ORIGIN, TTLs, classes, continuation lines and parentheses', () => {
    const text = `$TTL 300
$ORIGIN corp.test.
@ IN SOA ns root (
  1 2 3
  4 5 )
www 60 IN A 10.0.0.1
    IN AAAA fd00::1
alias CNAME www
ext CNAME other.example.
_sip._tcp SRV 10 5 5060 www ; a comment
txt TXT "hello " "world"
@ MX 10 mail
`;
    assert.deepEqual(parseZoneFile(text, 'ignored.test'), [
      { name: 'www.corp.test', type: 'A', value: '10.0.0.1' },
      { name: 'www.corp.test', type: 'AAAA', value: 'fd00::1' },
      { name: 'alias.corp.test', type: 'CNAME', value: 'www.corp.test' },
      { name: 'ext.corp.test', type: 'CNAME', value: 'other.example' },
      { name: '_sip._tcp.corp.test', type: 'SRV', value: '5060 www.corp.test' },
      { name: 'txt.corp.test', type: 'TXT', value: 'hello world' },
    ]);
  });

  it('takes the zone as the origin when the file sets none, and skips what it cannot read', () => {
    assert.deepEqual(parseZoneFile('host A 192.0.2.1\nbroken A\n?? ?? ??\n', 'example.org'), [{ name: 'host.example.org', type: 'A', value: '192.0.2.1' }]);
  });
});

describe('parseHosts', () => {
  it('reads IPv4 and IPv6 lines with several names; skips comments and options', () => {
    assert.deepEqual(parseHosts(['10.0.0.1 a.test b.test # two names', '# comment', 'fd00::2 c.test', 'fallthrough', 'ttl 60']), [
      { name: 'a.test', type: 'A', value: '10.0.0.1' },
      { name: 'b.test', type: 'A', value: '10.0.0.1' },
      { name: 'c.test', type: 'AAAA', value: 'fd00::2' },
    ]);
  });
});
