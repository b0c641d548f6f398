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
