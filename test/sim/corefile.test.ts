// The sim's reading of DNS configurations: Corefile server blocks with imports, zone files, kube-dns's
// ConfigMap, and the dnsmasq lines that serve them.
import { expect } from 'chai';
import assert from 'node:assert/strict';
import { blockPorts, corefileLoadError, corefileSha512, forwardsRoot, kubeDnsBlocks, kubernetesZones, parseCorefile, parseZoneFile, stubZones, zoneDnsmasqLines } from './corefile.ts';
import { kubeadmCorefile } from './cluster.ts';

describe('sim: Corefile and zone files', () => {
  it('reads server blocks with their zones, ports and plugins', () => {
    const blocks = parseCorefile(`.:5353 {
    errors
    health {
        lameduck 20s
    }
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        pods insecure
    }
    hosts /etc/coredns/NodeHosts {
      fallthrough
    }
    forward . /etc/resolv.conf {
        policy sequential
    }
}
example.com:100 {   # a file zone
    file /root/example.db
}
consul.local:53 {
    forward . 10.150.0.1
}
`);
    expect(blocks.map((b) => `${b.zones.join(',')}:${b.port}`)).to.deep.equal(['.:5353', 'example.com:100', 'consul.local:53']);
    expect(blockPorts(blocks)).to.deep.equal([53, 100, 5353]);
    expect(kubernetesZones(blocks)).to.deep.equal(['cluster.local', 'in-addr.arpa', 'ip6.arpa']);
    expect(blocks[0]!.hosts).to.deep.equal([{ path: '/etc/coredns/NodeHosts', inline: [] }]);
    expect(blocks[1]!.files).to.deep.equal([{ path: '/root/example.db', zones: ['example.com'] }]);
    expect(stubZones(blocks)).to.deep.equal([{ zone: 'consul.local', to: ['10.150.0.1'] }]);
    expect(forwardsRoot(blocks)).to.equal(true);
  });

  it('expands imports, relative ones from the Corefile directory (AKS) and absolute globs (k3s)', () => {
    const files = new Map([
      ['/etc/coredns/custom/a.server', 'a.local:53 {\n  forward . 1.2.3.4\n}\n'],
      ['/etc/coredns/custom/b.server', 'b.local {\n  hosts {\n    10.0.0.1 x.b.local\n  }\n}\n'],
      ['/etc/coredns/custom/log.override', 'log\n'],
    ]);
    const aks = parseCorefile('.:53 {\n  import custom/*.override\n}\nimport custom/*.server\n', files, '/etc/coredns');
    expect(aks.map((b) => b.zones[0])).to.deep.equal(['.', 'a.local', 'b.local']);
    expect(aks[2]!.hosts[0]!.inline).to.deep.equal(['10.0.0.1 x.b.local']);
    const k3s = parseCorefile('import /etc/coredns/custom/*.server\n', files);
    expect(k3s.map((b) => b.zones[0])).to.deep.equal(['a.local', 'b.local']);
  });

  it('turns kube-dns stubDomains and upstreamNameservers into equivalent blocks', () => {
    const blocks = kubeDnsBlocks('cluster.local', '{"acme.local": ["1.2.3.4"]}', '["8.8.8.8"]', 53);
    expect(stubZones(blocks)).to.deep.equal([{ zone: 'acme.local', to: ['1.2.3.4'] }]);
    expect(blocks[0]!.forward).to.deep.equal({ from: '.', to: ['8.8.8.8'] });
    expect(kubernetesZones(blocks)).to.include('cluster.local');
  });

  it('reads a BIND zone file ($ORIGIN, @, relative names, a parenthesised SOA) into dnsmasq records', () => {
    const records = parseZoneFile(`$ORIGIN example.com.
$TTL 3600
@   IN SOA dns.example.com. admin.example.com. (
        2015082541 7200 3600
        1209600 3600 )
gateway IN A 192.168.1.1
        IN AAAA fd00::1
server  IN CNAME host
host.example.com. 60 IN A 192.168.1.3
`, 'example.com');
    expect(records.map((r) => `${r.name} ${r.type} ${r.data.at(-1)}`)).to.deep.equal([
      'example.com SOA 3600',
      'gateway.example.com A 192.168.1.1',
      'gateway.example.com AAAA fd00::1',
      'server.example.com CNAME host.example.com',
      'host.example.com A 192.168.1.3',
    ]);
    expect(zoneDnsmasqLines(['example.com'], records)).to.deep.equal([
      'local=/example.com/',
      'host-record=gateway.example.com,192.168.1.1',
      'host-record=gateway.example.com,fd00::1',
      'cname=server.example.com,host.example.com',
      'host-record=host.example.com,192.168.1.3',
    ]);
  });
});

describe('CoreDNS reading its Corefile (the reload plugin, a start)', () => {
  const path = '/etc/coredns/Corefile';
  const kubeadm = kubeadmCorefile(53, 'cluster.local');
  it('hashes kubeadm’s Corefile to the SHA512 real CoreDNS logs for it', () => {
    assert.equal(
      corefileSha512(kubeadm, path),
      '591cf328cccc12bc490481273e738df59329c62c0b729d94e8b61db9961c2fa5f046dd37f1cf888b953814040d180f52594972691cd6ff41be96639138a43908',
    );
    assert.notEqual(corefileSha512(kubeadm.replace('cache 30', 'cache 60'), path), corefileSha512(kubeadm, path));
  });
  it('stops on what CoreDNS stops on, in its words', () => {
    assert.equal(corefileLoadError(kubeadm, path), undefined);
    assert.equal(corefileLoadError(kubeadm.replace('forward .', 'foward .'), path), "/etc/coredns/Corefile:13 - Error during parsing: Unknown directive 'foward'");
    assert.equal(corefileLoadError(kubeadm.replace('    loadbalance\n}', '    loadbalance }'), path), "/etc/coredns/Corefile:19 - Error during parsing: Unexpected '}' because no matching opening brace");
    assert.equal(corefileSha512(kubeadm.replace('    loadbalance\n}', '    loadbalance }'), path), undefined);
  });
  it('follows imports of snippets and mounted files', () => {
    const files = new Map([['/etc/coredns/custom/x.override', 'foward . 1.1.1.1\n']]);
    const text = '.:53 {\n    import custom/*.override\n    cache 30\n}\n';
    assert.equal(corefileLoadError(text, path, files), "/etc/coredns/custom/x.override:1 - Error during parsing: Unknown directive 'foward'");
  });
});
