// The CLI bundle (dist/cli-main.js, loaded by the launcher dist/cli.js): parse argv and run the command.
// First: a signal during the seconds of loading exits 130 (src/cli/early-signals.ts).
import './early-signals.ts';
import { buildProgram } from './program.ts';

await buildProgram().parseAsync(process.argv);
