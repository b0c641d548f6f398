// Mode `probe-pod` (the default where allowed): short-lived probe pods, the plan run inside them over
// the exec websocket (src/probepod/lifecycle.ts); the signal deletes them and stops.
import type { KubeClient } from '../kube/index.ts';
import { runProbePods, type ProbeRunOptions } from '../probepod/lifecycle.ts';
import type { Prober } from './types.ts';

/** How the probe pods are made, from the flags: everything of a run but its nodes. */
export type ProbePodSettings = Omit<ProbeRunOptions, 'nodes'>;

export function probePodProber(client: KubeClient, settings: ProbePodSettings): Prober {
  return { mode: 'probe-pod', perNode: true, run: (plan, nodes) => runProbePods(client, plan, { ...settings, nodes }) };
}
