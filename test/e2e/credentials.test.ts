// End to end: no credential material in any output. The built CLI runs against the sim with a bearer
// token and with exec credential plugins (one printing an ExecCredential, one printing a raw token, one
// failing while printing the token), in table and -o json, on success, RBAC denial and API error paths;
// every stdout and stderr is searched for the token text. Kubeconfig problems are exit 2 with their cause;
// a plugin that hangs is killed with its children after the request timeout (exit 3).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { startSim, type Sim } from '../sim/index.ts';
import type { PolicyRule } from '../sim/types.ts';
import { simOnly } from './cluster.ts';
import { buildCli, cli, finish, probePodsLeft, startCli, type Run } from './cli.ts';

before(function () {
  this.timeout(60_000);
  buildCli();
});

interface Kubeconfig {
  users: { name: string; user: Record<string, unknown> }[];
  contexts: { name: string; context: Record<string, unknown> }[];
  [key: string]: unknown;
}

/** Everything check needs but pods/exec: the RBAC denial path. */
const NO_EXEC: PolicyRule[] = [
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
  { apiGroups: [''], resources: ['services', 'configmaps'], verbs: ['get'] },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list'] },
];

describe('credentials e2e: no token in any output; kubeconfig problems are exit 2', function () {
  this.timeout(120_000);
  before(function () {
    simOnly(this);
  });
  let sim: Sim;
  let base: Kubeconfig;
  const runs: { label: string; run: Run; secrets: string[] }[] = [];

  const writeKubeconfig = (name: string, user: Record<string, unknown>, edit: (k: Kubeconfig) => void = () => undefined) => {
    const k = structuredClone(base);
    k.users[0]!.user = user;
    edit(k);
    const path = join(sim.dir, `${name}.kubeconfig`);
    writeFileSync(path, stringify(k), { mode: 0o600 });
    return path;
  };
  const plugin = (name: string, script: string) => {
    const path = join(sim.dir, name);
    writeFileSync(path, `#!/bin/sh\n${script}\n`, { mode: 0o700 });
    return { apiVersion: 'client.authentication.k8s.io/v1', command: path, interactiveMode: 'Never' };
  };
  const credential = (token: string) => `echo '${JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token } })}'`;
  const check = (kubeconfig: string, output: 'table' | 'json', extra: string[] = []) =>
    // probe-pod explicitly: the RBAC denial is pods/exec, which auto would route around.
    ['check', '--kubeconfig', kubeconfig, '--mode', 'probe-pod', '-o', output, '--timeout', '500ms', '--samples', '1', ...extra];

  /** Runs the CLI and keeps the run for the final search for secrets. */
  async function run(label: string, args: string[], secrets: string[]): Promise<Run> {
    const r = await cli(args);
    runs.push({ label, run: r, secrets });
    return r;
  }

  before(async () => {
    sim = await startSim({ dns: { replicas: 2 } });
    await sim.waitReady(30_000);
    base = parse(readFileSync(sim.kubeconfigPath, 'utf8')) as Kubeconfig;
  });

  after(async () => {
    await sim?.stop();
  });

  afterEach(async () => {
    sim.faults.clear();
    assert.deepEqual(await probePodsLeft(sim.kubeconfigPath), [], 'a probe pod was left behind');
  });

  for (const output of ['table', 'json'] as const) {
    it(`-o ${output}: token and ExecCredential plugin — success, RBAC denial, API error`, async () => {
      const admin = sim.admin.token;
      const denied = sim.addUser(`no-exec-${output}`, NO_EXEC);
      const kubeconfigs = {
        token: writeKubeconfig(`token-${output}`, { token: admin }),
        tokenDenied: writeKubeconfig(`token-denied-${output}`, { token: denied.token }),
        plugin: writeKubeconfig(`plugin-${output}`, { exec: plugin(`cred-${output}.sh`, credential(admin)) }),
        pluginDenied: writeKubeconfig(`plugin-denied-${output}`, { exec: plugin(`cred-denied-${output}.sh`, credential(denied.token)) }),
      };
      const secrets = [admin, denied.token];
      for (const auth of ['token', 'plugin'] as const) {
        const ok = await run(`${auth} success ${output}`, check(kubeconfigs[auth], output, ['--log-level', 'debug']), secrets);
        assert.equal(ok.code, 0, ok.stderr);

        const rbac = await run(`${auth} RBAC ${output}`, check(kubeconfigs[`${auth}Denied`], output), secrets);
        assert.equal(rbac.code, 3, rbac.stderr);
        assert.match(rbac.stderr, /^error: .*missing RBAC: grant get and create on pods\/exec in namespace default \(Role coredns-sentinel-check-probe in manifests\/rbac-check\.yaml\)$/m);

        const fault = sim.faults.api({ verb: 'list', resource: 'pods', namespace: 'kube-system', status: 500 });
        const apiError = await run(`${auth} API error ${output}`, check(kubeconfigs[auth], output), secrets);
        sim.faults.clearApi(fault);
        assert.equal(apiError.code, 3, apiError.stderr);
        assert.match(apiError.stderr, /^error: list pods in namespace kube-system: the API server failed \(HTTP 500\)/m);
      }
    });

    it(`-o ${output}: plugins printing a raw token or failing with it → exit 2 naming the plugin, never the token`, async () => {
      const raw = randomBytes(24).toString('hex');
      const rawPlugin = writeKubeconfig(`raw-${output}`, { exec: plugin(`raw-${output}.sh`, `echo '${raw}'`) });
      // Secrets no heuristic recognizes: the plugin's stderr is not echoed at all.
      const said = ['refresh_token=SecretAlphaOnlyTokenValue', 'password Hunter2x'];
      const failing = writeKubeconfig(`failing-${output}`, { exec: plugin(`failing-${output}.sh`, `echo '${raw}'\necho "could not refresh ${raw}; ${said.join('; ')}" >&2\nexit 1`) });
      const printed = await run(`raw token ${output}`, check(rawPlugin, output), [raw]);
      assert.equal(printed.code, 2, printed.stderr);
      assert.match(printed.stderr, /^error: exec credential plugin ".*raw-\w+\.sh" of user "\S+" printed no ExecCredential JSON on stdout — /m);
      const failed = await run(`failing plugin ${output}`, check(failing, output), [raw, 'SecretAlphaOnlyTokenValue', 'Hunter2x']);
      assert.equal(failed.code, 2, failed.stderr);
      assert.match(failed.stderr, /^error: exec credential plugin ".*failing-\w+\.sh" of user "\S+" failed \(exit code 1\) — .*--log-level debug/m);
      assert.doesNotMatch(failed.stderr + failed.stdout, /could not refresh|refresh_token|password/);
      // Asked for: --log-level debug logs its stderr (not kept for the search for secrets below).
      const debug = await cli(check(failing, output, ['--log-level', 'debug']));
      assert.equal(debug.code, 2, debug.stderr);
      assert.match(debug.stderr, /exec credential plugin ".*failing-\w+\.sh" failed \(exit code 1\); its stderr: could not refresh/);
    });
  }

  it('a plugin that hangs → exit 3 within the request timeout, one line naming it; the plugin and its child killed', async () => {
    const pids = join(sim.dir, 'hang.pids');
    const hanging = writeKubeconfig('hang', { exec: plugin('hang.sh', `sleep 300 &\necho "$$ $!" > ${pids}\nwait`) });
    const started = Date.now();
    const child = startCli(check(hanging, 'table', ['--request-timeout', '2s']));
    // Bounded here too: before the fix the run never ended.
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const r = await finish(child).finally(() => clearTimeout(killer));
    runs.push({ label: 'hanging plugin', run: r, secrets: [sim.admin.token] });
    assert.equal(r.code, 3, r.stderr);
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    const lines = r.stderr.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^error: get credentials: exec credential plugin ".*hang\.sh" of user "\S+" did not finish within 2 s; its process group was killed — run the plugin by hand/);
    const gone = (pid: number) => {
      try {
        return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return true;
      }
    };
    for (const pid of readFileSync(pids, 'utf8').trim().split(' ').map(Number)) assert.ok(gone(pid), `process ${pid} of the plugin is still running`);
  });

  it('kubeconfig problems: empty, unknown user, unknown cluster, missing plugin → exit 2, one line with the cause', async () => {
    const empty = join(sim.dir, 'empty.kubeconfig');
    writeFileSync(empty, '');
    const cases: [string, string, RegExp][] = [
      ['empty', empty, /kubeconfig \S+empty\.kubeconfig is empty/],
      ['unknown user', writeKubeconfig('ghost-user', { token: sim.admin.token }, (k) => (k.contexts[0]!.context.user = 'ghost')), /context "\S+" names user "ghost", which the kubeconfig does not define/],
      ['unknown cluster', writeKubeconfig('ghost-cluster', { token: sim.admin.token }, (k) => (k.contexts[0]!.context.cluster = 'ghost')), /context "\S+" names cluster "ghost", which the kubeconfig does not define/],
      ['missing plugin', writeKubeconfig('no-plugin', { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'sentinel-no-such-auth-plugin' } }), /exec credential plugin "sentinel-no-such-auth-plugin" of user "\S+" not found on PATH/],
    ];
    for (const [label, kubeconfig, cause] of cases) {
      for (const output of ['table', 'json'] as const) {
        const r = await run(`${label} ${output}`, check(kubeconfig, output), [sim.admin.token]);
        assert.equal(r.code, 2, `${label}: ${r.stderr}`);
        const lines = r.stderr.split('\n').filter(Boolean);
        assert.equal(lines.length, 1, `${label}: ${r.stderr}`);
        assert.match(lines[0]!, cause);
        if (output === 'json') assert.match(String((r.json as { message?: string } | undefined)?.message), cause);
      }
    }
  });

  it('no output of any run above holds a token or its first characters', () => {
    assert.ok(runs.length >= 20, `only ${runs.length} runs`);
    for (const { label, run: r, secrets } of runs)
      for (const secret of secrets)
        for (const needle of [secret, secret.slice(0, 12)])
          assert.ok(!r.stdout.includes(needle) && !r.stderr.includes(needle), `${label}: output holds credential text ${needle.slice(0, 4)}…`);
  });
});
