import assert from 'node:assert/strict';
import { parseCorefile, zoneOf } from './corefile.ts';

const KUBEADM = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30 {
       disable success cluster.local
       disable denial cluster.local
    }
    loop
    reload
    loadbalance
}
`;

const EKS = `.:53 {
    errors
    health {
        lameduck 5s
      }
    ready
    kubernetes eks.internal in-addr.arpa ip6.arpa {
      pods insecure
      fallthrough in-addr.arpa ip6.arpa
    }
    prometheus :9153
    forward . /etc/resolv.conf
    cache 30
    loop
    reload
    loadbalance
}
consul.local:53 {
    errors
    cache 30
    forward . 10.150.0.1
}
`;

// GKE-ish: stub domains written as server blocks with a custom domain and a forward with a zone.
const GKE_ISH = `# managed by the platform
dns://.:53 {
  kubernetes my.corp.local {
  }
  forward corp.example 10.0.0.10 10.0.0.11
  forward . 8.8.8.8
}
dns://acme.internal.:53 {
  forward . 10.1.1.1
}
`;

const K3S = `.:53 {
    errors
    health
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
      pods insecure
      fallthrough in-addr.arpa ip6.arpa
    }
    hosts /etc/coredns/NodeHosts {
      ttl 60
      reload 15s
      fallthrough
    }
    prometheus :9153
    forward . /etc/resolv.conf
    cache 30
    loop
    reload
    loadbalance
    import /etc/coredns/custom/*.override
}
import /etc/coredns/custom/*.server
`;

describe('parseCorefile', () => {
  it('reads the kubeadm Corefile', () => {
    assert.deepEqual(parseCorefile(KUBEADM), { clusterDomain: 'cluster.local', stubDomains: [], fromCorefile: true });
  });

  it('reads a custom cluster domain and a stub server block (EKS)', () => {
    assert.deepEqual(parseCorefile(EKS), { clusterDomain: 'eks.internal', stubDomains: ['consul.local'], fromCorefile: true });
  });

  it('reads schemes, trailing dots, forward zones and empty plugin blocks (GKE-ish)', () => {
    assert.deepEqual(parseCorefile(GKE_ISH), {
      clusterDomain: 'my.corp.local',
      stubDomains: ['acme.internal', 'corp.example'],
      fromCorefile: true,
    });
  });

  it('reads the k3s Corefile with imports', () => {
    assert.deepEqual(parseCorefile(K3S), { clusterDomain: 'cluster.local', stubDomains: [], fromCorefile: true });
  });

  it('uses the server block zone when the kubernetes plugin has no arguments', () => {
    assert.equal(parseCorefile('k8s.test:53 {\n kubernetes\n}\n').clusterDomain, 'k8s.test');
  });

  it('ignores snippets', () => {
    const zones = parseCorefile('(common) {\n errors\n}\n.:53 {\n import common\n kubernetes c.local\n}\n');
    assert.deepEqual(zones, { clusterDomain: 'c.local', stubDomains: [], fromCorefile: true });
  });

  for (const [what, text] of [
    ['missing', undefined],
    ['empty', '  \n'],
    ['an unclosed block', '.:53 {\n kubernetes cluster.local {\n'],
    ['a stray brace', '}\n'],
    ['garbage', 'this is not a Corefile\n at all'],
    ['binary noise', '\u0000\u0001{{}}}'],
  ] as const) {
    it(`falls back to cluster.local with a note when the Corefile is ${what}`, () => {
      const zones = parseCorefile(text);
      assert.equal(zones.clusterDomain, 'cluster.local');
      assert.equal(zones.fromCorefile, false);
      assert.match(zones.note ?? '', /cluster\.local/);
    });
  }

  it('notes a Corefile without a kubernetes plugin', () => {
    const zones = parseCorefile('.:53 {\n forward . 1.1.1.1\n}\n');
    assert.equal(zones.fromCorefile, false);
    assert.match(zones.note ?? '', /no kubernetes plugin/);
  });

  it('normalizes zone keys', () => {
    assert.equal(zoneOf('dns://Cluster.Local.:53'), 'cluster.local');
    assert.equal(zoneOf('.:53'), '.');
    assert.equal(zoneOf('.'), '.');
  });
});
