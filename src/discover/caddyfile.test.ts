import assert from 'node:assert/strict';
import { lex, readCorefile } from './caddyfile.ts';
import { AKS, EKS, KUBEADM, OPENSHIFT } from './corefile-fixtures.ts';

// kubeadm's Corefile before 1.30 (no cache "disable" lines), and the hash every such cluster's CoreDNS
// logs at start: "[INFO] plugin/reload: Running configuration SHA512 = 591cf328…" (kubectl logs of
// CoreDNS 1.10–1.11 on kubeadm, kind and minikube clusters).
const KUBEADM_1_29 = `.:53 {
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
    cache 30
    loop
    reload
    loadbalance
}
`;
const KUBEADM_1_29_SHA512 =
  '591cf328cccc12bc490481273e738df59329c62c0b729d94e8b61db9961c2fa5f046dd37f1cf888b953814040d180f52594972691cd6ff41be96639138a43908';

describe('readCorefile: the configuration as CoreDNS reads it', () => {
  it('hashes kubeadm’s Corefile to the SHA512 real CoreDNS logs for it', () => {
    assert.deepEqual(readCorefile(KUBEADM_1_29), { sha512: KUBEADM_1_29_SHA512 });
  });

  it('changes the hash with the tokens and their lines, not with indentation or comments', () => {
    const reindented = KUBEADM_1_29.replace(/^ +/gm, '\t').replace('    errors', '    errors # log them');
    assert.equal(readCorefile(reindented).sha512, KUBEADM_1_29_SHA512);
    assert.notEqual(readCorefile(KUBEADM_1_29.replace('cache 30', 'cache 60')).sha512, KUBEADM_1_29_SHA512);
    assert.notEqual(readCorefile(`\n${KUBEADM_1_29}`).sha512, KUBEADM_1_29_SHA512);
  });

  it('loads the distributions’ Corefiles', () => {
    for (const text of [KUBEADM, EKS, OPENSHIFT]) assert.equal(readCorefile(text).loadError, undefined);
  });

  it('has no hash for a Corefile that imports files (their tokens are unknown here), and still checks it', () => {
    assert.deepEqual(readCorefile(AKS), {});
  });

  const broken: { name: string; text: string; error: string; hashed: boolean }[] = [
    {
      name: 'an unknown directive (a typo)',
      text: KUBEADM_1_29.replace('forward . /etc/resolv.conf', 'foward . /etc/resolv.conf'),
      error: "/etc/coredns/Corefile:13 - Error during parsing: Unknown directive 'foward'",
      hashed: true,
    },
    {
      name: 'a block that is never closed',
      text: KUBEADM_1_29.replace(/}\n$/, ''),
      error: "/etc/coredns/Corefile:19 - Syntax error: Unexpected token 'loadbalance', expecting '}'",
      hashed: false,
    },
    {
      name: 'a brace closed on a directive’s line',
      text: KUBEADM_1_29.replace('    loadbalance\n}', '    loadbalance }'),
      error: "/etc/coredns/Corefile:19 - Error during parsing: Unexpected '}' because no matching opening brace",
      hashed: false,
    },
    {
      name: 'a nested block left open at the end',
      text: KUBEADM_1_29.replace('    loadbalance\n}\n', '    loadbalance {\n'),
      error: '/etc/coredns/Corefile:19 - Error during parsing: Unexpected EOF',
      hashed: false,
    },
  ];
  for (const row of broken)
    it(`names CoreDNS's error for ${row.name}`, () => {
      const read = readCorefile(row.text);
      assert.equal(read.loadError, row.error);
      assert.equal(read.sha512 !== undefined, row.hashed);
    });

  it('expands snippets where they are imported', () => {
    const withSnippet = `(common) {\n    errors\n    cache 30\n}\n.:53 {\n    import common\n    forward . 1.1.1.1\n}\n`;
    assert.equal(readCorefile(withSnippet).loadError, undefined);
    assert.match(readCorefile(withSnippet.replace('cache 30', 'cachee 30')).loadError ?? '', /Corefile:3 - Error during parsing: Unknown directive 'cachee'/);
  });
});

describe('lex: caddy’s tokens', () => {
  it('keeps quoted words whole, drops comments, counts lines', () => {
    assert.deepEqual(
      lex('a "b c" # d\n  e"f"').map((t) => [t.Line, t.Text]),
      [[1, 'a'], [1, 'b c'], [2, 'e"f"']],
    );
  });
});
