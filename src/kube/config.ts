// Loads the kubeconfig the way kubectl does (--kubeconfig, else $KUBECONFIG, else ~/.kube/config, else
// in-cluster), without client-node's silent fallback to http://localhost:8080, and checks --context.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeError } from './errors.ts';

export interface ConfigOptions {
  kubeconfig?: string;
  context?: string;
}

const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

const configError = (message: string, hint: string) => new KubeError('config', 0, message, hint);

function load(kc: KubeConfig, opts: ConfigOptions): void {
  if (opts.kubeconfig) {
    if (!existsSync(opts.kubeconfig)) throw configError(`kubeconfig ${opts.kubeconfig} does not exist`, 'pass the path of a readable kubeconfig file');
    kc.loadFromFile(opts.kubeconfig);
    return;
  }
  const fromEnv = process.env.KUBECONFIG;
  const home = join(homedir(), '.kube', 'config');
  if (fromEnv || existsSync(home)) {
    kc.loadFromDefault();
    return;
  }
  if (process.env.KUBERNETES_SERVICE_HOST && existsSync(IN_CLUSTER_TOKEN)) {
    kc.loadFromCluster();
    return;
  }
  throw configError('no kubeconfig found (looked at $KUBECONFIG, ~/.kube/config; not in a pod)', 'pass --kubeconfig FILE or set KUBECONFIG');
}

/** A loaded, validated KubeConfig. Throws KubeError kind 'config' with one clear line. */
export function loadKubeConfig(opts: ConfigOptions): KubeConfig {
  const kc = new KubeConfig();
  try {
    load(kc, opts);
  } catch (err) {
    if (err instanceof KubeError) throw err;
    throw configError(`cannot read kubeconfig: ${(err as Error).message.split('\n')[0]}`, 'fix the kubeconfig file or pass another with --kubeconfig');
  }
  if (opts.context) {
    const names = kc.getContexts().map((c) => c.name);
    if (!names.includes(opts.context))
      throw configError(`context "${opts.context}" not found in the kubeconfig`, `use one of: ${names.join(', ') || '(none)'}`);
    kc.setCurrentContext(opts.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw configError('the kubeconfig has no current context or cluster', 'pass --context NAME or set current-context');
  // client-node's last-resort default; never a real configuration here.
  if (cluster.server === 'http://localhost:8080')
    throw configError('no kubeconfig found (looked at $KUBECONFIG, ~/.kube/config; not in a pod)', 'pass --kubeconfig FILE or set KUBECONFIG');
  return kc;
}
