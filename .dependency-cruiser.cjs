// The import rules of the architecture (README "Architecture", ../shared/design.md), checked by
// `npm run lint`: arrows point one way, cli -> app -> adapters (hl7, dicom, http, mirror) -> services
// (mapping, worklist) -> store -> model, with config, log, metrics (the interface) and errors usable
// from every layer, install-dir from app and http. http, like dicom, never reaches the store: app
// hands it narrow services.
/** Every layer and the layers below it that it may import. */
const layers = {
  cli: ['app', 'config', 'log', 'errors'],
  app: ['hl7', 'dicom', 'http', 'mirror', 'tls', 'audit', 'mapping', 'worklist', 'store', 'model', 'config', 'log', 'metrics', 'errors', 'install-dir'],
  hl7: ['mapping', 'worklist', 'model', 'config', 'log', 'metrics', 'errors'],
  dicom: ['worklist', 'model', 'config', 'log', 'metrics', 'errors'],
  http: ['worklist', 'model', 'config', 'log', 'metrics', 'errors', 'install-dir'],
  mirror: ['worklist', 'model', 'config', 'log', 'metrics', 'errors'],
  tls: ['config', 'log', 'errors'],
  audit: ['config', 'log', 'errors'],
  mapping: ['model', 'errors'],
  worklist: ['store', 'model', 'log', 'errors'],
  store: ['model', 'errors'],
  model: ['errors'],
  config: ['model', 'errors'],
  log: [],
  metrics: [],
  errors: [],
  /** Where the installation is (its package.json, mappings/, the console's assets). */
  'install-dir': [],
};

/** The layer of a path under src/: its folder, or for a file directly in src/ its name. */
const layerOf = (name) => `^src/(${name}/|${name}\\.ts$|${name}-[a-z-]+\\.ts$)`;

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'No import cycles.', from: { path: '^src/' }, to: { circular: true } },
    ...Object.entries(layers).map(([layer, allowed]) => ({
      name: `${layer}-imports-only-below`,
      severity: 'error',
      comment: `${layer} may import only: ${allowed.join(', ') || 'nothing of the project'} (besides itself).`,
      from: { path: layerOf(layer) },
      to: { path: '^src/', pathNot: [layerOf(layer), ...allowed.map(layerOf)] },
    })),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
