// Dependency rules of src/ (make lint): cli → engine → stages → kube, one way, no cycles.
// Each folder may import only folders of a LOWER layer (and itself). A new folder must be placed here.
const LAYERS = [
  ['common'], // defaults, logger interface: imports nothing
  ['contracts'], // types and validators generated from schema/ (scripts/contracts.mjs): bundled into the probe
  ['probe'], // runs inside the probe pod: dependency-free, bundled alone
  ['kube'], // the only place that talks to the API (and imports @kubernetes/client-node)
  ['discover'],
  ['plan', 'probepod', 'freshness'],
  ['judge'],
  ['repair'],
  ['report'],
  ['watch', 'modes'],
  ['engine'], // the only orchestrator of a cycle
  ['cli'], // parse, validate, complete, print
];

const rank = new Map(LAYERS.flatMap((folders, i) => folders.map((f) => [f, i])));
const known = [...rank.keys()];

const layerRules = known.map((folder) => {
  const allowed = known.filter((f) => f === folder || rank.get(f) < rank.get(folder));
  return {
    name: `layer-${folder}`,
    comment: `src/${folder} may import only ${allowed.map((f) => `src/${f}`).join(', ')}`,
    severity: 'error',
    from: { path: `^src/${folder}/` },
    to: { path: '^src/', pathNot: `^src/(${allowed.join('|')})/` },
  };
});

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'folder-not-layered',
      comment: 'every folder of src/ has a place in LAYERS (.dependency-cruiser.cjs)',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/', pathNot: `^src/(${known.join('|')})/` },
    },
    {
      name: 'client-node-only-in-kube',
      comment: '@kubernetes/client-node is imported only in src/kube (one place to move to 2.x)',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/kube/' },
      to: { path: 'node_modules/@kubernetes/client-node' },
    },
    {
      name: 'winston-only-in-report-logger',
      comment: 'engine and stages take the Logger interface (src/common/logger.ts), never winston types',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/report/logger\\.ts$' },
      to: { path: 'node_modules/winston' },
    },
    {
      name: 'probe-is-dependency-free',
      comment: 'the probe program imports only node: builtins and dns-packet',
      severity: 'error',
      from: { path: '^src/(probe|contracts)/' },
      // ajv's runtime helpers (string length, deep equality) are bundled from the compiled validators.
      to: { path: 'node_modules/', pathNot: 'node_modules/(dns-packet|@types/node|ajv/dist/runtime|fast-deep-equal)/' },
    },
    {
      name: 'no-circular',
      comment: 'no module cycle through runtime imports (type-only imports are erased at build)',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'src-not-to-tests',
      comment: 'product code never imports the sim or test helpers',
      severity: 'error',
      from: { path: '^src/', pathNot: '\\.test\\.ts$' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
