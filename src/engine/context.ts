// Completes the settings into what a cycle needs: the API client for the kubeconfig and context, the
// config file's checks, and the probe program to send inline. Throws one-line errors, touches nothing.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connect, type RepairKubeClient } from '../kube/index.ts';
import { ConfigError, parsePlanConfig, type PlanConfig } from '../plan/index.ts';
import { PROBE_ENV, probeImageMode } from '../probepod/spec.ts';
import { MAX_ARG_STRLEN } from '../probepod/limits.ts';
import { UsageError } from '../common/errors.ts';
import { parseResolvConf } from '../probe/clientview.ts';
import type { CheckSettings } from './settings.ts';
import { SILENT_LOGGER, type Logger } from '../common/logger.ts';

export interface CycleContext {
  settings: CheckSettings;
  client: RepairKubeClient;
  /** The API server URL, for messages (doctor). */
  server: string;
  /** The kubeconfig context the cycle runs in (names the JUnit suite). */
  contextName: string;
  probeNamespace: string;
  config?: PlanConfig;
  /** The bundled probe, sent inline when the probe image is a stock Node image. */
  probeSource?: string;
  /** Running in a pod: its resolv.conf's nameserver, the cluster DNS Service IP discovery anchors on. */
  nameserver?: string;
}

function ownNameserver(): string | undefined {
  try {
    return parseResolvConf(readFileSync('/etc/resolv.conf', 'utf8')).nameservers[0];
  } catch {
    return undefined;
  }
}

/** Where the bundled probe is: next to dist/cli.js, or <repo>/dist when running from src via tsx. */
export function probeBundlePath(moduleUrl: string = import.meta.url): string {
  const relative = moduleUrl.endsWith('.ts') ? '../../dist/probe.cjs' : './probe.cjs';
  return fileURLToPath(new URL(relative, moduleUrl));
}

function readConfigFile(file: string): PlanConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parsePlanConfig(text, file);
}

/** `log` is told at debug level what the API client may not print (an exec credential plugin's stderr). */
export function prepareCycle(settings: CheckSettings, log: Logger = SILENT_LOGGER): CycleContext {
  const config = settings.configFile ? readConfigFile(settings.configFile) : undefined;
  let probeSource: string | undefined;
  if (probeImageMode(settings.probeImage) === 'inline') {
    const bundle = probeBundlePath();
    if (!existsSync(bundle)) throw new UsageError('probe bundle not found: run `make build`');
    probeSource = readFileSync(bundle, 'utf8');
    // It travels as one environment string, which execve caps.
    const envBytes = Buffer.byteLength(`${PROBE_ENV}=${probeSource}`) + 1;
    if (envBytes > MAX_ARG_STRLEN) throw new UsageError(`probe bundle ${bundle} is ${Math.ceil(envBytes / 1024)} KiB, more than one environment variable can carry (${MAX_ARG_STRLEN / 1024} KiB): use the dedicated --probe-image`);
  }
  const { client, contextNamespace, contextName, server } = connect({ kubeconfig: settings.kubeconfig, context: settings.context, requestTimeoutMs: settings.requestTimeoutMs, log });
  const nameserver = client.inCluster ? ownNameserver() : undefined;
  return { settings, client, server, contextName, probeNamespace: settings.probeNamespace ?? contextNamespace, ...(config ? { config } : {}), ...(probeSource ? { probeSource } : {}), ...(nameserver ? { nameserver } : {}) };
}
