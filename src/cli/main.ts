// The coredns-sentinel executable (dist/cli.js): parse argv and run the command.
import { buildProgram } from './program.ts';

await buildProgram().parseAsync(process.argv);
