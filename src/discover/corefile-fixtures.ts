// Real Corefiles and the ConfigMap files they import, as the distributions ship them; shared by the
// Corefile reader's and the plan's tests. Used by *.test.ts only.
import type { ConfigFile } from './corefile.ts';

export const KUBEADM = `.:53 {
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

export const EKS = `.:53 {
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
export const GKE_ISH = `# managed by the platform
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

export const K3S = `.:53 {
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


// AKS: the coredns ConfigMap is managed; users add coredns-custom keys, imported relative to /etc/coredns.
export const AKS = `.:53 {
    errors
    ready
    health {
      lameduck 5s
    }
    kubernetes cluster.local in-addr.arpa ip6.arpa {
      pods insecure
      fallthrough in-addr.arpa ip6.arpa
      ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf
    cache 30
    loop
    reload
    loadbalance
    import custom/*.override
}
import custom/*.server
`;

// OpenShift's DNS operator: container port 5353, a stub per spec.servers entry, a chaos block.
export const OPENSHIFT = `# foo
foo.com:5353 {
    prometheus 127.0.0.1:9153
    forward . 1.1.1.1 2.2.2.2:5353 {
        policy random
    }
    errors
    log . {
        class error
    }
    bufsize 1232
    cache 900 {
        denial 9984 30
    }
}
.:5353 {
    bufsize 1232
    errors
    log . {
        class error
    }
    health {
        lameduck 20s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    prometheus 127.0.0.1:9153
    forward . /etc/resolv.conf {
        policy sequential
    }
    cache 900 {
        denial 9984 30
    }
    reload
}
hostname.bind:5353 {
    chaos
}
`;

// The l7mp seed's DNS servers: no kubernetes plugin at all, a file zone on port 100.
export const L7MP = `.:100 {
    forward . 8.8.8.8 9.9.9.9
    log
    errors
}
example.com:100 {
    file /root/example.db
    log
    errors
}
`;

export const EXAMPLE_DB = `$ORIGIN example.com.
@	3600 IN	SOA dns.example.com. hostmaster.example.com. (
				2017042745 ; serial
				7200       ; refresh (2 hours)
				3600       ; retry (1 hour)
				1209600    ; expire (2 weeks)
				3600       ; minimum (1 hour)
				)

	3600 IN NS a.iana-servers.net.
	3600 IN NS b.iana-servers.net.

gateway     IN A     192.168.1.1
dns         IN A     192.168.1.2
host        IN A     192.168.1.3
server      IN CNAME host
`;

// RKE2's rke2-coredns chart renders the zone twice and pads with spaces.
export const RKE2 = `.:53 {
    errors 
    health  {
        lameduck 5s
    }
    ready 
    kubernetes   cluster.local  cluster.local in-addr.arpa ip6.arpa {
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 30
    }
    prometheus   0.0.0.0:9153
    forward   . /etc/resolv.conf
    cache   30
    loop 
    reload 
    loadbalance 
}
`;

export const K3S_FILES: ConfigFile[] = [
  { configMap: 'coredns', key: 'Corefile', text: K3S },
  { configMap: 'coredns', key: 'NodeHosts', text: '172.18.0.2 k3d-dev-server-0\n172.18.0.3 k3d-dev-agent-0\nfd00::3 k3d-dev-agent-0\n' },
  { configMap: 'coredns-custom', key: 'consul.server', text: 'consul.local:53 {\n  errors\n  forward . 10.150.0.1\n}\n' },
  { configMap: 'coredns-custom', key: 'lab.override', text: 'hosts {\n  10.0.0.9 nas.lab.example\n  fallthrough\n}\n' },
  { configMap: 'coredns-custom', key: 'README', text: 'not imported' },
];

export const AKS_FILES: ConfigFile[] = [
  { configMap: 'coredns-custom', key: 'puglieseweb.server', text: 'puglieseweb.com:53 {\n    errors\n    cache 30\n    forward . 10.0.0.4\n}\n' },
  { configMap: 'coredns-custom', key: 'test.override', text: 'forward corp.contoso.com 10.0.0.5 10.0.0.6\n' },
];

