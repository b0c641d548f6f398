import assert from 'node:assert/strict';
import { brokenConfig, CONFIG_LOG_PODS, readPodConfigLogs, reloadState, refuseRestarts, type GuardPod } from './config-guard.ts';
import type { CorefileSource, DnsPod, DnsWorkload } from '../discover/types.ts';
import { readCorefile } from '../discover/caddyfile.ts';
import type { Judgement } from '../judge/types.ts';
import { KubeError } from '../kube/index.ts';
import type { RepairPlan } from './policy.ts';

const GOOD = `.:53 {\n    errors\n    kubernetes cluster.local in-addr.arpa ip6.arpa\n    forward . /etc/resolv.conf\n    cache 30\n    reload\n}\n`;
const GOOD_CHANGED = GOOD.replace('cache 30', 'cache 60');
const TYPO = GOOD.replace('forward .', 'foward .');
const GOOD_SHA = readCorefile(GOOD).sha512!;
const CHANGED_SHA = readCorefile(GOOD_CHANGED).sha512!;
const TYPO_SHA = readCorefile(TYPO).sha512!;

// CoreDNS's own lines (plugin/reload; caddy's restart), as `kubectl logs` shows them.
const banner = (sha: string) => `.:53\n[INFO] plugin/reload: Running configuration SHA512 = ${sha}\nCoreDNS-1.11.3\nlinux/amd64, go1.21.11, a6338e9\n`;
const TYPO_ERROR = "/etc/coredns/Corefile:4 - Error during parsing: Unknown directive 'foward'";
const refusedLog = (sha: string) =>
  `${banner(sha)}[ERROR] Restart failed: ${TYPO_ERROR}\n[ERROR] plugin/reload: Corefile changed but reload failed: starting with listener file descriptors: ${TYPO_ERROR}\n`;
const reloadedLog = (from: string, to: string) => `${banner(from)}[INFO] Reloading\n[INFO] plugin/reload: Running configuration SHA512 = ${to}\n[INFO] Reloading complete\n`;

const STARTED = '2026-12-07T03:00:00Z';
const CHANGED = '2026-12-07T04:00:00Z';
const cm = (text: string, changedAt = CHANGED): CorefileSource => ({ configMap: 'coredns', text, changedAt, changedBy: 'kubectl-edit', resourceVersion: '812' });
const pods = (...logs: (string | undefined)[]): GuardPod[] =>
  logs.map((log, i) => ({ name: `coredns-${i}`, ready: true, startTime: STARTED, ...(log !== undefined && { log }) }));

describe('reloadState: what a CoreDNS log says it runs', () => {
  it('the last configuration loaded, and a reload refused after it', () => {
    assert.deepEqual(reloadState(banner(GOOD_SHA)), { runningSha512: GOOD_SHA });
    assert.deepEqual(reloadState(refusedLog(GOOD_SHA)), { runningSha512: GOOD_SHA, reloadError: `starting with listener file descriptors: ${TYPO_ERROR}` });
    assert.deepEqual(reloadState(reloadedLog(GOOD_SHA, CHANGED_SHA)), { runningSha512: CHANGED_SHA });
    // Refused, then fixed and reloaded: nothing refused any more.
    assert.deepEqual(reloadState(`${refusedLog(GOOD_SHA)}[INFO] Reloading\n[INFO] plugin/reload: Running configuration SHA512 = ${CHANGED_SHA}\n`), { runningSha512: CHANGED_SHA });
    assert.deepEqual(reloadState(`${banner(GOOD_SHA)}[WARNING] plugin/reload: Corefile parse failed: /etc/coredns/Corefile:7 - Error during parsing: Unexpected EOF\n`), {
      runningSha512: GOOD_SHA,
      reloadError: '/etc/coredns/Corefile:7 - Error during parsing: Unexpected EOF',
    });
  });
});

describe('brokenConfig: never restart into a Corefile CoreDNS cannot load', () => {
  const rows: { name: string; corefile?: CorefileSource; pods: GuardPod[]; refused?: { error: RegExp; refusedBy: string[]; source?: string } }[] = [
    { name: 'unchanged: the pods run the ConfigMap’s Corefile', corefile: cm(GOOD, '2026-12-07T02:00:00Z'), pods: pods(banner(GOOD_SHA), banner(GOOD_SHA)) },
    { name: 'a good change the pods reloaded', corefile: cm(GOOD_CHANGED), pods: pods(reloadedLog(GOOD_SHA, CHANGED_SHA), reloadedLog(GOOD_SHA, CHANGED_SHA)) },
    { name: 'a good change not reloaded yet', corefile: cm(GOOD_CHANGED), pods: pods(banner(GOOD_SHA), banner(GOOD_SHA)) },
    {
      name: 'a typo the reload plugin refused',
      corefile: cm(TYPO),
      pods: pods(refusedLog(GOOD_SHA), refusedLog(GOOD_SHA)),
      refused: { error: /^starting with listener file descriptors: \/etc\/coredns\/Corefile:4 - Error during parsing: Unknown directive 'foward'$/, refusedBy: ['coredns-0', 'coredns-1'] },
    },
    {
      name: 'a typo no pod has reloaded yet: CoreDNS’s parser says so',
      corefile: cm(TYPO),
      pods: pods(banner(GOOD_SHA), banner(GOOD_SHA)),
      refused: { error: /^\/etc\/coredns\/Corefile:4 - Error during parsing: Unknown directive 'foward'$/, refusedBy: [], source: 'no pod has reloaded it yet' },
    },
    {
      name: 'a typo, logs unreadable: CoreDNS’s parser and the change time decide',
      corefile: cm(TYPO),
      pods: pods(undefined, undefined),
      refused: { error: /Unknown directive 'foward'/, refusedBy: [], source: "the pods' logs could not be read" },
    },
    {
      name: 'a change this parser accepts but a plugin refused (forward without a target)',
      corefile: cm(GOOD.replace('forward . /etc/resolv.conf', 'forward .')),
      pods: pods(`${banner(GOOD_SHA)}[ERROR] plugin/reload: Corefile changed but reload failed: plugin/forward: /etc/coredns/Corefile:4 - Error during parsing: Wrong argument count or unexpected line ending after '.'\n`, banner(GOOD_SHA)),
      refused: { error: /plugin\/forward: .*Wrong argument count/, refusedBy: ['coredns-0'] },
    },
    { name: 'a plugin of a custom build: the pods run it, so it loads', corefile: cm(TYPO), pods: pods(reloadedLog(GOOD_SHA, TYPO_SHA), reloadedLog(GOOD_SHA, TYPO_SHA)) },
    {
      name: 'a Corefile this parser refuses, older than every pod: they started with it',
      corefile: cm(TYPO, '2026-12-07T02:00:00Z'),
      pods: pods(banner('0'.repeat(128)), banner('0'.repeat(128))),
    },
    {
      name: 'a Ready pod started after the change loaded it',
      corefile: cm(TYPO),
      pods: [...pods(refusedLog(GOOD_SHA)), { name: 'coredns-new', ready: true, startTime: '2026-12-07T04:05:00Z' }],
    },
    {
      name: 'a pod started after the change that is not Ready proves nothing',
      corefile: cm(TYPO),
      pods: [...pods(refusedLog(GOOD_SHA)), { name: 'coredns-new', ready: false, startTime: '2026-12-07T04:05:00Z', log: `${TYPO_ERROR}\n` }],
      refused: { error: /Unknown directive 'foward'/, refusedBy: ['coredns-0'] },
    },
    { name: 'no Corefile read (kube-dns, or the ConfigMap could not be read)', pods: pods(banner(GOOD_SHA)) },
  ];
  for (const row of rows)
    it(row.name, () => {
      const broken = brokenConfig('kube-system', row.corefile, row.pods);
      if (!row.refused) return assert.equal(broken, undefined, broken?.reason);
      assert.ok(broken, 'a restart must be refused');
      assert.match(broken.error, row.refused.error);
      assert.deepEqual(broken.refusedBy, row.refused.refusedBy);
      assert.equal(broken.configMap, 'kube-system/coredns');
      // The reason names the ConfigMap, the change and CoreDNS's error.
      assert.match(broken.reason, /^ConfigMap kube-system\/coredns changed \(at 2026-12-07T04:00:00Z, by kubectl-edit, resourceVersion 812\) to a Corefile CoreDNS cannot load: /);
      assert.ok(broken.reason.includes(broken.error));
      assert.ok(broken.reason.includes(`(${row.refused.source ?? `the reload plugin of ${row.refused.refusedBy.join(', ')} refused it`})`), broken.reason);
    });

  it('without managedFields times, the hashes tell a change', () => {
    const noTime: CorefileSource = { configMap: 'coredns', text: TYPO };
    assert.ok(brokenConfig('kube-system', noTime, pods(banner(GOOD_SHA))));
    assert.equal(brokenConfig('kube-system', { configMap: 'coredns', text: GOOD }, pods(banner(GOOD_SHA))), undefined);
  });
});

describe('refuseRestarts', () => {
  it('turns every planned restart into a skip with the reason, and classifies the cycle broken-config', () => {
    const plan: RepairPlan = {
      actions: [{ method: 'evict', namespace: 'kube-system', pod: 'coredns-0', lineage: 'l', restarts: [{ pod: 'coredns-0', uid: 'u', node: 'n', signature: 's' }], reason: 'pod-local' }],
      skipped: [{ pod: 'coredns-1', reason: 'in cooldown' }],
      escalations: [],
    };
    const judgement = { verdict: 'unhealthy', classification: 'pod-local', reason: 'pod-local: coredns-0 fails', notes: [], targets: [], candidates: [], probeNode: 'n' } as unknown as Judgement;
    const broken = brokenConfig('kube-system', cm(TYPO), pods(refusedLog(GOOD_SHA)))!;
    const out = refuseRestarts(plan, judgement, broken);
    assert.deepEqual(out.plan.actions, []);
    assert.deepEqual(out.plan.skipped, [{ pod: 'coredns-0', reason: broken.reason }, { pod: 'coredns-1', reason: 'in cooldown' }]);
    assert.equal(out.judgement.classification, 'broken-config');
    assert.equal(out.judgement.verdict, 'unhealthy');
    assert.equal(out.judgement.reason, broken.reason);
  });
});

describe('readPodConfigLogs', () => {
  const pod = (name: string, ready: boolean, phase: DnsPod['phase'] = 'Running', terminating = false): DnsPod =>
    ({ name, namespace: 'kube-system', ip: '10.0.0.1', ips: ['10.0.0.1'], node: 'n', phase, ready, restartCount: 0, terminating, uid: name, startTime: STARTED, dnsContainer: 'coredns' });
  it('reads a few running pods’ logs, Ready ones first; an unreadable log is warned about and left out', async () => {
    const workload = { namespace: 'kube-system', pods: [pod('e', false), pod('d', true), pod('c', true), pod('b', true, 'Pending'), pod('a', true, 'Running', true), pod('f', true), pod('g', true)] } as DnsWorkload;
    const read: string[] = [];
    const warnings: string[] = [];
    const client = {
      readPodLog: async (ns: string, name: string, opts: { container?: string; tailLines: number }) => {
        read.push(`${ns}/${name}/${opts.container}/${opts.tailLines}`);
        if (name === 'd') throw new KubeError('forbidden', 403, 'pods "d" is forbidden: cannot get resource "pods/log"', '');
        return banner(GOOD_SHA);
      },
    };
    const pods = await readPodConfigLogs(client, workload, (l) => warnings.push(l));
    assert.deepEqual(read, ['kube-system/c/coredns/1000', 'kube-system/d/coredns/1000', 'kube-system/f/coredns/1000']);
    assert.equal(read.length, CONFIG_LOG_PODS);
    assert.deepEqual(pods.map((p) => [p.name, p.log !== undefined]), [['c', true], ['d', false], ['f', true], ['g', false], ['e', false]]);
    assert.deepEqual(warnings, ['could not read the log of d for its running configuration: pods "d" is forbidden: cannot get resource "pods/log"']);
  });
});
