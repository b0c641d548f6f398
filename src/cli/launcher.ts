// The executable dist/cli.js: a few lines that make a signal exit 130 from the first moment (parsing
// the CLI bundle and its dependencies takes seconds on a busy machine, and until a handler exists a
// signal kills the process), then load the bundle, dist/cli-main.js (src/cli/main.ts), beside it.
import './library-deprecations.ts';
import './early-signals.ts';

// Resolved at run time next to this file (the bin may be reached through a symlink: Node resolves it).
await import(new URL('./cli-main.js', import.meta.url).href);
