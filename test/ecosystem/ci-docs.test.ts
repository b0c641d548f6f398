// docs/ci.md: its YAML parses; the RBAC it says to bind is exactly manifests/rbac-check.yaml and
// rbac-repair.yaml with the namespace set (so the docs cannot drift from the manifests the RBAC hints
// name); the jobs' commands use only flags `check` has, in the namespace the RBAC covers, and upload
// the files they write.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { buildProgram } from '../../src/cli/program.ts';

const NS = 'coredns-sentinel';
const doc = readFileSync('docs/ci.md', 'utf8');
const blocks = [...doc.matchAll(/^~~~ yaml\n([\s\S]*?)^~~~$/gm)].map((m) => m[1]!);
const objects = (text: string) => parseAllDocuments(text).map((d) => {
  expect(d.errors, String(d.errors)).to.deep.equal([]);
  return d.toJS() as Record<string, unknown>;
});
const manifest = (file: string) => objects(readFileSync(file, 'utf8').replaceAll('NAMESPACE_OF_PROBES', NS)).filter((o) => o);

interface Workflow {
  jobs: Record<string, { steps: { run?: string; uses?: string; with?: Record<string, unknown> }[] }>;
}
interface GitLabJob {
  script: string[];
  artifacts: { when: string; paths: string[]; reports: { junit: string } };
}

const checkFlags = new Set(buildProgram().commands.find((c) => c.name() === 'check')!.options.flatMap((o) => [o.long, o.short]));

/** The `coredns-sentinel check …` command lines of a script, as flag lists. */
function checkCommands(script: string): string[][] {
  return [...script.matchAll(/coredns-sentinel check ([^\n>]*(?:\n\s+[^\n>]*)*)/g)].map((m) => m[1]!.split(/\s+/).filter((w) => w.startsWith('-')));
}

describe('docs/ci.md', () => {
  it('has the RBAC blocks, the GitHub workflow and the GitLab job, all parsing', () => {
    expect(blocks).to.have.length(4);
    blocks.forEach(objects);
  });

  it('the RBAC to bind is manifests/rbac-check.yaml, then rbac-repair.yaml, with the namespace set', () => {
    const [check, repair] = [objects(blocks[0]!), objects(blocks[1]!)];
    expect(check.slice(0, 2).map((o) => o.kind)).to.deep.equal(['Namespace', 'Secret']);
    expect((check[1] as { metadata: { annotations: Record<string, string> } }).metadata.annotations['kubernetes.io/service-account.name']).to.equal('coredns-sentinel-check');
    const stale = 'docs/ci.md is behind the manifests: run node scripts/ci-rbac.mjs';
    expect(check.slice(2), stale).to.deep.equal(manifest('manifests/rbac-check.yaml'));
    expect(repair, stale).to.deep.equal(manifest('manifests/rbac-repair.yaml'));
  });

  it('GitHub Actions: kubeconfig from a secret, a check with known flags, JUnit and artifacts uploaded', () => {
    const wf = objects(blocks[2]!)[0] as unknown as Workflow;
    const steps = wf.jobs['coredns-sentinel']!.steps;
    const script = steps.map((s) => s.run ?? '').join('\n');
    expect(script).to.contain('echo "KUBECONFIG=$RUNNER_TEMP/kubeconfig" >> "$GITHUB_ENV"');
    expect(JSON.stringify(steps)).to.contain('secrets.KUBECONFIG_DATA');
    const commands = checkCommands(script);
    expect(commands).to.have.length(1);
    for (const f of commands[0]!) expect(checkFlags, f).to.include(f);
    expect(script).to.contain(`--probe-namespace ${NS}`);
    const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))!;
    expect(upload.with!.path).to.equal('reports/');
    expect(steps.find((s) => s.uses?.startsWith('mikepenz/action-junit-report'))!.with!.report_paths).to.equal('reports/coredns-sentinel.xml');
    expect(script).to.contain('--junit reports/coredns-sentinel.xml');
  });

  it('GitLab CI: the File variable KUBECONFIG, a check with known flags, the JUnit report and artifacts', () => {
    const job = (objects(blocks[3]!)[0] as Record<string, GitLabJob>)['coredns-sentinel']!;
    const script = job.script.join('\n');
    const commands = checkCommands(script);
    expect(commands).to.have.length(1);
    for (const f of commands[0]!) expect(checkFlags, f).to.include(f);
    expect(commands[0]).to.include.members(['--repair', '--junit', '--pushgateway', '--pushgateway-job', '--pushgateway-label']);
    expect(job.artifacts.when).to.equal('always');
    expect(job.artifacts.reports.junit).to.equal('reports/coredns-sentinel.xml');
    expect(job.artifacts.paths).to.include('reports/');
    expect(doc).to.match(/type \*\*File\*\* named `KUBECONFIG`/);
  });
});
