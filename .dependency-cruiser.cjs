// No import circle anywhere in the repository (type-only imports included: they are circles for the reader, and
// a circle that is type-only today gains a value import tomorrow). Checked by tests/main/no-cycles.test.ts and by
// `npm run lint`; the folders cruised are the ones listed in IMPORT_GRAPH_ROOTS there and in package.json.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import circle: move what both sides need into a module of its own (see docs/architecture.md).',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|out|dist|\\.cache|test-results)/' },
    // Type-only imports count (they are erased by the compiler, not by the reader).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.mts', '.d.mts', '.js', '.mjs', '.json'] },
  },
}
