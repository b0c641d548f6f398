// The coredns-sentinel command tree (commander). Each command: options → validate (one-line errors,
// exit 2, nothing in the cluster changed) → complete (kubeconfig, config file) → run the engine → print.
// Help texts quote src/common/defaults.ts, so they cannot drift from what runs. src/cli/main.ts runs it.
import { Command, Option } from 'commander';
import pkg from '../../package.json' with { type: 'json' };
import { DEFAULTS, formatDuration } from '../common/defaults.ts';
import { cleanupProbePods, failureOf } from '../engine/index.ts';
import { check } from './check.ts';
import { CHECK_DEFAULTS, namespaceName, type RawCheckFlags } from './options.ts';
import { EXIT } from '../common/exit-codes.ts';
import { watchCommand } from './watch.ts';
import { doctorCommand } from './doctor.ts';
import { addCiOptions, type RawCiFlags } from './ci.ts';
import { completionCommand } from './completion.ts';
import { say, tell, tellFailure } from './write.ts';
import { MODES } from '../modes/types.ts';

const R = DEFAULTS.repair;

const collect = (value: string, previous: string[]) => [...previous, value];

function addConnectionFlags(cmd: Command): Command {
  return cmd
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--context <name>', 'kubeconfig context to use');
}

/** check's --help in topics; watch and doctor take the topics that apply to them (FLEET_FLAGS aside). */
export const HELP_GROUPS = {
  cluster: 'Cluster:',
  workload: 'DNS workload (default: found):',
  mode: 'Mode (docs/modes.md):',
  probePod: 'Probe pod:',
  checks: 'What is checked (docs/checks.md):',
  judgment: 'Judgment:',
  output: 'Output and logs:',
  repair: 'Repair (docs/repair.md):',
} as const;

/** Flags of `check` with several contexts only. */
export const FLEET_FLAGS: readonly string[] = ['--all-contexts', '--parallel'];

function checkCommand(): Command {
  const cmd = new Command('check').description('probe cluster DNS once from a short-lived pod and report which target is unhealthy; changes nothing else');
  cmd
    .optionsGroup(HELP_GROUPS.cluster)
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--context <names>', 'kubeconfig context; several (a,b or repeated) check each cluster (check only)', collect, [])
    .option('--all-contexts', 'check: every context of the kubeconfig, one row per cluster')
    .option('--parallel <n>', `check with several contexts: clusters checked at once (default ${DEFAULTS.fleetParallel})`)
    .option('--request-timeout <duration>', 'bound on each ordinary API request', CHECK_DEFAULTS.requestTimeout)
    .optionsGroup(HELP_GROUPS.workload)
    .option('-n, --namespace <ns>', 'namespace of the DNS workload (default: found — the Service of the pods\' nameserver, or the distributions\' names: kube-system, openshift-dns …)')
    .option('-l, --selector <selector>', 'label selector of the DNS pods (default: the DNS Service\'s selector)')
    .option('--service <name>', 'DNS Service name (default: found, e.g. kube-dns, dns-default); "" probes the pods only')
    .option('--configmap <name>', 'ConfigMap holding the Corefile (default: the one the DNS pods mount)')
    .optionsGroup(HELP_GROUPS.mode)
    .option('--mode <mode>', `how the queries are sent: ${MODES.join(', ')} (default ${DEFAULTS.modes.mode}; docs/modes.md)`)
    .option('--dns-address <ip:port>', 'direct mode: also probe this address as the Service, e.g. a NodePort (repeatable)', collect, [])
    .optionsGroup(HELP_GROUPS.probePod)
    .option('--probe-namespace <ns>', 'namespace for the probe pod (default: the context namespace)')
    .option('--probe-image <image>', `probe pod image: a node image (probe passed inline) or ghcr.io/coredns-sentinel/probe:TAG (default: ${CHECK_DEFAULTS.probeImage}, or this release's ghcr.io/coredns-sentinel/probe when its registry rate-limits or is unreachable)`)
    .option('--probe-nodes <n>', 'probe from N distinct DNS-pod nodes (first is primary, others corroborate), or "all": every schedulable node, a node × target matrix', CHECK_DEFAULTS.probeNodes)
    .option('--pod-timeout <duration>', 'time allowed for the probe pod to start', CHECK_DEFAULTS.podTimeout)
    .option('--image-pull-secret <name>', 'image pull secret for the probe pod (repeatable)', collect, [])
    .option('--node-selector <k=v>', 'node selector for the probe pod (repeatable)', collect, [])
    .option('--toleration <key[=value][:Effect]>', 'toleration for the probe pod (repeatable)', collect, [])
    .optionsGroup(HELP_GROUPS.checks)
    .option('--samples <n>', `samples per target, query and transport (default ${DEFAULTS.plan.samples})`)
    .option('--timeout <duration>', `per-query timeout, e.g. 500ms or 2s (default ${formatDuration(DEFAULTS.plan.timeoutMs)})`)
    .option('--transports <list>', `udp, tcp or udp,tcp (default ${DEFAULTS.plan.transports.join(',')})`)
    .option('--external-name <name>', `a name outside the cluster that must resolve (default ${DEFAULTS.plan.externalName})`)
    .option('--no-external', 'skip the external name check (air-gapped clusters)')
    .option('--no-default-checks', 'only the config file\'s checks: none of the cluster, external, stub, zone and hosts checks (docs/checks.md)')
    .option('--skip-checks <groups>', 'leave out check groups: cluster, external, stub, zone, hosts (comma-separated)')
    .option('--ip-family <family>', 'address families probed on dual-stack pods and Services: ipv4, ipv6 or both (default both)')
    .option('--sample-services <n>', 'also check up to N real Services of each kind (A, headless A, CNAME, SRV, PTR; 0–10, default 0; manifests/rbac-sample.yaml)')
    .option('--cluster-domain <domain>', 'the cluster domain, instead of the one the Corefile names')
    .option('--client-view', `also resolve ${DEFAULTS.clientView.shortName} through the probe pod's resolv.conf and send ${DEFAULTS.clientView.pairs} A+AAAA pairs per target as glibc does (catches the conntrack race; never a restart)`)
    .option('--no-freshness', 'skip the freshness canary (a short-lived Service every pod must resolve; catches stale Kubernetes watches)')
    .option('--config <file>', 'YAML config file with extra checks and defaults')
    .optionsGroup(HELP_GROUPS.judgment)
    .option('--fail-samples <k>', 'a check fails when at least k of its samples fail (default: a majority)')
    .option('--confirm-cycles <m>', `failing cycles in a row before a target counts as failing (history needs --repair; default ${DEFAULTS.judge.confirmCycles})`)
    .option('--latency-threshold <duration>', `answers slower than this count as failed: classification slow, a restart only for a pod much slower than its peers (default ${DEFAULTS.judge.udpLatencyThresholdMs}ms, UDP answers only)`)
    .optionsGroup(HELP_GROUPS.output)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']).default(CHECK_DEFAULTS.output))
    .addOption(new Option('--log-format <format>', 'log format on stderr').choices(['text', 'json']).default(CHECK_DEFAULTS.logFormat))
    .addOption(new Option('--log-level <level>', 'log level').choices(['error', 'warn', 'info', 'debug']).default(CHECK_DEFAULTS.logLevel))
    .optionsGroup(HELP_GROUPS.repair)
    .option('--repair', 'restart CoreDNS pods that are sick and safely repairable (see docs/repair.md)')
    .option('--dry-run', 'with --repair: print exactly what would be done and change nothing')
    .addOption(new Option('--restart-method <method>', `with --repair: how to restart a pod (default ${R.method})`).choices(['evict', 'delete', 'rollout']))
    .option('--max-unavailable <n>', `with --repair: pods unavailable at once, counting those not Ready or answering no DNS; restarting one that answers no DNS never counts against it (default ${R.maxUnavailable})`)
    .option('--min-ready <n>', 'with --repair: serving pods (Ready and answering DNS) that must remain (default replicas - max-unavailable, at least 1)')
    .option('--cooldown <duration>', `with --repair: no second restart of a pod lineage within this time (default ${formatDuration(R.cooldownMs)})`)
    .option('--restart-budget <N/duration>', `with --repair: at most N restarts per window (default ${R.budget}/${formatDuration(R.windowMs)})`)
    .option('--escalate-after <n>', `with --repair: escalate when the same failure returns after n restarts (default ${R.escalateAfter})`)
    .option('--allow-full-restart', 'with --repair: allow restarts when every pod fails from every probe')
    .option('--allow-single-replica', 'with --repair: allow restarting the only pod of a 1-replica Deployment')
    .option('--repair-timeout <duration>', `with --repair: bound on each restart until its replacement is Ready (default ${formatDuration(R.timeoutMs)})`)
    .option('--silent-grace-period <duration>', `with --repair: grace period for a pod that answers no DNS at all (default ${formatDuration(R.silentGraceSeconds * 1000)}; its lameduck serves no one)`)
    .option('--no-quarantine', 'with --repair: leave a pod that answers no DNS in rotation when its restart is refused, instead of relabelling it out of the Service')
    .option('--quarantine-ttl <duration>', `with --repair: delete a pod taken out of rotation after this, if no healthy cycle did before (default ${formatDuration(R.quarantine.ttlMs)})`)
    // The behaviour before the timeline, for bench:chaos's comparison only.
    .addOption(new Option('--no-timeline').hideHelp())
    .action(async (raw: RawCheckFlags & RawCiFlags) => {
      process.exitCode = await check(raw);
      // Requests abandoned by the interrupted run (a watch, an exec stream) must not hold the exit.
      if (process.exitCode === EXIT.interrupted) process.exit(EXIT.interrupted);
    });
  return cmd;
}

function cleanupCommand(): Command {
  const cmd = new Command('cleanup').description("delete this tool's probe pods and freshness canaries left by interrupted runs (what check does first); --all: every one of them");
  addConnectionFlags(cmd)
    .option('--probe-namespace <ns>', 'namespace of the probe pods (default: the context namespace)')
    .option('--all', 'delete every probe pod and canary Service of this tool, also those of runs still going (they are interrupted)')
    .action(async (raw: { kubeconfig?: string; context?: string; probeNamespace?: string; all?: boolean }) => {
      try {
        if (raw.probeNamespace !== undefined) namespaceName(raw.probeNamespace, '--probe-namespace');
        if (raw.all) process.stderr.write('warning: --all deletes every probe pod and canary Service of coredns-sentinel here; a run in progress loses its probe and fails\n');
        const { namespace, deleted, canaries } = await cleanupProbePods(raw);
        const stale = raw.all ? '' : 'stale ';
        say(deleted.length ? `deleted ${deleted.length} ${stale}probe pod(s) in ${namespace}: ${deleted.join(', ')}\n` : `no ${stale}probe pods in ${namespace}\n`);
        if (canaries.length) say(`deleted ${canaries.length} ${stale}freshness canary Service(s) in ${namespace}: ${canaries.join(', ')}\n`);
        process.exitCode = EXIT.healthy;
      } catch (err) {
        const { exitCode, line } = failureOf(err);
        tell(`error: ${line}\n`);
        process.exitCode = exitCode;
      }
    });
  return cmd;
}

/** commander's own usage errors (unknown flag, bad choice) exit 2 like ours. */
const usageExit = (err: { exitCode: number }) => process.exit(err.exitCode === 0 ? 0 : EXIT.usage);

/** `--log-format json` on the command line, read before commander has parsed it (its errors come first). */
const jsonLogsAsked = (argv: readonly string[]): boolean => argv.some((a, i) => a === '--log-format=json' || (a === '--log-format' && argv[i + 1] === 'json'));

/** commander's usage errors leave as ours do: one line, an error record with --log-format json. */
function ownErrors(cmd: Command): Command {
  return cmd.exitOverride(usageExit).configureOutput({
    outputError: (text, write) => (jsonLogsAsked(process.argv) ? tellFailure({ line: text.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').trim(), exitCode: EXIT.usage }, 'json') : write(text)),
  });
}

/** The whole command tree; parsing it runs the chosen command. */
export const buildProgram = (): Command => new Command('coredns-sentinel')
  .description("keeps a Kubernetes cluster's DNS honest")
  .version(pkg.version)
  .exitOverride(usageExit)
  .addCommand(ownErrors(addCiOptions(checkCommand())))
  .addCommand(ownErrors(watchCommand(checkCommand(), FLEET_FLAGS)))
  .addCommand(ownErrors(cleanupCommand()))
  .addCommand(ownErrors(doctorCommand(checkCommand(), { flags: FLEET_FLAGS, groups: [HELP_GROUPS.judgment, HELP_GROUPS.repair] })))
  .addCommand(ownErrors(completionCommand()));
