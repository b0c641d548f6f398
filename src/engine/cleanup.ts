// `cleanup`: delete this tool's probe pods left by interrupted runs (what every cycle does first: those
// whose run is provably dead or past their budgets, src/probepod/lifecycle.ts staleReason), or with
// `all` every probe pod of this tool, including those of runs still going.
import { connect } from '../kube/index.ts';
import { sweepStalePods } from '../probepod/lifecycle.ts';

export async function cleanupProbePods(opts: { kubeconfig?: string; context?: string; probeNamespace?: string; all?: boolean }): Promise<{ namespace: string; deleted: string[] }> {
  const { client, contextNamespace } = connect({ kubeconfig: opts.kubeconfig, context: opts.context });
  const namespace = opts.probeNamespace ?? contextNamespace;
  return { namespace, deleted: await sweepStalePods(client, namespace, Date.now(), { all: opts.all === true }) };
}
