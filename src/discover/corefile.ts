// Reads what a Corefile serves: every server block with its zones and port, the files it imports from
// the ConfigMaps the pods mount (coredns-custom's *.server/*.override keys, k3s's NodeHosts), and per
// zone the plugin answering it (kubernetes, file, hosts, forward). Pure; anything it cannot read falls
// back to cluster.local with a note, because a wrong guess must be visible in the report, not fatal.
import type { ServedZone, Zones } from './types.ts';
import { parseHosts, parseZoneFile } from './zonefile.ts';
import { DEFAULTS } from '../common/defaults.ts';

export const DEFAULT_CLUSTER_DOMAIN = DEFAULTS.workload.clusterDomain;

interface Directive {
  name: string;
  args: string[];
  block?: Directive[];
}

interface ServerBlock {
  keys: string[];
  directives: Directive[];
  /** The file it was read from: "Corefile" or "coredns-custom/consul.server". */
  source: string;
}

/** A file a pod sees: one key of a ConfigMap it mounts. */
export interface ConfigFile {
  configMap: string;
  key: string;
  text: string;
}

type TopLevel = { kind: 'block'; keys: string[]; directives: Directive[] } | { kind: 'import'; arg: string };

type Token = string; // a word, "{", "}" or "\n"

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.replace(/(^|\s)#.*$/, '');
    for (const word of line.match(/"[^"]*"|[{}]|[^\s{}]+/g) ?? []) tokens.push(word.replace(/^"|"$/g, ''));
    tokens.push('\n');
  }
  return tokens;
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private skipNewlines(): void {
    while (this.tokens[this.i] === '\n') this.i++;
  }

  /** Directives until the closing brace of the current block (consumed). */
  private directives(): Directive[] {
    const out: Directive[] = [];
    for (;;) {
      this.skipNewlines();
      const t = this.tokens[this.i];
      if (t === undefined) throw new Error('a block is not closed');
      if (t === '}') {
        this.i++;
        return out;
      }
      if (t === '{') throw new Error('unexpected "{"');
      const words: string[] = [];
      while (this.tokens[this.i] !== undefined && !['\n', '{', '}'].includes(this.tokens[this.i]!)) words.push(this.tokens[this.i++]!);
      const directive: Directive = { name: words[0]!, args: words.slice(1) };
      if (this.tokens[this.i] === '{') {
        this.i++;
        directive.block = this.directives();
      }
      out.push(directive);
    }
  }

  /** Server blocks, snippets "(name) { … }" and top-level imports, in order. */
  topLevel(snippets: Map<string, Directive[]>): TopLevel[] {
    const items: TopLevel[] = [];
    for (;;) {
      this.skipNewlines();
      if (this.i >= this.tokens.length) return items;
      const keys: string[] = [];
      // Keys may span lines only when separated by commas.
      while (this.tokens[this.i] !== undefined && this.tokens[this.i] !== '{' && this.tokens[this.i] !== '\n') {
        if (this.tokens[this.i] === '}') throw new Error('unexpected "}"');
        keys.push(...this.tokens[this.i++]!.split(',').filter(Boolean));
      }
      if (this.tokens[this.i] === '{') {
        this.i++;
        const directives = this.directives();
        if (keys.length === 1 && /^\(.*\)$/.test(keys[0]!)) snippets.set(keys[0]!.slice(1, -1), directives);
        else items.push({ kind: 'block', keys, directives });
      } else if (keys[0] === 'import' && keys[1]) {
        items.push({ kind: 'import', arg: keys[1] });
      } else {
        throw new Error(`"${keys.join(' ')}" is neither a server block nor an import`);
      }
    }
  }
}

/** Keys of the mounted ConfigMaps a path or glob names. ConfigMap volumes put each key at <mountPath>/<key>, so the file name is the key. */
function filesFor(pattern: string, files: ConfigFile[]): ConfigFile[] {
  const base = pattern.split('/').pop() ?? pattern;
  const re = new RegExp(`^${base.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
  return files.filter((f) => re.test(f.key)).sort((a, b) => a.key.localeCompare(b.key));
}

const MAX_IMPORT_DEPTH = 10;

/** Every server block of the Corefile and of the files it imports, with imports inside blocks spliced in. */
function readBlocks(text: string, source: string, files: ConfigFile[], snippets: Map<string, Directive[]>, depth = 0): ServerBlock[] {
  if (depth > MAX_IMPORT_DEPTH) throw new Error(`imports nest deeper than ${MAX_IMPORT_DEPTH} files`);
  const blocks: ServerBlock[] = [];
  for (const item of new Parser(tokenize(text)).topLevel(snippets)) {
    if (item.kind === 'import') {
      for (const f of filesFor(item.arg, files)) blocks.push(...readBlocks(f.text, `${f.configMap}/${f.key}`, files, snippets, depth + 1));
      continue;
    }
    blocks.push({ keys: item.keys, directives: spliceImports(item.directives, files, snippets, depth), source });
  }
  return blocks;
}

/** `import` inside a block: a snippet by name, or the directives of files (e.g. coredns-custom's *.override). */
function spliceImports(directives: Directive[], files: ConfigFile[], snippets: Map<string, Directive[]>, depth: number): Directive[] {
  if (depth > MAX_IMPORT_DEPTH) throw new Error(`imports nest deeper than ${MAX_IMPORT_DEPTH} files`);
  return directives.flatMap((d) => {
    if (d.name !== 'import' || !d.args[0]) return [d];
    const snippet = snippets.get(d.args[0]);
    if (snippet) return spliceImports(snippet, files, snippets, depth + 1);
    return filesFor(d.args[0], files).flatMap((f) => {
      // A block body: wrap it so the parser reads its directives.
      const inner = new Parser(tokenize(`x {\n${f.text}\n}`)).topLevel(snippets)[0];
      return inner?.kind === 'block' ? spliceImports(inner.directives, files, snippets, depth + 1) : [];
    });
  });
}
/** "dns://cluster.local.:53" → "cluster.local"; "." stays ".". */
export function zoneOf(key: string): string {
  const withoutScheme = key.replace(/^[a-z]+:\/\//i, '');
  const host = withoutScheme.replace(/:\d+$/, '').toLowerCase();
  if (host === '.' || host === '') return '.';
  return host.replace(/\.$/, '');
}

const isReverse = (zone: string) => zone.endsWith('in-addr.arpa') || zone.endsWith('ip6.arpa');

function fallback(note: string): Zones {
  return { clusterDomain: DEFAULT_CLUSTER_DOMAIN, stubDomains: [], fromCorefile: false, note };
}

/** "example.com:100" → 100; no port → 53, CoreDNS's default. */
export function portOf(key: string): number {
  const m = /:(\d+)$/.exec(key.replace(/^[a-z]+:\/\//i, ''));
  return m ? Number(m[1]) : 53;
}

const inZone = (name: string, zone: string) => zone === '.' || name === zone || name.endsWith(`.${zone}`);

/** What one block serves, per zone and plugin. */
function servedBy(block: ServerBlock, files: ConfigFile[]): ServedZone[] {
  const zones = block.keys.map(zoneOf);
  const port = portOf(block.keys[0] ?? '');
  const origin = `${block.source} block ${block.keys.join(' ')}`;
  const out: ServedZone[] = [];
  const zonesOf = (args: string[]) => (args.length ? [...new Set(args.map(zoneOf))] : zones);
  for (const d of block.directives) {
    if (d.name === 'kubernetes') {
      for (const zone of zonesOf(d.args)) if (!isReverse(zone)) out.push({ zone, port, by: 'kubernetes', origin });
    } else if (d.name === 'file' && d.args[0]) {
      const [file] = filesFor(d.args[0], files);
      for (const zone of zonesOf(d.args.slice(1)))
        out.push(
          file
            ? { zone, port, by: 'file', origin: `${origin}, zone file ${file.configMap}/${file.key}`, records: parseZoneFile(file.text, zone) }
            : { zone, port, by: 'file', origin, records: [], note: `zone file ${d.args[0]} is not a key of a ConfigMap read` },
        );
    } else if (d.name === 'hosts') {
      // hosts [FILE [ZONES…]] { IP NAME… lines, options }; FILE defaults to the pod's own /etc/hosts.
      const path = d.args[0] ?? '/etc/hosts';
      const [file] = filesFor(path, files);
      const inline = parseHosts((d.block ?? []).map((l) => [l.name, ...l.args].join(' ')));
      const records = [...inline, ...(file ? parseHosts(file.text.split(/\r?\n/)) : [])];
      const from = file ? `${origin}, hosts file ${file.configMap}/${file.key}` : origin;
      const note = file ? undefined : `hosts file ${path} is not a key of a ConfigMap read`;
      for (const zone of zonesOf(d.args.slice(1)))
        out.push({ zone, port, by: 'hosts', origin: from, records: records.filter((r) => inZone(r.name, zone)), ...(note && { note }) });
    } else if (d.name === 'forward' && d.args[0]) {
      // forward FROM TO…: FROM "." means every zone of the block.
      const from = zoneOf(d.args[0]);
      const forwarders = d.args.slice(1);
      for (const zone of from === '.' ? zones : [from]) out.push({ zone, port, by: 'forward', origin, forwarders });
    }
  }
  return out;
}

/** Whether the Corefile imports files (not only snippets): then the ConfigMaps beside it are worth reading. */
export function importsFiles(text: string): boolean {
  const snippets = new Set([...text.matchAll(/^\s*\(([^)\s]+)\)\s*\{/gm)].map((m) => m[1]));
  return [...text.matchAll(/^\s*import\s+(\S+)/gm)].some((m) => !snippets.has(m[1]));
}

/** The zones a Corefile (and the ConfigMap files it imports) serves. Never throws. */
export function parseCorefile(text: string | undefined, files: ConfigFile[] = []): Zones {
  if (text === undefined || text.trim() === '') return fallback(`no Corefile found: assumed cluster domain ${DEFAULT_CLUSTER_DOMAIN}`);
  let blocks: ServerBlock[];
  try {
    blocks = readBlocks(text, 'Corefile', files, new Map());
  } catch (err) {
    return fallback(`Corefile unreadable (${(err as Error).message}): assumed cluster domain ${DEFAULT_CLUSTER_DOMAIN}`);
  }
  if (blocks.length === 0) return fallback(`Corefile has no server block: assumed cluster domain ${DEFAULT_CLUSTER_DOMAIN}`);
  const served = blocks.flatMap((b) => servedBy(b, files));
  const clusterDomain = served.find((z) => z.by === 'kubernetes' && z.zone !== '.')?.zone;
  const stubs = new Set(served.filter((z) => z.by === 'forward' && z.zone !== '.' && !isReverse(z.zone)).map((z) => z.zone));
  // Blocks without a kubernetes plugin for a zone of their own are stub domains too (e.g. `consul.local:53 { … }`).
  for (const b of blocks)
    if (!b.directives.some((d) => d.name === 'kubernetes')) for (const z of b.keys.map(zoneOf)) if (z !== '.' && !isReverse(z)) stubs.add(z);
  if (clusterDomain === undefined)
    return {
      clusterDomain: DEFAULT_CLUSTER_DOMAIN,
      stubDomains: [...stubs].sort(),
      fromCorefile: true,
      note: 'Corefile has no kubernetes plugin: the cluster checks are left out',
      served,
    };
  stubs.delete(clusterDomain);
  return { clusterDomain, stubDomains: [...stubs].sort(), fromCorefile: true, served };
}

/**
 * --cluster-domain: the user's cluster domain wins over the Corefile's. The kubernetes zone that was read
 * becomes that domain (or one is added on the probed port when the Corefile has none), with a note.
 */
export function withClusterDomain(zones: Zones, domain: string): Zones {
  const d = domain.replace(/\.$/, '').toLowerCase();
  if (d === zones.clusterDomain && zones.served?.some((z) => z.by === 'kubernetes' && z.zone === d)) return zones;
  const note = `cluster domain ${d} from --cluster-domain${zones.fromCorefile ? ` (the Corefile says ${zones.clusterDomain})` : ''}`;
  let served = zones.served;
  if (served) {
    const kube = served.find((z) => z.by === 'kubernetes' && z.zone === zones.clusterDomain);
    const port = kube?.port ?? served.find((z) => z.zone === '.')?.port ?? served[0]?.port ?? 53;
    served = kube
      ? served.map((z) => (z === kube ? { ...z, zone: d } : z))
      : [{ zone: d, port, by: 'kubernetes', origin: '--cluster-domain' }, ...served];
  }
  return { ...zones, clusterDomain: d, stubDomains: zones.stubDomains.filter((z) => z !== d), note, ...(served && { served }) };
}
