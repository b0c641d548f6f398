// `doctor`: the facts behind src/modes/doctor.ts — the API server's version, every access question
// at once, the DNS workload, whether its addresses answer from here, and whether a probe pod with the
// probe image really runs (a short real pod with a one-query plan, only when allowed).
import type { AccessCheck } from '../kube/index.ts';
import type { DnsWorkload } from '../discover/types.ts';
import { buildPlan, resolvePlanOptions } from '../plan/index.ts';
import { readChecks } from '../modes/access.ts';
import { doctorReport, type CheckAnswer, type DoctorFacts, type DoctorReport } from '../modes/doctor.ts';
import { EXIT } from '../common/exit-codes.ts';
import type { CycleContext } from './context.ts';
import { accessScope, discoverDns, routability } from './discover.ts';
import { failureOf } from '../common/errors.ts';
import { probePodProber } from '../modes/probepod.ts';
import { MODE_REGISTRY } from '../modes/registry.ts';
import { modeDeps } from './probers.ts';

const QUIET = { stage: () => {}, done: () => {} };

async function probeImage(ctx: CycleContext, workload: DnsWorkload): Promise<DoctorFacts['probeImage']> {
  const full = buildPlan(workload, resolvePlanOptions(ctx.settings.plan, ctx.config));
  const plan = { ...full, targets: full.targets.slice(0, 1), queries: full.queries.slice(0, 1), transports: ['udp' as const], samples: 1, connects: [] };
  const started = Date.now();
  try {
    const [run] = await probePodProber(ctx.client, modeDeps(ctx, QUIET).probePod).run(plan, []);
    // Without --probe-image the default's registry may have failed and the fallback image served.
    const image = run?.image ?? ctx.settings.probeImage;
    const fellBack = image !== ctx.settings.probeImage && run?.notes?.[0] ? `; ${run.notes[0]}` : '';
    return { ok: true, line: `${image}: a probe pod ran in namespace ${ctx.probeNamespace} (${((Date.now() - started) / 1000).toFixed(1)} s)${fellBack}` };
  } catch (err) {
    return { ok: false, line: `${ctx.settings.probeImage}: ${failureOf(err).line}` };
  }
}

export async function gatherDoctor(ctx: CycleContext): Promise<DoctorReport> {
  const { settings: s, server } = ctx;
  const exit = { ok: EXIT.healthy, cannot: EXIT.cluster };
  const none = { read: [], modes: {} };
  const notAsked = { ok: false, line: 'not tried' };
  let version: string;
  try {
    version = await ctx.client.serverVersion();
  } catch (err) {
    return doctorReport({ server, api: { error: failureOf(err).line }, inCluster: ctx.client.inCluster, access: none, workload: { error: 'not looked for' }, dnsAddresses: s.dnsAddresses.length, probeImage: notAsked }, exit);
  }
  // Discovery first, exactly as check runs it: the access questions and the routability test then
  // concern the workload check would probe (openshift-dns/dns-default on port 5353, RKE2's names …).
  let workload: DnsWorkload | undefined;
  let found: DoctorFacts['workload'];
  try {
    workload = await discoverDns(ctx);
    const ready = workload.pods.filter((p) => p.ready).length;
    const svc = workload.service.clusterIPs.length ? `Service ${workload.service.name} ${workload.service.clusterIPs.join(',')}:${workload.service.port}` : 'no Service IP';
    const podPorts = [...new Set(workload.pods.map((p) => p.ports?.udp ?? workload!.service.port))];
    found = { line: `${workload.namespace}: ${workload.pods.length} pods (${ready} Ready) answering on port ${podPorts.join(',') || workload.service.port}, ${svc}` };
  } catch (err) {
    found = { error: failureOf(err).line };
  }
  const scope = accessScope(ctx, workload);
  // Every question at once: reading the workload, then each mode's own.
  const read = readChecks(scope);
  const byMode = MODE_REGISTRY.map((m) => [m.name, m.access(scope)] as const);
  const answers = await ctx.client.reviewAccess([...read, ...byMode.flatMap(([, checks]) => checks)]);
  let at = 0;
  const answer = (checks: AccessCheck[]): CheckAnswer[] => checks.map((check) => ({ check, allowed: answers[at++] === true }));
  const access = { read: answer(read), modes: Object.fromEntries(byMode.map(([name, checks]) => [name, answer(checks)])) };
  const routable = workload ? await routability(workload) : undefined;
  const mayRunPod = (access.modes['probe-pod'] ?? []).every((a) => a.allowed);
  const image = !workload ? { ok: false, line: 'not tried: no DNS workload to probe' } : mayRunPod ? await probeImage(ctx, workload) : { ok: false, line: 'not tried: no permission to create and exec into a probe pod' };
  return doctorReport({ server, api: { version }, inCluster: ctx.client.inCluster, access, workload: found, ...(routable ? { routable } : {}), dnsAddresses: s.dnsAddresses.length, probeImage: image }, exit);
}
