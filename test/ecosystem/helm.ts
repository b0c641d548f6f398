// The chart's tests' helpers: the real helm (scripts/helm.sh), `helm template` and `kubectl kustomize`
// renders as plain objects.
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { run } from './tools.ts';

export const CHART = 'charts/coredns-sentinel';
export const RELEASE = 'coredns-sentinel';
export const NAMESPACE = 'coredns-sentinel';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** The helm binary scripts/helm.sh unpacked (it unpacks it first when missing). */
export function helmBinary(): string {
  const r = run('bash', ['scripts/helm.sh'], { timeout: 120_000 });
  assert.equal(r.status, 0, `scripts/helm.sh: ${r.stderr}`);
  return r.stdout.trim();
}

export const objectsOf = (yaml: string): K8sObject[] => parseAllDocuments(yaml).map((d) => d.toJS() as K8sObject).filter((o) => o?.kind);

/** `helm template` of the chart, by default as release coredns-sentinel in namespace coredns-sentinel. */
export function renderChart(helm: string, args: string[], release = RELEASE, namespace = NAMESPACE): K8sObject[] {
  const r = run(helm, ['template', release, CHART, '--namespace', namespace, ...args]);
  assert.equal(r.status, 0, r.stderr);
  return objectsOf(r.stdout);
}

/** A kustomize overlay of manifests/deploy rendered by the real kubectl. */
export function kustomize(overlay: string): K8sObject[] {
  const r = run('kubectl', ['kustomize', `manifests/deploy/overlays/${overlay}`], { timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  return objectsOf(r.stdout);
}
