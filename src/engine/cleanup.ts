// `cleanup`: delete this tool's probe pods and freshness canaries left by interrupted runs (what every
// cycle does first: those whose run is provably dead or past their budgets, src/probepod/lifecycle.ts
// staleReason and src/freshness/canary.ts staleCanaries), or with `all` every probe pod and canary of
// this tool, including those of runs still going.
import { connect } from '../kube/index.ts';
import { sweepStalePods } from '../probepod/lifecycle.ts';
import { sweepCanaries } from '../freshness/canary.ts';

export async function cleanupProbePods(opts: { kubeconfig?: string; context?: string; probeNamespace?: string; all?: boolean }): Promise<{ namespace: string; deleted: string[]; canaries: string[] }> {
  const { client, contextNamespace } = connect({ kubeconfig: opts.kubeconfig, context: opts.context });
  const namespace = opts.probeNamespace ?? contextNamespace;
  const all = opts.all === true;
  const [deleted, canaries] = await Promise.all([sweepStalePods(client, namespace, Date.now(), { all }), sweepCanaries(client, namespace, Date.now(), { all })]);
  return { namespace, deleted, canaries };
}
