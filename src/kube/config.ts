// Loads the kubeconfig the way kubectl does (--kubeconfig, else $KUBECONFIG, else ~/.kube/config, else
// in-cluster), without client-node's silent fallback to http://localhost:8080, and checks --context,
// the context's cluster and user, and its exec credential plugin, so that each problem is one
// configuration error (exit 2) with its real cause rather than a TLS error or a crash later.
import { X509Certificate } from 'node:crypto';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { KubeConfig, type User } from '@kubernetes/client-node';
import { KubeError, redact } from './errors.ts';
import { shareAgents } from './agent.ts';
import { boundExecPlugin, PluginFailure } from './plugin.ts';
import { DEFAULTS } from '../common/defaults.ts';
import { SILENT_LOGGER, type Logger } from '../common/logger.ts';

export interface ConfigOptions {
  kubeconfig?: string;
  context?: string;
  /** An exec credential plugin is killed after this (default: the default request timeout). */
  pluginTimeoutMs?: number;
  /** Told at debug level what is never printed otherwise: an exec credential plugin's stderr. */
  log?: Logger;
}

const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

const configError = (message: string, hint: string) => new KubeError('config', 0, message, hint);

/** The file's state, read before client-node (which crashes on an empty file). */
function fileState(path: string): 'missing' | 'empty' | 'ok' {
  if (!existsSync(path)) return 'missing';
  if (statSync(path).isDirectory()) throw configError(`kubeconfig ${path} is a directory`, 'pass the path of a kubeconfig file');
  return readFileSync(path, 'utf8').trim() ? 'ok' : 'empty';
}

const EMPTY_HINT = 'write a kubeconfig into it (e.g. kubectl config view --raw --minify > FILE) or pass another with --kubeconfig';

/** Parsed kubeconfig files by path, size and mtime: a fleet run loads the same file once per context. */
const parsed = new Map<string, { stamp: string; kc: KubeConfig }>();

/** kc.loadFromFile, parsing each unchanged file once per process. */
function loadFile(kc: KubeConfig, file: string): void {
  const st = statSync(file);
  const stamp = `${st.size}:${st.mtimeMs}`;
  let cached = parsed.get(file);
  if (cached?.stamp !== stamp) {
    const fresh = new KubeConfig();
    fresh.loadFromFile(file);
    cached = { stamp, kc: fresh };
    parsed.set(file, cached);
  }
  // Copies of the lists: mergeConfig and setCurrentContext change the instance they are called on.
  const { clusters, contexts, users, currentContext } = cached.kc;
  kc.loadFromOptions({ clusters: [...clusters], contexts: [...contexts], users: [...users], currentContext });
}

/** Loads the files in order, the first one's current-context winning (kubectl's merge of $KUBECONFIG). */
function loadFiles(kc: KubeConfig, files: string[]): void {
  loadFile(kc, files[0]!);
  for (const file of files.slice(1)) {
    const more = new KubeConfig();
    loadFile(more, file);
    kc.mergeConfig(more);
  }
}

function load(kc: KubeConfig, opts: ConfigOptions): void {
  if (opts.kubeconfig) {
    const state = fileState(opts.kubeconfig);
    if (state === 'missing') throw configError(`kubeconfig ${opts.kubeconfig} does not exist`, 'pass the path of a readable kubeconfig file');
    if (state === 'empty') throw configError(`kubeconfig ${opts.kubeconfig} is empty`, EMPTY_HINT);
    loadFile(kc, opts.kubeconfig);
    return;
  }
  const fromEnv = process.env.KUBECONFIG;
  if (fromEnv) {
    // Like kubectl: missing files in the list are skipped; empty ones hold nothing.
    const listed = fromEnv.split(delimiter).filter(Boolean);
    const states = listed.map((f) => [f, fileState(f)] as const);
    const usable = states.filter(([, st]) => st === 'ok').map(([f]) => f);
    if (!usable.length) {
      const empty = states.filter(([, st]) => st === 'empty').map(([f]) => f);
      if (empty.length) throw configError(`kubeconfig ${empty.join(', ')} (from $KUBECONFIG) is empty`, EMPTY_HINT);
      throw configError(`no file listed in $KUBECONFIG exists (${listed.join(delimiter)})`, 'set KUBECONFIG to a kubeconfig file or pass --kubeconfig FILE');
    }
    loadFiles(kc, usable);
    return;
  }
  const home = join(homedir(), '.kube', 'config');
  const homeState = fileState(home);
  if (homeState === 'empty') throw configError(`kubeconfig ${home} is empty`, EMPTY_HINT);
  if (homeState === 'ok') {
    loadFile(kc, home);
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
    // Parser messages may quote the file: keep their first line, without anything token-like.
    throw configError(`cannot read kubeconfig: ${redact((err as Error).message.split('\n')[0] ?? '', [], true)}`, 'fix the kubeconfig file or pass another with --kubeconfig');
  }
  if (opts.context) {
    const names = kc.getContexts().map((c) => c.name);
    if (!names.includes(opts.context))
      throw configError(`context "${opts.context}" not found in the kubeconfig`, `use one of: ${names.join(', ') || '(none)'}`);
    kc.setCurrentContext(opts.context);
  }
  const contextName = kc.getCurrentContext();
  const context = kc.getContextObject(contextName);
  if (!context) throw configError('the kubeconfig has no current context', 'pass --context NAME or run kubectl config use-context NAME');
  const cluster = kc.getCurrentCluster();
  if (!cluster)
    throw configError(`context "${contextName}" names cluster "${context.cluster}", which the kubeconfig does not define`, 'add the cluster to the kubeconfig or fix the context (kubectl config set-context)');
  if (context.user && !kc.getUser(context.user))
    throw configError(`context "${contextName}" names user "${context.user}", which the kubeconfig does not define`, 'add the user to the kubeconfig or fix the context (kubectl config set-context)');
  const plugin = execPluginOf(kc.getCurrentUser());
  if (plugin) {
    checkPluginInstalled(plugin, kc.getCurrentUser()!.name);
    boundExecPlugin(kc, plugin.command, { timeoutMs: opts.pluginTimeoutMs ?? DEFAULTS.requestTimeoutMs, log: opts.log ?? SILENT_LOGGER });
  }
  // client-node's last-resort default; never a real configuration here.
  if (cluster.server === 'http://localhost:8080')
    throw configError('no kubeconfig found (looked at $KUBECONFIG, ~/.kube/config; not in a pod)', 'pass --kubeconfig FILE or set KUBECONFIG');
  const problem = clusterProblem(cluster);
  if (problem) throw configError(`cluster "${cluster.name}" of the kubeconfig: ${problem}`, 'fix the cluster entry (kubectl config set-cluster) or pass another --kubeconfig');
  return shareAgents(kc);
}

const quoted = (s: string) => JSON.stringify(s.slice(0, 100));

/**
 * What client-node would only fail on at the first request, with its library text: a server URL that
 * is not https (every request carries credentials; plain http is for an insecure-skip-tls-verify test
 * server only) and certificate-authority-data that is no PEM certificate. Named by their kubeconfig
 * field. Pure.
 */
export function clusterProblem(cluster: { server: string; caData?: string; skipTLSVerify?: boolean }): string | undefined {
  let url: URL;
  try {
    url = new URL(cluster.server);
  } catch {
    return `clusters[].cluster.server ${quoted(cluster.server)} is not a URL`;
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && cluster.skipTLSVerify)) return `clusters[].cluster.server ${quoted(cluster.server)} is not an https:// URL`;
  if (!url.hostname) return `clusters[].cluster.server ${quoted(cluster.server)} names no host`;
  if (cluster.caData !== undefined) {
    const pem = Buffer.from(cluster.caData, 'base64').toString('utf8');
    try {
      if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate');
      new X509Certificate(pem);
    } catch {
      return 'clusters[].cluster.certificate-authority-data is not a base64-encoded PEM certificate';
    }
  }
  return undefined;
}

/** The kubeconfig's context names, in file order (for --all-contexts). Throws KubeError kind 'config'. */
export function contextNames(opts: Pick<ConfigOptions, 'kubeconfig'>): string[] {
  const kc = new KubeConfig();
  try {
    load(kc, opts);
  } catch (err) {
    if (err instanceof KubeError) throw err;
    throw configError(`cannot read kubeconfig: ${(err as Error).message.split('\n')[0]}`, 'fix the kubeconfig file or pass another with --kubeconfig');
  }
  return kc.getContexts().map((c) => c.name);
}

interface ExecPlugin {
  command: string;
  installHint?: string;
}

function execPluginOf(user: User | null): ExecPlugin | undefined {
  const exec = (user?.exec ?? (user?.authProvider as { config?: { exec?: unknown } } | undefined)?.config?.exec) as { command?: unknown; installHint?: unknown } | undefined;
  if (!exec) return undefined;
  return { command: typeof exec.command === 'string' ? exec.command : '', ...(typeof exec.installHint === 'string' ? { installHint: exec.installHint } : {}) };
}

/** The current user gets its credentials from an exec plugin (EKS, GKE, AKS, OIDC helpers). */
export const usesExecPlugin = (kc: KubeConfig): boolean => execPluginOf(kc.getCurrentUser()) !== undefined;

const isExecutable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

const pluginHint = (p: ExecPlugin) => p.installHint?.split('\n').find((l) => l.trim())?.trim() ?? 'install it, or fix users[].user.exec.command in the kubeconfig';

/** The plugin is spawned as client-node does (PATH lookup, or a path relative to the working directory). */
function checkPluginInstalled(p: ExecPlugin, user: string): void {
  if (!p.command) throw configError(`user "${user}" has an exec credential plugin without a command`, 'set users[].user.exec.command in the kubeconfig');
  const found = p.command.includes('/')
    ? isExecutable(isAbsolute(p.command) ? p.command : resolve(p.command))
    : (process.env.PATH ?? '').split(delimiter).filter(Boolean).some((dir) => isExecutable(join(dir, p.command)));
  if (!found) throw configError(`exec credential plugin "${p.command}" of user "${user}" not found${p.command.includes('/') ? ' or not executable' : ' on PATH'}`, pluginHint(p));
}

/** Credential material of the current user, for redaction. */
export function secretsOf(kc: KubeConfig): string[] {
  const user = kc.getCurrentUser();
  return [user?.token, user?.password].filter((s): s is string => typeof s === 'string' && s.length > 0);
}

/**
 * The error for a failure of the exec credential plugin, or undefined when `err` is not one. client-node
 * rejects with the spawn error, a SyntaxError quoting stdout (which may be a raw token), or (through
 * plugin.ts) a PluginFailure: nothing the plugin printed is ever part of the line. A plugin that does not
 * finish is exit 3 (the cluster's login path is stuck); one that cannot start or fails is exit 2.
 */
export function credentialError(err: unknown, kc: KubeConfig): KubeError | undefined {
  const plugin = execPluginOf(kc.getCurrentUser());
  if (!plugin || err instanceof KubeError || typeof err !== 'object' || err === null) return undefined;
  const e = err as { name?: unknown; code?: unknown; syscall?: unknown };
  const user = kc.getCurrentUser()!.name;
  const which = `exec credential plugin "${plugin.command}" of user "${user}"`;
  if (err instanceof PluginFailure && err.why === 'timeout')
    return new KubeError('unauthorized', 0, `${which} did not finish within ${err.detail}; its process group was killed`,
      'run the plugin by hand to see what it waits for (an interactive login? a network call?), or fix users[].user.exec in the kubeconfig', { request: { verb: 'get', resource: 'credentials' } });
  if (err instanceof PluginFailure)
    return configError(`${which} failed (${err.detail})`, 'run the plugin by hand to see why (an expired login?) or add --log-level debug to log its stderr, or fix users[].user.exec in the kubeconfig');
  if (typeof e.syscall === 'string' && e.syscall.startsWith('spawn'))
    return configError(`${which} could not be started (${typeof e.code === 'string' ? e.code : 'spawn failed'})`, pluginHint(plugin));
  if (e.name === 'SyntaxError')
    return configError(`${which} printed no ExecCredential JSON on stdout`, 'the plugin must print an ExecCredential (client.authentication.k8s.io/v1): update or fix it');
  return undefined;
}
