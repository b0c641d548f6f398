// Bundled, the libraries' code no longer lives under node_modules, and Node 22+ then reports their uses
// of deprecated APIs (url.parse, the punycode built-in) as this program's own, on stderr — where every
// line is meant for the user to act on, and these are not. Silenced, as Node silences them for
// node_modules. Imported first by the executable (launcher.ts) and the single executable's entry.
process.noDeprecation = true;
