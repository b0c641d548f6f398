// One kubeconfig with many contexts, for fleet runs: each context named as given, pointing at the
// cluster and user of an existing (single-context) kubeconfig, or at a server nothing listens on.
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';

interface OneContextConfig {
  clusters: { name: string; cluster: Record<string, unknown> }[];
  users: { name: string; user: Record<string, unknown> }[];
}

export type ContextSource = { name: string; kubeconfig: string } | { name: string; unreachable: string };

export function writeFleetKubeconfig(path: string, sources: ContextSource[]): string {
  const clusters: unknown[] = [];
  const users: unknown[] = [];
  const contexts: unknown[] = [];
  for (const s of sources) {
    if ('unreachable' in s) {
      clusters.push({ name: s.name, cluster: { server: s.unreachable, 'insecure-skip-tls-verify': true } });
      users.push({ name: s.name, user: { token: 'unused' } });
    } else {
      const kc = parse(readFileSync(s.kubeconfig, 'utf8')) as OneContextConfig;
      clusters.push({ name: s.name, cluster: kc.clusters[0]!.cluster });
      users.push({ name: s.name, user: kc.users[0]!.user });
    }
    contexts.push({ name: s.name, context: { cluster: s.name, user: s.name } });
  }
  writeFileSync(path, stringify({ apiVersion: 'v1', kind: 'Config', clusters, users, contexts, 'current-context': sources[0]!.name }), { mode: 0o600 });
  return path;
}
