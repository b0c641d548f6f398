// `cleanup`: delete this tool's probe pods that outlived their deadline (what every cycle does first).
import { connect } from '../kube/index.ts';
import { sweepStalePods } from '../probepod/lifecycle.ts';

export async function cleanupProbePods(opts: { kubeconfig?: string; context?: string; probeNamespace?: string }): Promise<{ namespace: string; deleted: string[] }> {
  const { client, contextNamespace } = connect({ kubeconfig: opts.kubeconfig, context: opts.context });
  const namespace = opts.probeNamespace ?? contextNamespace;
  return { namespace, deleted: await sweepStalePods(client, namespace) };
}
