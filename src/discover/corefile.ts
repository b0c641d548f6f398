// Reads the zones a Corefile serves: the cluster domain from the `kubernetes` plugin, stub domains from
// non-root server blocks and `forward ZONE …` lines. Pure; anything it cannot read falls back to
// cluster.local with a note, because a wrong guess must be visible in the report, not fatal.
import type { Zones } from './types.ts';
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
}

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

  serverBlocks(): ServerBlock[] {
    const blocks: ServerBlock[] = [];
    for (;;) {
      this.skipNewlines();
      if (this.i >= this.tokens.length) return blocks;
      const keys: string[] = [];
      // Keys may span lines only when separated by commas; a top-level word line without a block
      // (e.g. `import file`) is a directive and skipped.
      while (this.tokens[this.i] !== undefined && this.tokens[this.i] !== '{' && this.tokens[this.i] !== '\n') {
        if (this.tokens[this.i] === '}') throw new Error('unexpected "}"');
        keys.push(...this.tokens[this.i++]!.split(',').filter(Boolean));
      }
      if (this.tokens[this.i] === '{') {
        this.i++;
        const directives = this.directives();
        // Snippets "(name) { … }" are templates, not servers.
        if (!(keys.length === 1 && /^\(.*\)$/.test(keys[0]!))) blocks.push({ keys, directives });
      } else if (keys[0] !== 'import') {
        throw new Error(`"${keys.join(' ')}" is neither a server block nor an import`);
      }
    }
  }
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

/** The zones a Corefile serves. Never throws. */
export function parseCorefile(text: string | undefined): Zones {
  if (text === undefined || text.trim() === '') return fallback(`no Corefile found: assumed cluster domain ${DEFAULT_CLUSTER_DOMAIN}`);
  let blocks: ServerBlock[];
  try {
    blocks = new Parser(tokenize(text)).serverBlocks();
  } catch (err) {
    return fallback(`Corefile unreadable (${(err as Error).message}): assumed cluster domain ${DEFAULT_CLUSTER_DOMAIN}`);
  }
  let clusterDomain: string | undefined;
  const stubs = new Set<string>();
  for (const block of blocks) {
    const zones = block.keys.map(zoneOf);
    const kubernetes = block.directives.find((d) => d.name === 'kubernetes');
    if (kubernetes && clusterDomain === undefined) {
      // Without arguments the plugin serves the server block's zones.
      const served = (kubernetes.args.length ? kubernetes.args.map(zoneOf) : zones).filter((z) => z !== '.' && !isReverse(z));
      clusterDomain = served[0];
    }
    if (!kubernetes) for (const zone of zones) if (zone !== '.' && !isReverse(zone)) stubs.add(zone);
    for (const d of block.directives) {
      if (d.name === 'forward' && d.args[0] && zoneOf(d.args[0]) !== '.' && !isReverse(zoneOf(d.args[0]))) stubs.add(zoneOf(d.args[0]));
    }
  }
  if (clusterDomain === undefined) {
    if (blocks.length === 0) return fallback(`Corefile has no server block: assumed cluster domain ${DEFAULT_CLUSTER_DOMAIN}`);
    return { ...fallback(`Corefile has no kubernetes plugin zone: assumed cluster domain ${DEFAULT_CLUSTER_DOMAIN}`), stubDomains: [...stubs] };
  }
  stubs.delete(clusterDomain);
  return { clusterDomain, stubDomains: [...stubs].sort(), fromCorefile: true };
}
