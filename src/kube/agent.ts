// One keep-alive HTTPS agent per TLS identity of a KubeConfig. client-node builds a new https.Agent for
// every request, watch and exec handshake, so each one paid a new TCP connection, TLS handshake and
// secure context (CA and key parsing) on both ends: a dozen per cycle, the largest CPU cost of a fleet
// run. Sharing the agent reuses the connection; a new identity (an exec plugin's rotated client
// certificate) still gets its own agent.
import { Agent } from 'node:https';
import { createSecureContext } from 'node:tls';
import type { AgentOptions } from 'node:https';
import type { Cluster, KubeConfig } from '@kubernetes/client-node';

/**
 * Idle connections are closed after this: below the 5 s keep-alive timeout of Node servers and common
 * proxies, so a request never races the server closing an idle connection, and `watch` holds none
 * between cycles.
 */
export const IDLE_SOCKET_MS = 4_000;

/** The TLS options that make a connection's identity (what https.Agent itself keys connections by). */
const IDENTITY = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername', 'ciphers', 'crl', 'secureOptions', 'secureProtocol'] as const;

export function identityKey(options: AgentOptions): string {
  return JSON.stringify(IDENTITY.map((k) => {
    const v = options[k] as unknown;
    return Buffer.isBuffer(v) ? v.toString('base64') : v ?? null;
  }));
}

type AgentFactory = (cluster: Cluster | null, options: AgentOptions) => unknown;

/**
 * Makes every request of `kc` share keep-alive agents. client-node's agent factory (a private method,
 * pinned by the package version and checked by kube.test.ts) is wrapped on this instance only; proxies
 * and plain HTTP keep client-node's own agents.
 */
export function shareAgents(kc: KubeConfig): KubeConfig {
  const target = kc as unknown as { createAgent: AgentFactory };
  const own = target.createAgent.bind(kc);
  const agents = new Map<string, Agent>();
  target.createAgent = (cluster, options) => {
    if (!cluster?.server.startsWith('https:') || cluster.proxyUrl) return own(cluster, options);
    const key = identityKey(options);
    let agent = agents.get(key);
    if (!agent) {
      // One secure context for all its connections (tls.connect would parse the CA and key again for each).
      agent = new Agent({ ...options, secureContext: createSecureContext(options), keepAlive: true, timeout: IDLE_SOCKET_MS });
      agents.set(key, agent);
    }
    return agent;
  };
  return kc;
}
