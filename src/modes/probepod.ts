// Mode `probe-pod` (the default where allowed): short-lived probe pods, the plan run inside them over
// the exec websocket (src/probepod/lifecycle.ts); the signal deletes them and stops.
import { KubeError, type KubeClient } from '../kube/index.ts';
import { runProbePods, type ProbeRunOptions } from '../probepod/lifecycle.ts';
import type { Prober } from './types.ts';

/** How the probe pods are made, from the flags: everything of a run but its nodes. */
export type ProbePodSettings = Omit<ProbeRunOptions, 'nodes'>;

/**
 * OpenShift gives every namespace a UID range (openshift.io/sa.scc.uid-range, e.g. 1000680000/10000)
 * and its restricted-v2 SCC (MustRunAsRange) refuses a pod whose runAsUser lies outside it, assigning
 * one when the pod sets none (docs.openshift.com, "Managing security context constraints"). One get of
 * the probe namespace tells; a user not allowed it gets the fixed UID, as before.
 */
export const SCC_UID_RANGE = 'openshift.io/sa.scc.uid-range';

export async function sccAssignsIds(client: KubeClient, namespace: string): Promise<boolean> {
  try {
    return SCC_UID_RANGE in (await client.namespaceAnnotations(namespace));
  } catch (err) {
    if (err instanceof KubeError && (err.kind === 'forbidden' || err.kind === 'not-found')) return false;
    throw err;
  }
}

export function probePodProber(client: KubeClient, settings: ProbePodSettings): Prober {
  let scc: Promise<boolean> | undefined;
  // Once the fallback image served (the default's registry failed), later cycles start from it.
  let images = { image: settings.image, ...(settings.fallbackImage ? { fallbackImage: settings.fallbackImage } : {}) };
  return {
    mode: 'probe-pod',
    perNode: true,
    run: async (plan, nodes) => {
      const runs = await runProbePods(client, plan, { ...settings, ...images, sccAssignsIds: await (scc ??= sccAssignsIds(client, settings.namespace)), nodes });
      if (images.fallbackImage && runs.some((r) => r.image === images.fallbackImage)) images = { image: images.fallbackImage };
      return runs;
    },
  };
}
