// The real limits the probe pod and its exec live under, each with its source, in one place. The plan
// rides in an annotation of the probe pod (plan-file.ts), the probe program of a stock Node image in an
// environment variable (spec.ts), and the exec request carries a fixed command only.
import type { CheckPlan } from '../probe/contract.ts';

/**
 * Linux MAX_ARG_STRLEN (include/uapi/linux/binfmts.h: 32 pages of 4 KiB): the longest single argv or
 * environment string execve accepts; a longer one fails the container's start or the exec with E2BIG.
 * Bounds the inline probe's `SENTINEL_PROBE_JS=<source>`.
 */
export const MAX_ARG_STRLEN = 128 * 1024;

/**
 * Kubernetes' TotalAnnotationSizeLimitB (k8s.io/apimachinery/pkg/api/validation/objectmeta.go): the keys
 * and values of all of an object's annotations together; a create beyond it is refused with 422
 * "metadata.annotations: Too long: must have at most 262144 bytes". Bounds the plan. (The whole pod then
 * stays far below etcd's default --max-request-bytes, 1.5 MiB, and the probe's own 1 MiB plan cap.)
 */
export const TOTAL_ANNOTATION_BYTES = 256 * 1024;

/**
 * Left of TOTAL_ANNOTATION_BYTES for the probe pod's other annotations (its owner, its budgets), the plan
 * annotation's key and the query the freshness canary adds to a plan checked without it (engine/freshness.ts).
 */
export const OTHER_ANNOTATIONS_BYTES = 4 * 1024;

/** The largest plan (its JSON, in bytes) a probe pod carries. */
export const MAX_PLAN_BYTES = TOTAL_ANNOTATION_BYTES - OTHER_ANNOTATIONS_BYTES;

/**
 * The request line authenticating proxies in front of API servers accept (nginx's default
 * large_client_header_buffers 8k; Rancher's and Teleport's proxies are alike); Go's API server itself
 * takes 1 MiB of headers (net/http DefaultMaxHeaderBytes). The exec request's URL names a fixed command
 * whatever the plan, a few hundred bytes.
 */
export const PROXY_REQUEST_LINE_BYTES = 8 * 1024;

/** Why this plan cannot travel in a probe pod, or null. */
export function planSizeProblem(plan: CheckPlan): string | null {
  const bytes = Buffer.byteLength(JSON.stringify(plan));
  return bytes > MAX_PLAN_BYTES
    ? `the plan is ${Math.ceil(bytes / 1024)} KiB, more than the ${MAX_PLAN_BYTES / 1024} KiB a probe pod can carry (Kubernetes allows a pod ${TOTAL_ANNOTATION_BYTES / 1024} KiB of annotations)`
    : null;
}
