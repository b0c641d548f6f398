// Running the built CLI (dist/cli.js) from the end-to-end suites: spawn it asynchronously (the sim's API
// server runs in the test process and must keep serving), collect its output, parse `-o json`.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from '../../src/kube/index.ts';
import { PROBE_SELECTOR } from '../../src/probepod/spec.ts';
import type { CheckOutput } from '../../src/report/index.ts';
import { OUTPUT_API_VERSION } from '../../src/report/index.ts';
import { expectValidOutput } from '../schema/validate.ts';
import type { DoctorReport } from '../../src/modes/doctor.ts';

export const CLI = 'dist/cli.js';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  json?: CheckOutput;
}

/** Builds dist/ once per mocha run (a root hook in each e2e file; esbuild makes repeats cheap). */
export function buildCli(): void {
  const built = spawnSync(process.execPath, ['scripts/build.mjs', '--quiet'], { encoding: 'utf8' });
  assert.equal(built.status, 0, built.stderr);
}

export function startCli(args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Waits for the CLI to exit; `json` is set when stdout is one JSON document. Every CheckReport,
 * FleetReport or DoctorReport read this way is validated against schema/ (a change of the output shape
 * is a schema change).
 */
const DOCTOR_API_VERSION: DoctorReport['apiVersion'] = 'coredns-sentinel/doctor/v1';

export function finish(child: ChildProcess): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d));
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  return new Promise((resolve, reject) =>
    child.on('close', (code) => {
      let json: CheckOutput | undefined;
      try {
        json = JSON.parse(stdout) as CheckOutput;
      } catch {
        json = undefined;
      }
      try {
        const apiVersion = (json as { apiVersion?: unknown } | undefined)?.apiVersion;
        if (apiVersion === OUTPUT_API_VERSION || apiVersion === DOCTOR_API_VERSION) expectValidOutput(json);
      } catch (err) {
        reject(err as Error);
        return;
      }
      resolve({ code, stdout, stderr, ...(json ? { json } : {}) });
    }),
  );
}

export const cli = (args: string[], env?: NodeJS.ProcessEnv): Promise<Run> => finish(startCli(args, env));

/** This tool's probe pods in a namespace (default: the kubeconfig context's) — must always be none. */
export async function probePodsLeft(kubeconfig: string, namespace?: string): Promise<string[]> {
  const { client, contextNamespace } = connect({ kubeconfig });
  return (await client.listPods(namespace ?? contextNamespace, PROBE_SELECTOR)).map((p) => p.name);
}

/** The one line a failed run writes on stderr (asserted to be one). */
export function oneErrorLine(run: Run): string {
  const lines = run.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `stderr has ${lines.length} lines:\n${run.stderr}`);
  return lines[0]!;
}
