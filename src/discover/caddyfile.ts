// A Corefile as CoreDNS itself reads it (its caddyfile package): tokens, server blocks with snippets
// spliced in, the SHA512 the reload plugin logs as "Running configuration SHA512 = …", and the error
// CoreDNS stops on when it cannot load the file. Pure. corefile.ts reads what a Corefile serves; this
// module only answers "which configuration is this, and would CoreDNS load it".
import { createHash } from 'node:crypto';

export const COREFILE_PATH = '/etc/coredns/Corefile';

/**
 * The directives of CoreDNS's stock build (plugin.cfg, 1.8–1.12). A directive outside this list stops
 * CoreDNS with "Unknown directive"; builds with external plugins add theirs (then the guard trusts what
 * the running pods loaded, see src/repair/config-guard.ts).
 */
const DIRECTIVES = new Set([
  'root', 'metadata', 'geoip', 'cancel', 'tls', 'quic', 'timeouts', 'multisocket', 'reload', 'nsid', 'bufsize', 'bind', 'debug',
  'trace', 'ready', 'health', 'pprof', 'prometheus', 'errors', 'log', 'dnstap', 'local', 'dns64', 'acl', 'any', 'chaos',
  'loadbalance', 'tsig', 'cache', 'rewrite', 'header', 'dnssec', 'autopath', 'minimal', 'template', 'transfer', 'hosts',
  'route53', 'azure', 'clouddns', 'k8s_external', 'kubernetes', 'file', 'auto', 'secondary', 'etcd', 'loop', 'forward',
  'grpc', 'erratic', 'whoami', 'on', 'sign', 'view', 'nomad',
]);

/** caddyfile.Token: Go marshals it with these field names, in this order. */
interface Token {
  File: string;
  Line: number;
  Text: string;
}

/** caddy's lexer: words split by whitespace, "quoted words" (only \" is an escape), # to the end of the line. */
export function lex(text: string, file = ''): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let val: string[] = [];
  let start = 1;
  let comment = false;
  let quoted = false;
  let escaped = false;
  const emit = () => {
    tokens.push({ File: file, Line: start, Text: val.join('') });
    val = [];
  };
  for (const ch of text) {
    if (quoted) {
      if (!escaped && ch === '\\') {
        escaped = true;
        continue;
      }
      if (!escaped && ch === '"') {
        quoted = false;
        emit();
        continue;
      }
      if (ch === '\n') line++;
      if (escaped && ch !== '"') val.push('\\');
      val.push(ch);
      escaped = false;
      continue;
    }
    if (/\s/.test(ch)) {
      if (ch === '\r') continue;
      if (ch === '\n') {
        line++;
        comment = false;
      }
      if (val.length > 0) emit();
      continue;
    }
    if (ch === '#') comment = true;
    if (comment) continue;
    if (val.length === 0) {
      start = line;
      if (ch === '"') {
        quoted = true;
        continue;
      }
    }
    val.push(ch);
  }
  if (val.length > 0 || quoted) emit();
  return tokens;
}

interface ServerBlock {
  Keys: string[];
  Tokens: Map<string, Token[]>;
}

class ParseError extends Error {}

/** caddyfile.Parse: server blocks, snippets defined and imported; `import` of files is noted, not followed. */
class Parser {
  private cursor = -1;
  private block: ServerBlock = { Keys: [], Tokens: new Map() };
  private eof = false;
  private readonly snippets = new Map<string, Token[]>();
  /** Some `import` names a file (not a snippet): its tokens are unknown here. */
  importsFiles = false;
  /** A `{$ENV}` or `{%ENV%}` placeholder: CoreDNS replaces it from its environment, unknown here. */
  usesEnv = false;

  constructor(
    private tokens: Token[],
    private readonly file: string,
    private readonly validDirectives?: ReadonlySet<string>,
  ) {}

  private next(): boolean {
    if (this.cursor < this.tokens.length - 1) {
      this.cursor++;
      return true;
    }
    return false;
  }

  private val(): string {
    const t = this.tokens[this.cursor];
    if (t && /\{\$[^}]+\}|\{%[^}]+%\}/.test(t.Text)) this.usesEnv = true;
    return t?.Text ?? '';
  }

  private isNewLine(): boolean {
    if (this.cursor < 1) return true;
    if (this.cursor > this.tokens.length - 1) return false;
    const prev = this.tokens[this.cursor - 1]!;
    const cur = this.tokens[this.cursor]!;
    return prev.File !== cur.File || prev.Line < cur.Line;
  }

  private err(msg: string): ParseError {
    const t = this.tokens[this.cursor];
    return new ParseError(`${t?.File || this.file}:${t?.Line ?? 0} - Error during parsing: ${msg}`);
  }

  private nextArg(): boolean {
    if (this.cursor < 0 || this.cursor >= this.tokens.length - 1) return false;
    const cur = this.tokens[this.cursor]!;
    const nxt = this.tokens[this.cursor + 1]!;
    if (cur.File === nxt.File && cur.Line + (cur.Text.match(/\n/g)?.length ?? 0) === nxt.Line) {
      this.cursor++;
      return true;
    }
    return false;
  }

  parseAll(): ServerBlock[] {
    const blocks: ServerBlock[] = [];
    while (this.next()) {
      this.block = { Keys: [], Tokens: new Map() };
      this.begin();
      if (this.block.Keys.length > 0) blocks.push(this.block);
    }
    return blocks;
  }

  private begin(): void {
    if (this.tokens.length === 0) return;
    this.addresses();
    if (this.eof) return;
    const keys = this.block.Keys;
    if (keys.length === 1 && keys[0]!.startsWith('(') && keys[0]!.endsWith(')')) {
      const name = keys[0]!.slice(1, -1);
      if (this.snippets.has(name)) throw this.err(`redeclaration of previously declared snippet ${name}`);
      this.snippets.set(name, this.snippetTokens());
      this.block.Keys = [];
      return;
    }
    this.blockContents();
  }

  private addresses(): void {
    let expectingAnother = false;
    for (;;) {
      let tkn = this.val();
      if (tkn === 'import' && this.isNewLine()) {
        this.doImport();
        continue;
      }
      if (tkn === '{') {
        if (expectingAnother) throw this.err(`Expected another address but had '${tkn}' - check for extra comma`);
        break;
      }
      if (tkn !== '') {
        expectingAnother = tkn.endsWith(',');
        if (expectingAnother) tkn = tkn.slice(0, -1);
        this.block.Keys.push(tkn);
      }
      const hasNext = this.next();
      if (expectingAnother && !hasNext) throw this.err('Unexpected EOF');
      if (!hasNext) {
        this.eof = true;
        break;
      }
      if (!expectingAnother && this.isNewLine()) break;
    }
  }

  private blockContents(): void {
    const braced = this.val() === '{';
    if (!braced) this.cursor--; // single-server configs need no braces
    this.directives();
    if (braced && this.val() !== '}') throw this.syntaxErr('}');
  }

  private syntaxErr(expected: string): ParseError {
    const t = this.tokens[this.cursor];
    return new ParseError(`${t?.File || this.file}:${t?.Line ?? 0} - Syntax error: Unexpected token '${t?.Text ?? ''}', expecting '${expected}'`);
  }

  private directives(): void {
    while (this.next()) {
      if (this.val() === '}') break;
      if (this.val() === 'import') {
        this.doImport();
        this.cursor--;
        continue;
      }
      this.directive();
    }
  }

  /** Splices a snippet's tokens in place of `import NAME`; a file import is dropped and noted. */
  private doImport(): void {
    if (!this.nextArg()) throw this.err('Wrong argument count or unexpected line ending after \'import\'');
    const pattern = this.val();
    if (pattern === '') throw this.err('Import requires a non-empty filepath');
    if (this.nextArg()) throw this.err('Import takes only one argument (glob pattern or file)');
    const before = this.tokens.slice(0, this.cursor - 1);
    const after = this.tokens.slice(this.cursor + 1);
    const snippet = this.snippets.get(pattern);
    if (!snippet) this.importsFiles = true;
    this.tokens = [...before, ...(snippet ?? []), ...after];
    // On the first spliced token (or what followed the import), as caddy leaves it.
    this.cursor--;
  }

  private directive(): void {
    const dir = this.val();
    let nesting = 0;
    if (this.validDirectives && !this.validDirectives.has(dir)) throw this.err(`Unknown directive '${dir}'`);
    const own = this.block.Tokens.get(dir) ?? [];
    this.block.Tokens.set(dir, own);
    own.push(this.tokens[this.cursor]!);
    while (this.next()) {
      const v = this.val();
      if (v === '{') nesting++;
      else if (this.isNewLine() && nesting === 0) {
        this.cursor--;
        break;
      } else if (v === '}' && nesting > 0) nesting--;
      else if (v === '}' && nesting === 0) throw this.err("Unexpected '}' because no matching opening brace");
      else if (v === 'import' && this.isNewLine()) {
        this.doImport();
        this.cursor--;
        continue;
      }
      own.push(this.tokens[this.cursor]!);
    }
    if (nesting > 0) throw this.err('Unexpected EOF');
  }

  private snippetTokens(): Token[] {
    if (this.val() !== '{') throw this.syntaxErr('{');
    let count = 1;
    const tokens: Token[] = [];
    while (this.next()) {
      if (this.val() === '}' && --count === 0) break;
      if (this.val() === '{') count++;
      tokens.push(this.tokens[this.cursor]!);
    }
    if (count !== 0) throw this.syntaxErr('}');
    return tokens;
  }
}

/** encoding/json's string escaping: JSON's, plus <, >, & and U+2028/2029 as \u escapes. */
const goString = (s: string) =>
  JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

const goToken = (t: Token) => `{"File":${goString(t.File)},"Line":${t.Line},"Text":${goString(t.Text)}}`;

/** json.Marshal([]caddyfile.ServerBlock): map keys sorted, as Go does. */
function goJson(blocks: ServerBlock[]): string {
  if (blocks.length === 0) return 'null';
  const block = (b: ServerBlock) => {
    const dirs = [...b.Tokens.keys()].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    const tokens = dirs.map((d) => `${goString(d)}:[${b.Tokens.get(d)!.map(goToken).join(',')}]`).join(',');
    return `{"Keys":[${b.Keys.map(goString).join(',')}],"Tokens":{${tokens}}}`;
  };
  return `[${blocks.map(block).join(',')}]`;
}

export interface CorefileReading {
  /**
   * The SHA512 (hex) CoreDNS's reload plugin logs for this Corefile ("Running configuration SHA512 = …");
   * undefined when it imports files or uses environment placeholders (their contents are not known here)
   * or does not parse.
   */
  sha512?: string;
  /** Why CoreDNS cannot load it, in CoreDNS's words ("/etc/coredns/Corefile:8 - Error during parsing: Unknown directive 'foward'"). */
  loadError?: string;
}

/** Reads a Corefile as CoreDNS does: its running-configuration hash, and whether it would load. */
export function readCorefile(text: string, path = COREFILE_PATH): CorefileReading {
  // The reload plugin's own parse: structure only (any directive), tokens without a file name.
  let sha512: string | undefined;
  try {
    const p = new Parser(lex(text), path);
    const blocks = p.parseAll();
    if (!p.importsFiles && !p.usesEnv) sha512 = createHash('sha512').update(goJson(blocks)).digest('hex');
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    return { loadError: err.message };
  }
  // Loading it: the same parse with the server type's directives.
  try {
    new Parser(lex(text), path, DIRECTIVES).parseAll();
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    return { ...(sha512 && { sha512 }), loadError: err.message };
  }
  return sha512 ? { sha512 } : {};
}
