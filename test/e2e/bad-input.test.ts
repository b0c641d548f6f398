// Bad input, through the real CLI against the sim: every case exits 2 with exactly one line on stderr
// (no warning block, no stack trace), and the sim's request log shows no write request — nothing in
// the cluster is changed by a run that errors out.
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { startSim, type Sim } from '../sim/index.ts';
import { buildCli, cli } from './cli.ts';

const WRITES = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);
const V = 'apiVersion: coredns-sentinel/config/v1\n';

describe('bad input → exit 2, one line, no write request', function () {
  // 70 CLI runs, four at a time: generous for a loaded machine.
  this.timeout(300_000);
  let sim: Sim;
  const file = (name: string, text: string) => {
    const path = join(sim.dir, name);
    writeFileSync(path, text);
    return path;
  };

  /** The sim's kubeconfig with its user's credentials from a plugin running `script`. */
  const pluginKubeconfig = (name: string, script: string) => {
    const plugin = file(`${name}.sh`, `#!/bin/sh\n${script}\n`);
    chmodSync(plugin, 0o700);
    const k = parse(readFileSync(sim.kubeconfigPath, 'utf8')) as { users: { user: Record<string, unknown> }[] };
    k.users[0]!.user = { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' } };
    return file(`${name}.kubeconfig`, stringify(k));
  };

  before(async function () {
    this.timeout(60_000);
    buildCli();
    sim = await startSim({ dns: { replicas: 2 } });
    await sim.waitReady(30_000);
  });
  after(async () => sim?.stop());

  /** The sim's kubeconfig with one change to its cluster entry. */
  const kubeconfig = (name: string, change: (text: string) => string) => file(name, change(readFileSync(sim.kubeconfigPath, 'utf8')));

  const cases = (): [string, string[], RegExp][] => {
    const nested = (n: number) => `${V}checks: ${'['.repeat(n)}${']'.repeat(n)}\n`;
    // 87 checks of 256 expected answers each: a 300 KiB plan, more than a probe pod's annotations hold.
    const hugeAnswers = `${V}checks:\n${Array.from({ length: 87 }, (_, i) => `  - {name: h${i}.example.com, type: A, include: [${Array.from({ length: 256 }, (_, j) => `10.${i % 250}.${j}.1`).join(', ')}]}`).join('\n')}\n`;
    return [
      // durations
      ['--timeout 0', ['--timeout', '0'], /--timeout must be from 1ms to 30s, got "0"/],
      ['--timeout 31s', ['--timeout', '31s'], /--timeout must be from 1ms to 30s/],
      ['--timeout fast', ['--timeout', 'fast'], /--timeout must be a duration/],
      ['--timeout -1s', ['--timeout=-1s'], /--timeout must be a duration/],
      ['--timeout 1d', ['--timeout', '1d'], /--timeout must be a duration/],
      ['--timeout 0.5ms', ['--timeout', '0.5ms'], /--timeout must be a whole number of milliseconds, got "0\.5ms"/],
      ['--latency-threshold 1.5ms', ['--latency-threshold', '1.5ms'], /--latency-threshold must be a whole number of milliseconds/],
      ['--pod-timeout 600h', ['--pod-timeout', '600h'], /--pod-timeout must be from 1s to 1h/],
      ['--pod-timeout 0.5s', ['--pod-timeout', '0.5s'], /--pod-timeout must be from 1s/],
      ['--request-timeout 1ms', ['--request-timeout', '1ms'], /--request-timeout must be from 100ms to 10m/],
      ['--request-timeout 11m', ['--request-timeout', '11m'], /--request-timeout must be from 100ms to 10m/],
      ['--latency-threshold 0', ['--latency-threshold', '0'], /--latency-threshold must be from 1ms/],
      ['--cooldown 25h', ['--repair', '--cooldown', '25h'], /--cooldown must be from 0s to 24h/],
      ['--cooldown 99999999h', ['--repair', '--cooldown', '99999999h'], /--cooldown must be from 0s to 24h/],
      ['--restart-budget 3/9999999h', ['--repair', '--restart-budget', '3/9999999h'], /--restart-budget window must be from 1m to 24h/],
      ['--restart-budget 3/30s', ['--repair', '--restart-budget', '3/30s'], /--restart-budget window must be from 1m/],
      ['--restart-budget lots', ['--repair', '--restart-budget', 'lots'], /--restart-budget must look like N\/DURATION/],
      ['--repair-timeout 0', ['--repair', '--repair-timeout', '0'], /--repair-timeout must be from 1s to 1h/],
      ['--repair-timeout 2h', ['--repair', '--repair-timeout', '2h'], /--repair-timeout must be from 1s to 1h/],
      // counts
      ['--samples 0', ['--samples', '0'], /--samples must be an integer from 1 to 20/],
      ['--samples 21', ['--samples', '21'], /--samples must be an integer from 1 to 20/],
      ['--samples 1.5', ['--samples', '1.5'], /--samples must be an integer/],
      ['--probe-nodes 0', ['--probe-nodes', '0'], /--probe-nodes must be an integer from 1 to 10/],
      ['--probe-nodes 11', ['--probe-nodes', '11'], /--probe-nodes must be an integer from 1 to 10/],
      ['--max-unavailable 0', ['--repair', '--max-unavailable', '0'], /--max-unavailable must be an integer from 1/],
      ['--escalate-after 101', ['--repair', '--escalate-after', '101'], /--escalate-after must be an integer from 1 to 100/],
      ['--fail-samples 0', ['--fail-samples', '0'], /--fail-samples must be an integer from 1/],
      ['--confirm-cycles 0', ['--confirm-cycles', '0'], /--confirm-cycles must be an integer from 1/],
      ['--min-ready -1', ['--repair', '--min-ready=-1'], /--min-ready must be an integer from 0/],
      // selectors and names
      ['-l empty', ['-l', ''], /--selector "": must not be empty/],
      ['-l a=b=c', ['-l', 'a=b=c'], /--selector "a=b=c": cannot parse/],
      ['-l unbalanced', ['-l', 'app in (a'], /unbalanced parentheses/],
      ['-l bad key', ['-l', '-x=y'], /key "-x"/],
      ['-n Kube-System', ['-n', 'Kube-System'], /--namespace must be a namespace name/],
      ['-n a.b', ['-n', 'a.b'], /--namespace must be a namespace name/],
      ['--probe-namespace empty', ['--probe-namespace', ''], /--probe-namespace must be a namespace name/],
      ['--service Bad_Name', ['--service', 'Bad_Name'], /--service must be a Kubernetes name/],
      ['--image-pull-secret UPPER', ['--image-pull-secret', 'UPPER'], /--image-pull-secret must be a Kubernetes name/],
      ['--context empty', ['--context', ''], /--context must name contexts/],
      ['--context unknown', ['--context', 'nope'], /context "nope" not found/],
      // other flags
      ['--probe-image empty', ['--probe-image', ''], /--probe-image must be an image reference such as node:22-alpine, got ""/],
      ['--probe-image with a space', ['--probe-image', 'node 22'], /--probe-image must be an image reference/],
      ['--junit a directory', ['--junit', sim.dir], /--junit .* is a directory: pass a file name/],
      // kubeconfig: what client-node would only fail on at the first request, named by its field
      ['kubeconfig: http:// server', ['--kubeconfig', kubeconfig('http.kubeconfig', (t) => t.replace('server: https://', 'server: http://'))], /clusters\[\]\.cluster\.server "http:\/\/[^"]+" is not an https:\/\/ URL/],
      ['kubeconfig: malformed server', ['--kubeconfig', kubeconfig('url.kubeconfig', (t) => t.replace('server: https://', 'server: https//'))], /clusters\[\]\.cluster\.server "https\/\/[^"]+" is not a URL/],
      ['kubeconfig: CA data not a certificate', ['--kubeconfig', kubeconfig('ca.kubeconfig', (t) => t.replace(/certificate-authority-data: \S+/, `certificate-authority-data: ${Buffer.from('not a certificate').toString('base64')}`))], /clusters\[\]\.cluster\.certificate-authority-data is not a base64-encoded PEM certificate/],
      ['--transports quic', ['--transports', 'quic'], /--transports must be udp, tcp or udp,tcp/],
      ['--external-name bad', ['--external-name', 'bad!name'], /--external-name must be a DNS name/],
      ['--external-name with --no-external', ['--external-name', 'a.example', '--no-external'], /contradict/],
      ['-o xml', ['-o', 'xml'], /argument 'xml' is invalid/],
      ['--dry-run without --repair', ['--dry-run'], /--dry-run only applies with --repair/],
      ['--toleration bad', ['--toleration', ':Bad'], /--toleration must be key\[=value\]\[:Effect\]/],
      ['--node-selector bad', ['--node-selector', 'novalue'], /--node-selector must be key=value/],
      ['unknown flag', ['--colour'], /unknown option '--colour'/],
      // config files
      ['config: missing file', ['--config', '/nonexistent/sentinel.yaml'], /sentinel\.yaml: cannot read it \(ENOENT\)/],
      ['config: not YAML', ['--config', file('notyaml.yaml', 'checks: [')], /notyaml\.yaml: not valid YAML/],
      ['config: no apiVersion', ['--config', file('noapi.yaml', 'samples: 3\n')], /noapi\.yaml: apiVersion missing/],
      ['config: unknown key', ['--config', file('key.yaml', `${V}timeoutMs: 500\n`)], /key\.yaml: unknown field "timeoutMs"/],
      ['config: timeout 600h', ['--config', file('long.yaml', `${V}timeout: 600h\n`)], /long\.yaml: timeout must be from 1ms to 30s/],
      ['config: A 999.1.1.1', ['--config', file('a4.yaml', `${V}checks: ["x.example A 999.1.1.1"]\n`)], /can never be an answer of a A record/],
      ['config: A fd00::1', ['--config', file('a6.yaml', `${V}checks: ["x.example A fd00::1"]\n`)], /not an IPv4 address/],
      ['config: AAAA fe80::1%eth0', ['--config', file('zone.yaml', `${V}checks: ["x.example AAAA fe80::1%eth0"]\n`)], /"fe80::1%eth0", which can never be an answer of a AAAA record \(an IPv6 address with a zone index\)/],
      ['config: nested 2000 deep', ['--config', file('nested.yaml', nested(2000))], /nested\.yaml: nested more than 32 levels deep/],
      ['config: nested 600 deep', ['--config', file('nested600.yaml', nested(600))], /nested600\.yaml: nested more than 32 levels deep/],
      ['config: 196 extra checks', ['--config', file('many.yaml', `${V}checks:\n${'  - x.example A\n'.repeat(196)}`)], /at most 180 checks/],
      ['config: a 300 KiB plan', ['--config', file('huge.yaml', hugeAnswers)], /the check plan cannot run: the plan is 30\d KiB, more than the 252 KiB a probe pod can carry/],
      // kubeconfig: a credential plugin failing with secrets on stderr (no heuristic recognizes them): never echoed
      ['kubeconfig: plugin fails, secrets on stderr', ['--kubeconfig', pluginKubeconfig('secret-stderr', 'echo "refresh_token=SecretAlphaOnlyTokenValue password Hunter2x" >&2\nexit 1')],
        /^(?!.*(?:SecretAlpha|Hunter2x|refresh_token|password)).*exec credential plugin "\S+secret-stderr\.sh" of user "\S+" failed \(exit code 1\) — /],
    ];
  };

  it('at least 40 cases, each exit 2 with one line on stderr, no warning, no stack, no write request', async () => {
    const all = cases();
    assert.ok(all.length >= 40, `${all.length} cases`);
    const failures: string[] = [];
    for (let i = 0; i < all.length; i += 4) {
      const batch = all.slice(i, i + 4);
      const before = sim.requests.length;
      const runs = await Promise.all(batch.map(([, args]) => cli(['check', '--kubeconfig', sim.kubeconfigPath, ...args])));
      // SelfSubjectAccessReviews are creates that change nothing: auto mode's questions.
      const writes = sim.requests.slice(before).filter((r) => WRITES.has(r.verb) && r.resource !== 'selfsubjectaccessreviews');
      if (writes.length) failures.push(`${batch.map(([n]) => n).join(', ')}: write requests ${writes.map((w) => `${w.verb} ${w.resource}`).join(', ')}`);
      runs.forEach((run, j) => {
        const [name, , expected] = batch[j]!;
        const lines = run.stderr.trimEnd().split('\n');
        if (run.code !== 2) failures.push(`${name}: exit ${run.code}, stderr ${JSON.stringify(run.stderr.slice(0, 300))}`);
        else if (lines.length !== 1 || !expected.test(lines[0]!)) failures.push(`${name}: stderr ${JSON.stringify(run.stderr.slice(0, 300))}`);
        else if (/Warning|\n\s+at /.test(run.stderr)) failures.push(`${name}: warning or stack in ${JSON.stringify(run.stderr)}`);
      });
    }
    assert.deepEqual(failures, []);
  });

  it('cleanup: a bad --probe-namespace or kubeconfig, same rules', async () => {
    const before = sim.requests.length;
    const runs = await Promise.all([
      ['--probe-namespace', 'Bad_NS'],
      ['--probe-namespace', ''],
      ['--kubeconfig', kubeconfig('cleanup-http.kubeconfig', (t) => t.replace('server: https://', 'server: http://'))],
    ].map((args) => cli(['cleanup', '--kubeconfig', sim.kubeconfigPath, ...args])));
    for (const run of runs) {
      assert.equal(run.code, 2, run.stderr + run.stdout);
      assert.equal(run.stderr.trimEnd().split('\n').length, 1, run.stderr);
      assert.equal(run.stdout, '');
    }
    assert.match(runs[0]!.stderr, /--probe-namespace must be a namespace name .*got "Bad_NS"/);
    assert.match(runs[2]!.stderr, /is not an https:\/\/ URL/);
    assert.deepEqual(sim.requests.slice(before), [], 'not one request');
  });

  it('watch: bad loop flags, same rules', async () => {
    const before = sim.requests.length;
    const runs = await Promise.all([
      ['--interval', '0'],
      ['--interval', '25h'],
      ['--max-cycles', '0'],
      ['--metrics-addr', 'nonsense'],
    ].map((args) => cli(['watch', '--kubeconfig', sim.kubeconfigPath, ...args])));
    for (const run of runs) {
      assert.equal(run.code, 2, run.stderr);
      assert.equal(run.stderr.trimEnd().split('\n').length, 1, run.stderr);
    }
    assert.match(runs[0]!.stderr, /--interval must be from 1s to 24h/);
    assert.deepEqual(sim.requests.slice(before).filter((r) => WRITES.has(r.verb) && r.resource !== 'selfsubjectaccessreviews'), []);
  });
});
