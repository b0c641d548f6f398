import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../common/logger.ts';
import { credentialError } from './config.ts';
import { boundExecPlugin, PluginFailure } from './plugin.ts';

/** The process exists and is not a zombie (which a container's init may never reap). */
const alive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/** A KubeConfig whose user gets its credentials from `script` (a shell script), bounded to `timeoutMs`. */
function withPlugin(dir: string, script: string, timeoutMs: number, log: Logger): KubeConfig {
  const command = join(dir, 'plugin.sh');
  writeFileSync(command, `#!/bin/sh\n${script}\n`, { mode: 0o700 });
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }],
    users: [{ name: 'u', exec: { apiVersion: 'client.authentication.k8s.io/v1', command, interactiveMode: 'Never' } }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  boundExecPlugin(kc, command, { timeoutMs, log });
  return kc;
}

const recorder = () => {
  const debug: string[] = [];
  const log: Logger = { error() {}, warn() {}, info() {}, debug: (m) => void debug.push(m) };
  return { log, debug };
};

describe('kube: the exec credential plugin, bounded', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sentinel-plugin-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a plugin that hangs (and its child) is killed after the timeout: exit 3, one line naming the plugin and what to do', async () => {
    const pids = join(dir, 'pids');
    // The plugin starts a child that would outlive a plain kill of the plugin, then waits forever.
    const { log } = recorder();
    const kc = withPlugin(dir, `sleep 300 &\necho "$$ $!" > ${pids}\nwait`, 500, log);
    const started = Date.now();
    const err = await kc.applyToHTTPSOptions({}).then(() => undefined, (e: unknown) => e);
    const took = Date.now() - started;
    assert.ok(err instanceof PluginFailure && err.why === 'timeout', String(err));
    assert.ok(took >= 450 && took < 3_000, `took ${took} ms`);
    const [plugin, child] = readFileSync(pids, 'utf8').trim().split(' ').map(Number);
    for (let i = 0; i < 50 && (alive(plugin!) || alive(child!)); i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual([alive(plugin!), alive(child!)], [false, false], 'the plugin and its child are gone');
    const line = credentialError(err, kc);
    assert.equal(line?.kind, 'unauthorized', 'exit 3');
    assert.match(line!.line, /^get credentials: exec credential plugin "\S+plugin\.sh" of user "u" did not finish within 0\.5 s; its process group was killed — run the plugin by hand/);
  });

  it('a failing plugin: its stderr never in the error, only in the debug log', async () => {
    const secrets = ['refresh_token=SecretAlphaOnlyTokenValue', 'password Hunter2x'];
    const { log, debug } = recorder();
    const kc = withPlugin(dir, `echo "could not refresh: ${secrets[0]}, ${secrets[1]}" >&2\nexit 1`, 5_000, log);
    const err = await kc.applyToHTTPSOptions({}).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof PluginFailure && err.why === 'exit', String(err));
    const line = credentialError(err, kc)!;
    assert.equal(line.kind, 'config', 'exit 2');
    assert.match(line.line, /^exec credential plugin "\S+plugin\.sh" of user "u" failed \(exit code 1\) — .*--log-level debug/);
    for (const s of [...secrets, 'Hunter2x', 'SecretAlpha']) assert.ok(!line.line.includes(s), `the line holds ${s}`);
    assert.equal(debug.length, 1);
    assert.match(debug[0]!, /failed \(exit code 1\); its stderr: could not refresh: refresh_token=SecretAlphaOnlyTokenValue/);
  });

  it('a plugin that prints its ExecCredential in time gives the token', async () => {
    const { log, debug } = recorder();
    const credential = JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'tok' } });
    const kc = withPlugin(dir, `echo '${credential}'`, 5_000, log);
    const opts: { headers?: Record<string, string> } = {};
    await kc.applyToHTTPSOptions(opts);
    assert.equal(opts.headers?.Authorization, 'Bearer tok');
    assert.deepEqual(debug, []);
  });
});
