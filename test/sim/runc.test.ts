// The pure parts of the sim's runc runtime: who a container runs as (the kubelet's runAsNonRoot
// check), its capabilities, quantities, which built image stands for an image reference, its seccomp
// filter, and the kubelet's $(VAR) expansion.
import { expect } from 'chai';
import { bundleName, capabilities, containerUser, quantityBytes } from './runc.ts';
import { seccompFor } from './seccomp.ts';
import { expandVariables } from './kubelet.ts';

describe('sim runc: container user', () => {
  const cases: [string, Parameters<typeof containerUser>[0], string | undefined, { uid: number; gid: number } | RegExp][] = [
    ['the image user', {}, '65532:65532', { uid: 65532, gid: 65532 }],
    ['runAsUser over the image user, the image group kept', { runAsUser: 65534 }, '65532:65532', { uid: 65534, gid: 65532 }],
    ['runAsUser and runAsGroup', { runAsUser: 1000, runAsGroup: 3000 }, '0', { uid: 1000, gid: 3000 }],
    ['no image user is root', {}, undefined, { uid: 0, gid: 0 }],
    ['runAsNonRoot with a root image', { runAsNonRoot: true }, undefined, /^container has runAsNonRoot and image will run as root \(pod: "p", container: c\)$/],
    ['runAsNonRoot with runAsUser 0', { runAsNonRoot: true, runAsUser: 0 }, '65532', /image will run as root/],
    ['runAsNonRoot with a named image user', { runAsNonRoot: true }, 'nonroot', /image has non-numeric user \(nonroot\), cannot verify user is non-root/],
    ['runAsNonRoot satisfied by runAsUser over a named user', { runAsNonRoot: true, runAsUser: 65534 }, 'nonroot', { uid: 65534, gid: 65534 }],
  ];
  for (const [name, sc, imageUser, want] of cases)
    it(name, () => {
      const got = containerUser(sc, imageUser, 'p', 'c');
      if (want instanceof RegExp) expect(got).to.be.a('string').and.match(want);
      else expect(got).to.deep.equal(want);
    });
});

describe('sim runc: capabilities, quantities, images', () => {
  it('drops ALL to none, drops and adds by name, keeps containerd’s defaults otherwise', () => {
    expect(capabilities({ drop: ['ALL'] })).to.deep.equal([]);
    expect(capabilities({ drop: ['ALL'], add: ['NET_BIND_SERVICE'] })).to.deep.equal(['CAP_NET_BIND_SERVICE']);
    const defaults = capabilities(undefined);
    expect(defaults).to.include.members(['CAP_CHOWN', 'CAP_NET_RAW', 'CAP_KILL']).and.have.length(14);
    const withoutRaw = capabilities({ drop: ['NET_RAW'] });
    expect(withoutRaw).to.not.include('CAP_NET_RAW');
    expect(withoutRaw).to.have.length(13);
  });

  it('reads Kubernetes quantities', () => {
    expect([quantityBytes('64Mi'), quantityBytes('8Mi'), quantityBytes('1Gi'), quantityBytes('128M'), quantityBytes('1000'), quantityBytes(512)]).to.deep.equal([67108864, 8388608, 1073741824, 128e6, 1000, 512]);
    expect(() => quantityBytes('64 MiB')).to.throw(/bad quantity/);
  });

  it('knows which built image stands for a reference', () => {
    const want: Record<string, string | undefined> = {
      'ghcr.io/coredns-sentinel/probe:0.1.0': 'probe',
      'ghcr.io/coredns-sentinel/coredns-sentinel:dev': 'cli',
      'gcr.io/distroless/nodejs22-debian12:nonroot': 'distroless',
      'node:22-alpine': 'node-slim',
      'docker.io/library/node:22-bookworm-slim': 'node-slim',
      'cgr.dev/chainguard/node': undefined,
      'gcr.io/distroless/nodejs20-debian12': undefined,
    };
    for (const [image, name] of Object.entries(want)) expect(bundleName(image), image).to.equal(name);
  });
});

describe('sim runc: seccomp RuntimeDefault and $(VAR) in command and args', () => {
  it('RuntimeDefault denies the dangerous syscalls with EPERM and allows the rest; Unconfined, Localhost and none get no filter', () => {
    const profile = seccompFor({ type: 'RuntimeDefault' }) as { defaultAction: string; syscalls: { names: string[]; action: string; errnoRet: number }[] };
    expect(profile.defaultAction).to.equal('SCMP_ACT_ALLOW');
    expect(profile.syscalls).to.have.length(1);
    expect(profile.syscalls[0]).to.include({ action: 'SCMP_ACT_ERRNO', errnoRet: 1 });
    expect(profile.syscalls[0]!.names).to.include.members(['unshare', 'setns', 'mount', 'ptrace', 'bpf', 'kexec_load', 'init_module', 'reboot', 'keyctl', 'userfaultfd']);
    // What a Node program needs stays allowed.
    expect(profile.syscalls[0]!.names).to.not.include.members(['clone', 'clone3', 'epoll_wait', 'io_uring_setup', 'mmap', 'socket', 'execve']);
    for (const other of [{ type: 'Unconfined' }, { type: 'Localhost', localhostProfile: 'p.json' }, undefined]) expect(seccompFor(other)).to.equal(undefined);
  });

  const cases: [string, string, string][] = [
    ['a defined variable', '--metrics-addr=$(POD_IP):9469', '--metrics-addr=127.1.2.3:9469'],
    ['an undefined one stays as written', '$(NOPE)/x', '$(NOPE)/x'],
    ['$$ is a literal $', '$$(POD_IP) costs $$5', '$(POD_IP) costs $5'],
    ['no parentheses, no expansion', '$POD_IP', '$POD_IP'],
    ['several', '$(A)-$(B)', '1-2'],
  ];
  for (const [name, value, want] of cases)
    it(`expands ${name}`, () => expect(expandVariables(value, { POD_IP: '127.1.2.3', A: '1', B: '2' })).to.equal(want));
});
