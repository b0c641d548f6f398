// esbuild plugins shared by the CLI bundle (scripts/build.mjs) and the single executable (scripts/release.mjs).
import { createRequire } from 'node:module';

// Optional native helpers that ws and node-fetch try to require and do without when absent
// (bufferutil, utf-8-validate, encoding): bundled as a module that throws, as when they are not
// installed, so that a bundle never reaches for node_modules (a SEA cannot serve a require()).
export const absentOptionals = {
  name: 'absent-optionals',
  setup(b) {
    b.onResolve({ filter: /^(bufferutil|utf-8-validate|encoding)$/ }, (args) => ({ path: args.path, namespace: 'absent' }));
    b.onLoad({ filter: /.*/, namespace: 'absent' }, (args) => ({ contents: `throw new Error('${args.path} is not bundled');`, loader: 'js' }));
  },
};

// node-fetch's URL parser (tr46, whatwg-url) requires "punycode", which is Node's deprecated built-in.
// Node 22+ warns about it (DEP0040) on stderr, but only for code outside node_modules — which bundled
// code is. The userland package of the same name (installed beside them) is bundled instead.
const userlandPunycodePath = createRequire(import.meta.url).resolve('punycode/');
export const userlandPunycode = {
  name: 'userland-punycode',
  setup(b) {
    b.onResolve({ filter: /^punycode$/ }, () => ({ path: userlandPunycodePath }));
  },
};
