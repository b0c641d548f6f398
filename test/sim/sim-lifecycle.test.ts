// Pod lifecycle in the sim: replacement of deleted pods, rolling restarts, deadlines, exec and logs
// through the real client-node and kubectl.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import { CoreV1Api, Exec, KubeConfig } from '@kubernetes/client-node';
import { builtProbePath } from './images.ts';
import { runcProblem } from './runc.ts';
import { startSim } from './index.ts';
import type { Sim } from './types.ts';
import { getPod, isReady, kubectl, processesMentioning, testSubnet, waitFor, type PodJson } from './sim-fixtures.ts';

const SCALE = 0.02;

const nodePod = (name: string, extra: Record<string, unknown> = {}, command = ['node', '-e', 'setTimeout(() => {}, 60000)']) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: {
    restartPolicy: 'Never',
    containers: [{ name: 'probe', image: 'docker.io/library/node:22-alpine', command, env: [{ name: 'GREETING', value: 'hello from env' }] }],
    ...extra,
  },
});

describe('sim: pod lifecycle', function () {
  this.timeout(40_000);
  let sim: Sim;
  const ns = 'kube-system';

  before(async () => {
    sim = await startSim({ subnet: testSubnet(), timing: { scale: SCALE } });
    await sim.waitReady(10_000);
  });

  after(async () => {
    await sim?.stop();
    expect(await processesMentioning(sim.dir)).to.deep.equal([]);
  });

  const sliceAddresses = async () => {
    const slices = JSON.parse(await kubectl(sim.kubeconfigPath, ['get', 'endpointslices', '-n', ns, '-l', 'kubernetes.io/service-name=kube-dns', '-o', 'json'])) as {
      items: { endpoints: { addresses: string[]; conditions: { ready: boolean } }[] }[];
    };
    return slices.items.flatMap((s) => s.endpoints.filter((e) => e.conditions.ready).flatMap((e) => e.addresses)).sort();
  };

  it('replaces a deleted CoreDNS pod with a new name and a new IP, and the EndpointSlice follows', async () => {
    const before = sim.dnsPods();
    const victim = before[0]!;
    await kubectl(sim.kubeconfigPath, ['delete', 'pod', '-n', ns, victim.name, '--wait=false']);
    await sim.waitReady(15_000);
    const after = await waitFor('the replacement', () => {
      const now = sim.dnsPods();
      return now.length === 2 && !now.some((p) => p.name === victim.name) ? now : undefined;
    });
    const replacement = after.find((p) => !before.some((b) => b.name === p.name))!;
    expect(replacement.ip).to.not.equal(victim.ip);
    expect(before.map((p) => p.ip)).to.not.include(replacement.ip);
    await waitFor('the slice to follow', async () => JSON.stringify(await sliceAddresses()) === JSON.stringify(after.map((p) => p.ip).sort()));
  });

  it('kubectl rollout restart replaces every pod one by one, never below 1 Ready pod', async () => {
    const before = sim.dnsPods().map((p) => p.name);
    await kubectl(sim.kubeconfigPath, ['rollout', 'restart', 'deployment/coredns', '-n', ns]);
    let minReady = Infinity;
    await waitFor(
      'the rollout',
      async () => {
        const pods = (JSON.parse(await kubectl(sim.kubeconfigPath, ['get', 'pods', '-n', ns, '-l', 'k8s-app=kube-dns', '-o', 'json'])) as { items: PodJson[] }).items;
        minReady = Math.min(minReady, pods.filter((p) => isReady(p) && !p.metadata.deletionTimestamp).length);
        const names = pods.map((p) => p.metadata.name);
        return pods.length === 2 && pods.every(isReady) && !names.some((n) => before.includes(n));
      },
      30_000,
      20,
    );
    expect(minReady).to.be.at.least(1);
    const status = await kubectl(sim.kubeconfigPath, ['rollout', 'status', 'deployment/coredns', '-n', ns, '--timeout=20s']);
    expect(status).to.include('successfully rolled out');
    const rs = JSON.parse(await kubectl(sim.kubeconfigPath, ['get', 'replicasets', '-n', ns, '-o', 'json'])) as { items: { spec: { replicas: number } }[] };
    expect(rs.items.map((r) => r.spec.replicas).sort()).to.deep.equal([0, 2]);
  });

  it('activeDeadlineSeconds fails the pod with DeadlineExceeded and keeps the object', async () => {
    await kubectl(sim.kubeconfigPath, ['create', '--validate=false', '-f', '-'], JSON.stringify(nodePod('deadline', { activeDeadlineSeconds: 1 })));
    const pod = await waitFor('DeadlineExceeded', async () => {
      const p = await getPod(sim.kubeconfigPath, 'default', 'deadline');
      // Under runc the container's node is pid 1, which ignores SIGTERM: it ends at the grace period's SIGKILL.
      return p?.status.phase === 'Failed' && p.status.containerStatuses?.[0]?.state && 'terminated' in p.status.containerStatuses[0].state ? p : undefined;
    });
    expect(pod.status.reason).to.equal('DeadlineExceeded');
    expect(Object.keys(pod.status.containerStatuses?.[0]?.state ?? {})).to.deep.equal(['terminated']);
    await kubectl(sim.kubeconfigPath, ['delete', 'pod', '-n', 'default', 'deadline']);
    await waitFor('the deletion', async () => (await getPod(sim.kubeconfigPath, 'default', 'deadline')) === undefined);
  });

  it('restartPolicy Never: a container that exits 0 makes the pod Succeeded, with its output in the logs', async () => {
    await kubectl(sim.kubeconfigPath, ['create', '--validate=false', '-f', '-'], JSON.stringify(nodePod('once', {}, ['node', '-e', 'console.log(process.env.GREETING)'])));
    await waitFor('Succeeded', async () => (await getPod(sim.kubeconfigPath, 'default', 'once'))?.status.phase === 'Succeeded');
    expect(await kubectl(sim.kubeconfigPath, ['logs', '-n', 'default', 'once'])).to.equal('hello from env\n');
    await kubectl(sim.kubeconfigPath, ['delete', 'pod', '-n', 'default', 'once', '--grace-period=0']);
  });

  it('serves the real client-node: list pods, exec `node -e` with the container env, exit codes on the status channel', async () => {
    await kubectl(sim.kubeconfigPath, ['create', '--validate=false', '-f', '-'], JSON.stringify(nodePod('exec-me')));
    // Phase Running allows a container still starting (under runc that takes a moment): exec needs it running.
    await waitFor('its container running', async () => {
      const pod = await getPod(sim.kubeconfigPath, 'default', 'exec-me');
      return pod?.status.phase === 'Running' && pod.status.containerStatuses?.[0]?.state !== undefined && 'running' in pod.status.containerStatuses[0].state;
    });
    const kc = new KubeConfig();
    kc.loadFromFile(sim.kubeconfigPath);
    const list = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: ns, labelSelector: 'k8s-app=kube-dns' });
    expect(list.items.map((p) => p.metadata?.name).sort()).to.deep.equal(sim.dnsPods().map((p) => p.name).sort());
    const execOnce = (script: string) =>
      new Promise<{ out: string; status: string }>((resolve, reject) => {
        let out = '';
        const sink = new Writable({ write: (c: Buffer, _e, cb) => ((out += c.toString()), cb()) });
        new Exec(kc)
          .exec('default', 'exec-me', 'probe', ['node', '-e', script], sink, null, null, false, (s) => resolve({ out, status: JSON.stringify(s) }))
          .catch(reject);
      });
    const ok = await execOnce('console.log(process.env.GREETING)');
    expect(ok.out).to.equal('hello from env\n');
    expect(JSON.parse(ok.status).status).to.equal('Success');
    const failed = JSON.parse((await execOnce('process.exit(3)')).status) as { reason: string; details: { causes: { message: string }[] } };
    expect(failed.reason).to.equal('NonZeroExitCode');
    expect(failed.details.causes[0]?.message).to.equal('3');
    await kubectl(sim.kubeconfigPath, ['delete', 'pod', '-n', 'default', 'exec-me', '--grace-period=0']);
  });

  it('runs the dedicated probe image as probe-image/Dockerfile builds it: the probe is its entrypoint, node only at /nodejs/bin/node', async function () {
    if (!existsSync(builtProbePath())) this.skip(); // `make test` builds dist/ first
    const dedicated = (name: string, container: Record<string, unknown>) => {
      const pod = nodePod(name, { securityContext: { runAsUser: 65534, runAsNonRoot: true } });
      pod.spec.containers[0] = { name: 'probe', image: 'ghcr.io/coredns-sentinel/probe:dev', ...container } as (typeof pod.spec.containers)[0];
      return kubectl(sim.kubeconfigPath, ['create', '--validate=false', '-f', '-'], JSON.stringify(pod));
    };
    const ended = async (name: string) => {
      let pod: PodJson | undefined;
      await waitFor(`${name} ended`, async () => ['Succeeded', 'Failed'].includes((pod = await getPod(sim.kubeconfigPath, 'default', name))?.status.phase ?? ''));
      return pod!;
    };
    await dedicated('entrypoint', { args: ['--version'] });
    expect((await ended('entrypoint')).status.phase).to.equal('Succeeded');
    expect((await kubectl(sim.kubeconfigPath, ['logs', '-n', 'default', 'entrypoint'])).trim()).to.not.equal('');
    await dedicated('bare-node', { command: ['node', '-e', 'setTimeout(() => {}, 60000)'] });
    const bare = (await ended('bare-node')).status.containerStatuses?.[0]?.state as { terminated?: { reason: string; exitCode: number; message: string } };
    expect(bare.terminated).to.include({ reason: 'StartError', exitCode: 128 });
    expect(bare.terminated?.message).to.match(/exec: "node": executable file not found in \$PATH/);
    await dedicated('dedicated', { command: ['/nodejs/bin/node', '-e', 'setTimeout(() => {}, 60000)'] });
    await waitFor('Running', async () => (await getPod(sim.kubeconfigPath, 'default', 'dedicated'))?.status.phase === 'Running');
    const version = await kubectl(sim.kubeconfigPath, ['exec', '-n', 'default', 'dedicated', '--', '/nodejs/bin/node', '/probe/probe.cjs', '--version']);
    expect(version.trim()).to.not.equal('');
    const refused = await kubectl(sim.kubeconfigPath, ['exec', '-n', 'default', 'dedicated', '--', 'node', '/probe/probe.cjs', '--version']).then(() => '', (e: { stderr: string }) => e.stderr);
    expect(refused).to.match(/exec: "node": executable file not found in \$PATH/, refused);
    for (const name of ['entrypoint', 'bare-node', 'dedicated']) await kubectl(sim.kubeconfigPath, ['delete', 'pod', '-n', 'default', name, '--grace-period=0']);
  });

  it('under runc: the pod\'s security context, memory limit and emptyDir are the container\'s; runAsNonRoot refuses a root image', async function () {
    if (runcProblem()) return this.skip(); // root with `make images` (CI) only
    const restricted = {
      securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534 },
      volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '8Mi' } }],
    };
    const pod = nodePod('confined', restricted, ['/nodejs/bin/node', '-e', 'setTimeout(() => {}, 60000)']);
    pod.spec.containers[0] = {
      ...pod.spec.containers[0]!,
      image: 'gcr.io/distroless/nodejs22-debian12:nonroot',
      securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
      resources: { limits: { memory: '64Mi' } },
      volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
    } as (typeof pod.spec.containers)[0];
    await kubectl(sim.kubeconfigPath, ['create', '--validate=false', '-f', '-'], JSON.stringify(pod));
    await waitFor('Running', async () => (await getPod(sim.kubeconfigPath, 'default', 'confined'))?.status.phase === 'Running');
    const inside = `const fs = require('fs');
      const field = (k) => fs.readFileSync('/proc/self/status', 'utf8').split('\\n').find((l) => l.startsWith(k + ':')).split(':')[1].trim();
      const writes = (p) => { try { fs.writeFileSync(p, 'x'); return 'yes'; } catch (e) { return e.code; } };
      const tmp = fs.statfsSync('/tmp');
      const limit = fs.readFileSync('/sys/fs/cgroup/memory/memory.limit_in_bytes', 'utf8').trim();
      console.log([process.getuid(), process.getgid(), field('NoNewPrivs'), field('CapEff'), writes('/etc/x'), writes('/tmp/x'), limit, tmp.blocks * tmp.bsize].join(' '));`;
    const out = await kubectl(sim.kubeconfigPath, ['exec', '-n', 'default', 'confined', '--', '/nodejs/bin/node', '-e', inside]);
    expect(out.trim()).to.equal(`65534 65534 1 0000000000000000 EROFS yes ${64 * 1024 * 1024} ${8 * 1024 * 1024}`);
    expect(sim.runcContainers.map((c) => c.pod)).to.include('confined');

    const root = nodePod('as-root', { securityContext: { runAsNonRoot: true } }, ['sleep', '60']);
    await kubectl(sim.kubeconfigPath, ['create', '--validate=false', '-f', '-'], JSON.stringify(root));
    const waiting = await waitFor('CreateContainerConfigError', async () => {
      const state = (await getPod(sim.kubeconfigPath, 'default', 'as-root'))?.status.containerStatuses?.[0]?.state as { waiting?: { reason: string; message: string } } | undefined;
      return state?.waiting?.reason === 'CreateContainerConfigError' ? state.waiting : undefined;
    });
    expect(waiting.message).to.equal('container has runAsNonRoot and image will run as root (pod: "as-root", container: probe)');
    for (const name of ['confined', 'as-root']) await kubectl(sim.kubeconfigPath, ['delete', 'pod', '-n', 'default', name, '--grace-period=0']);
  });

  it('refuses exec like the real server: unknown pod 404, unknown container 400, completed pod 400', async () => {
    const attempt = async (args: string[]) => kubectl(sim.kubeconfigPath, args).then(() => 'ok', (e: { stderr: string }) => e.stderr.trim());
    expect(await attempt(['exec', '-n', 'default', 'nope', '--', 'true'])).to.match(/pods "nope" not found/);
    const dns = sim.dnsPods()[0]!.name;
    expect(await attempt(['exec', '-n', ns, dns, '-c', 'other', '--', 'true'])).to.match(new RegExp(`container other is not valid for pod ${dns}`));
    await kubectl(sim.kubeconfigPath, ['create', '--validate=false', '-f', '-'], JSON.stringify(nodePod('done', {}, ['node', '-e', '0'])));
    await waitFor('Succeeded', async () => (await getPod(sim.kubeconfigPath, 'default', 'done'))?.status.phase === 'Succeeded');
    expect(await attempt(['exec', '-n', 'default', 'done', '--', 'node', '-e', '0'])).to.match(/cannot exec into a container in a completed pod; current phase is Succeeded/);
    await kubectl(sim.kubeconfigPath, ['delete', 'pod', '-n', 'default', 'done', '--grace-period=0']);
  });

  it('a scheduler that honours nodeSelector: no matching node leaves the pod Pending and Unschedulable', async () => {
    await kubectl(sim.kubeconfigPath, ['create', '--validate=false', '-f', '-'], JSON.stringify(nodePod('nowhere', { nodeSelector: { 'kubernetes.io/hostname': 'sim-node-9' } })));
    const cond = await waitFor('Unschedulable', async () => (await getPod(sim.kubeconfigPath, 'default', 'nowhere'))?.status.conditions?.find((c) => c.reason === 'Unschedulable'));
    expect(cond.message).to.equal("0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.");
    expect((await getPod(sim.kubeconfigPath, 'default', 'nowhere'))?.status.phase).to.equal('Pending');
    await kubectl(sim.kubeconfigPath, ['delete', 'pod', '-n', 'default', 'nowhere', '--grace-period=0']);
  });
});
