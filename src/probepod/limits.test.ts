import assert from 'node:assert/strict';
import { stringify } from 'node:querystring';
import { LIMITS, PLAN_SCHEMA, validatePlan, type CheckPlan } from '../probe/contract.ts';
import { ownerAnnotations } from '../common/owner.ts';
import { SWEEP_ANNOTATIONS } from './lifecycle.ts';
import { MAX_PLAN_BYTES, OTHER_ANNOTATIONS_BYTES, planSizeProblem, PROXY_REQUEST_LINE_BYTES, TOTAL_ANNOTATION_BYTES } from './limits.ts';
import { PLAN_ANNOTATION } from './plan-file.ts';
import { CONTAINER, probeCommand } from './spec.ts';

/** A valid plan of about `kib` KiB: queries whose expected answers are 256 addresses each. */
function planOf(kib: number): CheckPlan {
  const base: CheckPlan = { schema: PLAN_SCHEMA, targets: [{ id: 'service', address: '10.96.0.10', port: 53, kind: 'service', label: 'service kube-dns' }], queries: [], transports: ['udp', 'tcp'], samples: 3, timeoutMs: 2000, concurrency: 16 };
  const answers = (i: number) => Array.from({ length: 256 }, (_, j) => `10.${i % 250}.${j}.1`);
  const plan = { ...base, queries: [] as CheckPlan['queries'] };
  for (let i = 0; Buffer.byteLength(JSON.stringify(plan)) < kib * 1024; i++) plan.queries.push({ id: `q${i}`, name: `h${i}.example.com`, type: 'A', expect: { include: answers(i) } });
  return plan;
}

describe('probe pod limits', () => {
  it('plans of 50, 100 and 150 KiB fit a probe pod; 300 KiB does not, said with its size and the limit', () => {
    for (const kib of [50, 100, 150]) {
      const plan = planOf(kib);
      assert.equal(validatePlan(plan), null, `${kib} KiB is a valid plan`);
      assert.equal(planSizeProblem(plan), null, `${kib} KiB`);
    }
    assert.match(planSizeProblem(planOf(300)) ?? '', /^the plan is 30\d KiB, more than the 252 KiB a probe pod can carry \(Kubernetes allows a pod 256 KiB of annotations\)$/);
    assert.equal(planSizeProblem(planOf(MAX_PLAN_BYTES / 1024 - 2)), null, 'up to the limit');
  });

  it('the limit leaves room for every other annotation of the pod; the probe itself takes larger plans', () => {
    // The longest values they can have: a 16-digit boot digest, a 32-bit pid, a 64-bit start time.
    const owner = ownerAnnotations({ boot: 'f'.repeat(16), pid: 2 ** 31, pidStart: '9'.repeat(20) });
    const sweep = Object.fromEntries(Object.values(SWEEP_ANNOTATIONS).map((k) => [k, '9'.repeat(10)]));
    const others = Object.entries({ ...owner, ...sweep }).reduce((n, [k, v]) => n + k.length + v.length, PLAN_ANNOTATION.length);
    assert.ok(others <= OTHER_ANNOTATIONS_BYTES, `${others} bytes`);
    assert.equal(MAX_PLAN_BYTES + OTHER_ANNOTATIONS_BYTES, TOTAL_ANNOTATION_BYTES);
    assert.ok(MAX_PLAN_BYTES < LIMITS.planBytes);
  });

  it('the exec request is the same few hundred bytes whatever the plan, far below what proxies accept', () => {
    for (const image of ['node:22-alpine', 'ghcr.io/coredns-sentinel/probe:1.0']) {
      // As src/kube/exec.ts builds it.
      const query = stringify({ command: probeCommand(image), container: CONTAINER, stdin: false, stdout: true, stderr: true, tty: false });
      const line = `GET /api/v1/namespaces/${'n'.repeat(63)}/pods/coredns-sentinel-probe-0123abcd/exec?${query} HTTP/1.1`;
      assert.ok(line.length < PROXY_REQUEST_LINE_BYTES / 8, `${image}: ${line.length} bytes`);
    }
  });
});
