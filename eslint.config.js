import tseslint from 'typescript-eslint';

/**
 * The layers of docs/architecture.md, bottom to top. A folder may import only folders below it
 * (and, for the renderer, only the API's contract): each entry lists what its files must not
 * import. Breaking a rule fails `npm run lint` and the test that runs it (test/lint/layers.test.ts).
 */
const LAYERS = {
  engine: [
    'data',
    'models',
    'evaluation',
    'runs',
    'methods',
    'api',
    'cluster',
    'cli',
    'main',
    'preload',
    'renderer',
  ],
  data: [
    'engine',
    'models',
    'evaluation',
    'runs',
    'methods',
    'api',
    'cluster',
    'cli',
    'main',
    'preload',
    'renderer',
  ],
  models: ['data', 'evaluation', 'runs', 'methods', 'api', 'cluster', 'cli', 'main', 'preload', 'renderer'],
  evaluation: ['engine', 'models', 'runs', 'methods', 'api', 'cluster', 'cli', 'main', 'preload', 'renderer'],
  runs: ['models', 'evaluation', 'methods', 'api', 'cluster', 'cli', 'main', 'preload', 'renderer'],
  methods: ['evaluation', 'api', 'cluster', 'cli', 'main', 'preload', 'renderer'],
  cluster: ['api', 'cli', 'main', 'preload', 'renderer'],
  api: ['cli', 'main', 'preload', 'renderer'],
  cli: ['main', 'preload', 'renderer'],
  // Heavy work never runs in Electron's processes: they reach it through the API only.
  main: ['engine', 'data', 'models', 'evaluation', 'runs', 'methods', 'cluster', 'cli', 'renderer'],
  preload: [
    'engine',
    'data',
    'models',
    'evaluation',
    'runs',
    'methods',
    'cluster',
    'cli',
    'main',
    'renderer',
  ],
  renderer: [
    'engine',
    'data',
    'models',
    'evaluation',
    'runs',
    'methods',
    'cluster',
    'cli',
    'main',
    'preload',
  ],
};

/** Outside src/engine, the engine is reached through its public face only (as torch, torch.nn, torch.optim). */
const ENGINE_FACE = {
  regex: String.raw`^(\.\./)+engine/(?!(nn|optim|io/safetensors|deviceType|precisionType)$)`,
  message:
    "import the engine through its public face: 'engine', 'engine/nn', 'engine/optim', 'engine/io/safetensors'",
};

function layerRule(layer, forbidden) {
  return {
    files: [`src/${layer}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: String.raw`^(\.\./)+(${forbidden.join('|')})(/|$)`,
              message: `src/${layer} sits below these layers (docs/architecture.md): it must not import them`,
            },
            ...(layer === 'engine' ? [] : [ENGINE_FACE]),
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'dist/**', 'native/build/**', 'test-artifacts/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // Test doubles stand in for Electron, the addon and fetch: loose on purpose, and never shipped.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  ...Object.entries(LAYERS).map(([layer, forbidden]) => layerRule(layer, forbidden)),
);
