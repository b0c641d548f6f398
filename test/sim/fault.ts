// The demo's fault CLI: talks to a running `make sim` over <dir>/control.sock.
//   node --import tsx test/sim/fault.ts [--dir .sim] <command> [args]
//   commands: pods | hang-dns <pod|--any> | drop-udp <pod|--any> | stale-watch <pod|--any> | conntrack-race | crash <pod|--any> | crash-loop <pod|--any>
//             wrong-record <pod|--any> <name> <address> | slow <pod|--any> <ms> | upstream-down
//             stub-down <domain> | scale <n> | cni-fail <pod|node> | drop-family ipv6 [pod] | nodelocal-down <node> [--dead]
//             node-no-network <node> | unpullable-image <image> | registry <host> <rate-limited [--after N]|unauthorized|unreachable> | nodes-at-capacity | clear
//             api VERB RESOURCE STATUS [--count N] [--name NAME] [--node NODE] [--namespace NS] [--message TEXT]
//             api-latency VERB RESOURCE MS [--count N] [--name NAME] [--node NODE] [--namespace NS] | api-clear [ID]
import { existsSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';

function parse(argv: string[]): { dir: string; command?: string; args: string[] } {
  const rest = [...argv];
  let dir = '.sim';
  const at = rest.indexOf('--dir');
  if (at >= 0) {
    dir = rest[at + 1] ?? dir;
    rest.splice(at, 2);
  }
  const [command, ...args] = rest;
  return { dir, command, args };
}

function send(socketPath: string, command: string, args: string[]): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path: '/', method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ command, args }));
  });
}

async function main(): Promise<number> {
  const { dir, command, args } = parse(process.argv.slice(2));
  if (!command) {
    console.error('usage: fault.ts [--dir .sim] <pods|hang-dns|drop-udp|stale-watch|conntrack-race|crash|crash-loop|wrong-record|slow|upstream-down|stub-down|scale|cni-fail|drop-family|nodelocal-down|node-no-network|unpullable-image|registry|nodes-at-capacity|api|api-latency|api-clear|clear> [args]');
    return 2;
  }
  const socketPath = join(dir, 'control.sock');
  if (!existsSync(socketPath)) {
    console.error(`fault: no simulated cluster is running in ${dir} (start one with \`make sim\`, or pass --dir)`);
    return 1;
  }
  try {
    const { status, text } = await send(socketPath, command, args);
    (status === 200 ? console.log : console.error)(status === 200 ? text : `fault: ${text}`);
    return status === 200 ? 0 : 1;
  } catch (err) {
    console.error(`fault: cannot reach the sim at ${socketPath} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); is \`make sim\` still running?`);
    return 1;
  }
}

void main().then((code) => (process.exitCode = code));
