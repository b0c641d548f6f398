// Man pages generated from the commander program itself (scripts/man.ts writes man/*.1; a test checks
// the committed pages equal what this renders), so a page cannot drift from --help: the option terms
// and descriptions are commander's own Help strings, the same ones --help prints.
import { Command, Help, type Option } from 'commander';

/** roff text: backslashes escaped, hyphens unambiguous, no line starting with a control character. */
export function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    // Non-ASCII (×, —, …) as groff's Unicode escapes: plain groff reads its input as Latin-1.
    .replace(/[\u007f-\u{10ffff}]/gu, (c) => `\\[u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`)
    .split('\n')
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join('\n');
}

/** The commands that have a page: commander's implicit `help` command is --help's, not a page. */
export const visibleCommands = (cmd: Command): Command[] => cmd.createHelp().visibleCommands(cmd).filter((c) => c.name() !== 'help');

/** "coredns-sentinel check" for a subcommand. */
const fullName = (cmd: Command): string => (cmd.parent ? `${fullName(cmd.parent)} ${cmd.name()}` : cmd.name());
const pageName = (cmd: Command): string => fullName(cmd).replace(/ /g, '-');

function optionItem(help: Help, opt: Option): string {
  // "-n, --namespace <ns>": flags bold, the argument italic.
  const term = help.optionTerm(opt).replace(/^(.*?)(\s+[<[].*)?$/, (_m, flags: string, arg?: string) => `\\fB${roff(flags)}\\fR${arg ? ` \\fI${roff(arg.trim())}\\fR` : ''}`);
  return `.TP\n${term}\n${roff(help.optionDescription(opt))}`;
}

export interface PageExtras {
  /** Sections after OPTIONS: [title, roff body]. */
  sections?: [string, string][];
  seeAlso?: string[];
}

/** One command's page (section 1). */
export function commandPage(cmd: Command, version: string, extras: PageExtras = {}): string {
  const help = cmd.createHelp();
  const name = pageName(cmd);
  const lines = [
    `.\\" Generated from the commander program by scripts/man.ts (src/cli/manpage.ts); do not edit.`,
    `.TH ${roff(name.toUpperCase())} 1 "" "coredns-sentinel ${version}" "User Commands"`,
    '.SH NAME',
    `${roff(name)} \\- ${roff(cmd.description())}`,
    '.SH SYNOPSIS',
    `.B ${roff(fullName(cmd))}`,
    roff(help.commandUsage(cmd).slice(fullName(cmd).length).trim()),
    '.SH DESCRIPTION',
    roff(help.commandDescription(cmd)),
  ];
  const commands = visibleCommands(cmd);
  if (commands.length) {
    lines.push('.SH COMMANDS');
    for (const sub of commands) lines.push('.TP', `\\fB${roff(help.subcommandTerm(sub))}\\fR`, `${roff(help.subcommandDescription(sub))} (see \\fB${roff(pageName(sub))}\\fR(1))`);
  }
  const options = help.visibleOptions(cmd);
  if (options.length) lines.push('.SH OPTIONS', ...options.map((o) => optionItem(help, o)));
  for (const [title, body] of extras.sections ?? []) lines.push(`.SH ${roff(title.toUpperCase())}`, body);
  const seeAlso = [...(cmd.parent ? [pageName(cmd.parent)] : []), ...commands.map(pageName), ...(extras.seeAlso ?? [])];
  if (seeAlso.length) lines.push('.SH SEE ALSO', seeAlso.map((s) => (/\(\d\)$/.test(s) ? `\\fB${roff(s.replace(/\(\d\)$/, ''))}\\fR${s.match(/\(\d\)$/)![0]}` : `\\fB${roff(s)}\\fR(1)`)).join(',\n'));
  return `${lines.join('\n')}\n`;
}

/** Every command's page: `coredns-sentinel.1` and `coredns-sentinel-<command>.1`, keyed by file name. */
export function commandPages(program: Command, version: string, extras: (name: string) => PageExtras = () => ({})): Map<string, string> {
  const pages = new Map<string, string>();
  const walk = (cmd: Command) => {
    pages.set(`${pageName(cmd)}.1`, commandPage(cmd, version, extras(pageName(cmd))));
    for (const sub of visibleCommands(cmd)) walk(sub);
  };
  walk(program);
  return pages;
}

/** What the pages say beyond --help: where to read on, the environment. */
function extrasOf(name: string): PageExtras {
  const concepts = ['coredns-sentinel-modes(7)', 'coredns-sentinel-report(7)'];
  if (name === 'coredns-sentinel')
    return {
      sections: [
        ['Environment', '.TP\n.B KUBECONFIG\nThe kubeconfig file(s), as for kubectl, when \\fB\\-\\-kubeconfig\\fR is not given; then \\fI~/.kube/config\\fR, then the in\\-cluster ServiceAccount.'],
        ['Exit status', '0 when DNS is healthy, 1 when it is not; every other code (usage, API, probe, repair) is explained in \\fBcoredns\\-sentinel\\-report\\fR(7). \\fB\\-\\-exit\\-zero\\fR makes \\fBcheck\\fR exit 0 whenever the cluster was judged.'],
        ['Kubectl plugin', 'Installed with the package as \\fBkubectl\\-coredns_sentinel\\fR: \\fBkubectl coredns\\-sentinel check\\fR runs the same program.'],
      ],
      seeAlso: [...concepts, 'kubectl(1)'],
    };
  return { seeAlso: concepts };
}

/** The pages the package installs for the program's commands (the two section-7 pages are hand-written). */
export const manPages = (program: Command, version: string): Map<string, string> => commandPages(program, version, extrasOf);
