// How the plan reaches the probe: as an annotation of the probe pod (the plan is known before the pod
// is created), which a downwardAPI volume shows the container as a file, and the exec runs the probe
// with `--plan-file`. So the exec request is the same few hundred bytes whatever the plan (proxies cap
// request lines near 8 KiB) and no argv string holds the plan (Linux caps one at 128 KiB). Not stdin:
// half-closing it exists only in v5.channel.k8s.io (Kubernetes 1.30+). The limits: limits.ts.
import type { CheckPlan } from '../probe/contract.ts';

export const PLAN_ANNOTATION = 'coredns-sentinel/plan';
/** Where the container sees the plan (the volume's mount point, created by the runtime even on a read-only root). */
export const PLAN_DIR = '/etc/coredns-sentinel';
export const PLAN_FILE = `${PLAN_DIR}/plan.json`;

const VOLUME = 'plan';

export const planAnnotation = (plan: CheckPlan): Record<string, string> => ({ [PLAN_ANNOTATION]: JSON.stringify(plan) });

/** Pod Security "restricted" and OpenShift's restricted-v2 SCC both allow downwardAPI volumes. */
export const PLAN_VOLUME = {
  name: VOLUME,
  downwardAPI: { items: [{ path: 'plan.json', fieldRef: { fieldPath: `metadata.annotations['${PLAN_ANNOTATION}']` } }] },
} as const;

export const PLAN_MOUNT = { name: VOLUME, mountPath: PLAN_DIR, readOnly: true } as const;
