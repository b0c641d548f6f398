// What a CoreDNS (or kube-dns) stand-in serves, read from its configuration the way the real server
// reads it: the Corefile's server blocks (zones, port, imports) and their kubernetes, file, hosts and
// forward plugins; kube-dns's stubDomains/upstreamNameservers. Then the dnsmasq lines that serve it.
// Pure functions over text; dns.ts runs the processes.
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';

export interface ServerBlock {
  zones: string[];
  port: number;
  /** Zones the kubernetes plugin answers (inside this block's zones). */
  kubernetes: string[];
  /** file plugin: the zone file's path and the zones it serves. */
  files: { path: string; zones: string[] }[];
  /** hosts plugin: a hosts file's path and inline entries. */
  hosts: { path?: string; inline: string[] }[];
  /** forward: the zone forwarded (`.` = this block's zones) and its targets. */
  forward?: { from: string; to: string[] };
}

type Node = { words: string[]; children?: Node[] };

const canonical = (zone: string) => {
  const z = zone.replace(/^dns:\/\//, '').toLowerCase();
  return z === '.' ? '.' : z.replace(/\.$/, '');
};

/** Lines → nested directive nodes (braces open a block, as Caddyfile syntax does). Comments dropped. */
function parseNodes(text: string): Node[] {
  const tokens: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '');
    const words = line.replace(/[{}]/g, (b) => ` ${b} `).split(/\s+/).filter(Boolean);
    tokens.push(...words, '\n');
  }
  let i = 0;
  const block = (): Node[] => {
    const out: Node[] = [];
    let cur: string[] = [];
    while (i < tokens.length) {
      const t = tokens[i++]!;
      if (t === '\n') {
        if (cur.length) out.push({ words: cur });
        cur = [];
      } else if (t === '{') {
        out.push({ words: cur, children: block() });
        cur = [];
      } else if (t === '}') {
        if (cur.length) out.push({ words: cur });
        return out;
      } else cur.push(t);
    }
    if (cur.length) out.push({ words: cur });
    return out;
  };
  return block();
}

/** Minimal glob for `import` paths: `*` within the last path segment; relative paths from the Corefile's directory. */
function globFiles(path: string, files: ReadonlyMap<string, string>, base: string): string[] {
  const pattern = path.startsWith('/') ? path : `${base.replace(/\/$/, '')}/${path}`;
  if (!pattern.includes('*')) return files.has(pattern) ? [pattern] : [];
  const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
  return [...files.keys()].filter((f) => re.test(f)).sort();
}

/** Replaces `import` directives with the imported files' nodes (CoreDNS expands them before parsing). */
function expandImports(nodes: Node[], files: ReadonlyMap<string, string>, base: string, depth = 0): Node[] {
  if (depth > 5) return nodes;
  return nodes.flatMap((n) => {
    if (n.words[0] === 'import' && !n.children) return n.words.slice(1).flatMap((p) => globFiles(p, files, base).flatMap((f) => expandImports(parseNodes(files.get(f) ?? ''), files, base, depth + 1)));
    return [{ ...n, ...(n.children ? { children: expandImports(n.children, files, base, depth + 1) } : {}) }];
  });
}

/** The server blocks of a Corefile; `files` are the paths the container sees (for imports). */
export function parseCorefile(text: string, files: ReadonlyMap<string, string> = new Map(), base = '/etc/coredns', defaultPort = 53): ServerBlock[] {
  const blocks: ServerBlock[] = [];
  for (const n of expandImports(parseNodes(text), files, base)) {
    if (!n.children || n.words[0]?.startsWith('(')) continue; // snippets are only used through import
    const keys = n.words.flatMap((w) => w.split(',')).filter(Boolean);
    let port = defaultPort;
    const zones = keys.map((k) => {
      const m = /^(.*?)(?::(\d+))?$/.exec(k.replace(/^dns:\/\//, ''))!;
      if (m[2]) port = Number(m[2]);
      return canonical(m[1] || '.');
    });
    const b: ServerBlock = { zones, port, kubernetes: [], files: [], hosts: [] };
    for (const p of n.children) {
      const [name, ...args] = p.words;
      if (name === 'kubernetes') b.kubernetes = (args.length ? args : zones).map(canonical);
      else if (name === 'file' && args[0]) b.files.push({ path: args[0], zones: (args.length > 1 ? args.slice(1) : zones).map(canonical) });
      else if (name === 'hosts') {
        const path = args[0];
        const inline = (p.children ?? []).filter((c) => /^[0-9a-f:.]+$/i.test(c.words[0] ?? '') && c.words.length > 1).map((c) => c.words.join(' '));
        b.hosts.push({ ...(path ? { path } : {}), inline });
      } else if (name === 'forward' && args.length > 1) b.forward = { from: canonical(args[0]!), to: args.slice(1) };
    }
    blocks.push(b);
  }
  return blocks;
}

/** kube-dns (GKE): the cluster domain, stubDomains and upstreamNameservers as equivalent server blocks. */
export function kubeDnsBlocks(domain: string, stubDomains: string | undefined, upstreams: string | undefined, port: number): ServerBlock[] {
  const parse = <T>(s: string | undefined, fallback: T): T => {
    try {
      return s ? (JSON.parse(s) as T) : fallback;
    } catch {
      return fallback;
    }
  };
  const stubs = parse<Record<string, string[]>>(stubDomains, {});
  const up = parse<string[]>(upstreams, []);
  const empty = { files: [], hosts: [] };
  return [
    { zones: ['.'], port, kubernetes: [domain, 'in-addr.arpa', 'ip6.arpa'], ...empty, forward: { from: '.', to: up.length ? up : ['/etc/resolv.conf'] } },
    ...Object.entries(stubs).map(([zone, to]) => ({ zones: [canonical(zone)], port, kubernetes: [], ...empty, forward: { from: '.', to } })),
  ];
}

export interface ZoneRecord {
  name: string;
  type: string;
  data: string[];
}

/** The records of a BIND-style zone file ($ORIGIN, $TTL, @, relative names, parenthesised SOA). */
export function parseZoneFile(text: string, origin: string): ZoneRecord[] {
  let org = canonical(origin);
  const out: ZoneRecord[] = [];
  const joined = text.replace(/;.*$/gm, '').replace(/\(([^)]*)\)/g, (_, inner: string) => inner.replace(/\n/g, ' '));
  let last = org;
  const abs = (n: string) => (n === '@' ? org : n.endsWith('.') ? n.slice(0, -1).toLowerCase() : `${n}.${org}`.toLowerCase());
  for (const line of joined.split('\n')) {
    if (!line.trim()) continue;
    const words = line.trim().split(/\s+/);
    if (words[0] === '$ORIGIN') {
      org = canonical(words[1] ?? org);
      continue;
    }
    if (words[0]?.startsWith('$')) continue;
    let name = last;
    if (!/^\s/.test(line)) name = abs(words.shift()!);
    last = name;
    while (words.length && (/^\d+[smhdw]?$/i.test(words[0]!) || ['IN', 'CH'].includes(words[0]!.toUpperCase()))) words.shift();
    const [type, ...data] = words;
    if (type) out.push({ name, type: type.toUpperCase(), data });
  }
  return out.map((r) => ({ ...r, data: ['CNAME', 'MX', 'SRV', 'NS'].includes(r.type) ? r.data.map((d, i, all) => (i === all.length - 1 ? abs(d) : d)) : r.data }));
}

/** dnsmasq lines serving a zone file's records authoritatively (unknown names NXDOMAIN). */
export function zoneDnsmasqLines(zones: string[], records: ZoneRecord[]): string[] {
  const lines = zones.filter((z) => z !== '.').map((z) => `local=/${z}/`);
  for (const r of records) {
    if (r.type === 'A' || r.type === 'AAAA') lines.push(`host-record=${r.name},${r.data[0]}`);
    else if (r.type === 'CNAME') lines.push(`cname=${r.name},${r.data[0]}`);
    else if (r.type === 'TXT') lines.push(`txt-record=${r.name},${r.data.join(' ').replace(/^"|"$/g, '')}`);
    else if (r.type === 'MX') lines.push(`mx-host=${r.name},${r.data[1]},${r.data[0]}`);
    else if (r.type === 'SRV') lines.push(`srv-host=${r.name},${r.data[3]},${r.data[2]},${r.data[0]},${r.data[1]}`);
  }
  return lines;
}

/** Every distinct port the server blocks listen on. */
export const blockPorts = (blocks: ServerBlock[]) => [...new Set(blocks.map((b) => b.port))].sort((a, b) => a - b);

/** The zones the kubernetes plugin answers, over all blocks. */
export const kubernetesZones = (blocks: ServerBlock[]) => [...new Set(blocks.flatMap((b) => b.kubernetes))];

/** Stub domains: forwarded zones other than the root, with their forward targets. */
export const stubZones = (blocks: ServerBlock[]) =>
  blocks.flatMap((b) => (b.forward ? (b.forward.from === '.' ? b.zones : [b.forward.from]).filter((z) => z !== '.').map((zone) => ({ zone, to: b.forward!.to })) : []));

/** Whether the root zone is forwarded (external names). */
export const forwardsRoot = (blocks: ServerBlock[]) => blocks.some((b) => b.forward && b.zones.includes('.') && b.forward.from === '.');

// CoreDNS's own reading of a Corefile, for the reload plugin's part (dns.ts): the "Running configuration
// SHA512" it logs (sha512 of the JSON of caddy's server blocks: keys, and per directive its tokens with
// file, line and text) and the error it stops on. Written apart from the product's reader
// (src/discover/caddyfile.ts) so that each checks the other; both must give kubeadm's real hash.

/** The directives of CoreDNS's stock build (plugin.cfg). */
const COREDNS_DIRECTIVES = new Set(
  ('root metadata geoip cancel tls quic timeouts multisocket reload nsid bufsize bind debug trace ready health pprof prometheus errors log dnstap local dns64 acl any chaos ' +
    'loadbalance tsig cache rewrite header dnssec autopath minimal template transfer hosts route53 azure clouddns k8s_external kubernetes file auto secondary etcd loop forward ' +
    'grpc erratic whoami on sign view nomad').split(' '),
);

interface CaddyToken {
  File: string;
  Line: number;
  Text: string;
}

/** caddy's lexer: whitespace-separated words, "quoted" words (\" escapes a quote), # comments to the end of the line. */
function caddyTokens(text: string, file: string): CaddyToken[] {
  const out: CaddyToken[] = [];
  let line = 1;
  let word: string | undefined;
  let wordLine = 1;
  let inQuotes = false;
  let inComment = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inQuotes) {
      if (ch === '\\' && text[i + 1] === '"') {
        word += '"';
        i++;
      } else if (ch === '"') {
        out.push({ File: file, Line: wordLine, Text: word ?? '' });
        word = undefined;
        inQuotes = false;
      } else {
        if (ch === '\n') line++;
        word = (word ?? '') + ch;
      }
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\v' || ch === '\f') {
      if (word !== undefined) out.push({ File: file, Line: wordLine, Text: word });
      word = undefined;
      if (ch === '\n') {
        line++;
        inComment = false;
      }
      continue;
    }
    if (ch === '#') inComment = true;
    if (inComment) continue;
    if (word === undefined) {
      wordLine = line;
      if (ch === '"') {
        inQuotes = true;
        word = '';
        continue;
      }
      word = '';
    }
    word += ch;
  }
  if (word !== undefined) out.push({ File: file, Line: wordLine, Text: word });
  return out;
}

const startsLine = (ts: CaddyToken[], i: number) => i === 0 || ts[i - 1]!.File !== ts[i]!.File || ts[i - 1]!.Line < ts[i]!.Line;

interface CaddyBlock {
  keys: string[];
  tokens: Map<string, CaddyToken[]>;
}

class CorefileError extends Error {}

/**
 * caddy's server blocks. `files` (container path → text) resolve file imports; `directives` given: a
 * directive outside them is an error (CoreDNS's load), none: any (the reload plugin's parse).
 */
function caddyBlocks(text: string, path: string, files: ReadonlyMap<string, string>, directives?: ReadonlySet<string>): CaddyBlock[] {
  const fail = (t: CaddyToken | undefined, msg: string) => new CorefileError(`${t?.File || path}:${t?.Line ?? 0} - Error during parsing: ${msg}`);
  const snippets = new Map<string, CaddyToken[]>();
  let ts = caddyTokens(text, '');
  const splice = (i: number): void => {
    const name = ts[i + 1]?.Text ?? '';
    const imported = snippets.get(name) ?? globFiles(name, files, dirname(path)).flatMap((f) => caddyTokens(files.get(f) ?? '', f));
    ts = [...ts.slice(0, i), ...imported, ...ts.slice(i + 2)];
  };
  const blocks: CaddyBlock[] = [];
  let i = 0;
  while (i < ts.length) {
    if (ts[i]!.Text === 'import' && startsLine(ts, i)) {
      splice(i);
      continue;
    }
    const keys: string[] = [];
    while (i < ts.length && ts[i]!.Text !== '{') {
      const key = ts[i]!.Text.replace(/,$/, '');
      if (key) keys.push(key);
      i++;
      if (i < ts.length && startsLine(ts, i) && !ts[i - 1]!.Text.endsWith(',')) break;
    }
    const block: CaddyBlock = { keys, tokens: new Map() };
    const braced = ts[i]?.Text === '{';
    if (braced) i++;
    if (keys.length === 1 && /^\(.*\)$/.test(keys[0]!)) {
      // A snippet: its raw tokens up to the matching brace.
      let depth = 1;
      const body: CaddyToken[] = [];
      for (; i < ts.length; i++) {
        if (ts[i]!.Text === '{') depth++;
        if (ts[i]!.Text === '}' && --depth === 0) break;
        body.push(ts[i]!);
      }
      if (depth !== 0) throw fail(ts.at(-1), 'Unexpected EOF');
      snippets.set(keys[0]!.slice(1, -1), body);
      i++;
      continue;
    }
    while (i < ts.length && !(braced && ts[i]!.Text === '}')) {
      if (ts[i]!.Text === 'import') {
        splice(i);
        continue;
      }
      const name = ts[i]!.Text;
      if (directives && !directives.has(name)) throw fail(ts[i], `Unknown directive '${name}'`);
      const own = block.tokens.get(name) ?? [];
      block.tokens.set(name, own);
      own.push(ts[i++]!);
      let depth = 0;
      while (i < ts.length && !(depth === 0 && startsLine(ts, i))) {
        const t = ts[i]!;
        if (t.Text === 'import' && startsLine(ts, i)) {
          splice(i);
          continue;
        }
        if (t.Text === '{') depth++;
        else if (t.Text === '}' && depth === 0) throw fail(t, "Unexpected '}' because no matching opening brace");
        else if (t.Text === '}') depth--;
        own.push(t);
        i++;
      }
      if (depth > 0) throw fail(ts.at(-1), 'Unexpected EOF');
    }
    if (braced && i >= ts.length) {
      const last = ts.at(-1);
      throw new CorefileError(`${last?.File || path}:${last?.Line ?? 0} - Syntax error: Unexpected token '${last?.Text ?? ''}', expecting '}'`);
    }
    i++;
    if (keys.length) blocks.push(block);
  }
  return blocks;
}

/** Go's encoding/json for the blocks: struct fields in order, map keys sorted, <>& escaped. */
function goJson(blocks: CaddyBlock[]): string {
  const str = (s: string) => JSON.stringify(s).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
  if (blocks.length === 0) return 'null';
  return JSON.stringify(blocks.map((b) => ({ Keys: b.keys, Tokens: Object.fromEntries([...b.tokens].sort(([a], [c]) => (a < c ? -1 : 1))) }))).replace(
    /"(?:[^"\\]|\\.)*"/g,
    (quoted) => str(JSON.parse(quoted) as string),
  );
}

/** The reload plugin's "Running configuration SHA512"; undefined when the Corefile does not even parse. */
export function corefileSha512(text: string, path: string, files: ReadonlyMap<string, string> = new Map()): string | undefined {
  try {
    return createHash('sha512').update(goJson(caddyBlocks(text, path, files))).digest('hex');
  } catch (err) {
    if (err instanceof CorefileError) return undefined;
    throw err;
  }
}

/** Why the reload plugin cannot even parse this Corefile (structure only), or undefined. */
export function corefileParseError(text: string, path: string, files: ReadonlyMap<string, string> = new Map()): string | undefined {
  try {
    caddyBlocks(text, path, files);
    return undefined;
  } catch (err) {
    if (err instanceof CorefileError) return err.message;
    throw err;
  }
}

/** Why CoreDNS cannot load this Corefile ("/etc/coredns/Corefile:8 - Error during parsing: Unknown directive 'foward'"), or undefined. */
export function corefileLoadError(text: string, path: string, files: ReadonlyMap<string, string> = new Map()): string | undefined {
  try {
    caddyBlocks(text, path, files, COREDNS_DIRECTIVES);
    return undefined;
  } catch (err) {
    if (err instanceof CorefileError) return err.message;
    throw err;
  }
}
