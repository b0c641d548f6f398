// The CLI bundle (dist/cli-main.js, loaded by the launcher dist/cli.js): parse argv and run the command.
// First: a signal during the seconds of loading exits 130 (src/cli/early-signals.ts).
import './early-signals.ts';
import { buildProgram } from './program.ts';

// One turn of the event loop before any command: a signal that arrived while the bundle loaded (Node 24
// loads it without turning the loop, so it is still undelivered) reaches the early handler now, not the
// command's once the command has begun talking to the cluster.
await new Promise<void>((resolve) => setImmediate(resolve));
await buildProgram().parseAsync(process.argv);
