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

function layerPatterns(layer, forbidden) {
  return [
    {
      regex: String.raw`^(\.\./)+(${forbidden.join('|')})(/|$)`,
      message: `src/${layer} sits below these layers (docs/architecture.md): it must not import them`,
    },
    ...(layer === 'engine' ? [] : [ENGINE_FACE]),
  ];
}

/** A folder's import patterns. ESLint keeps the last config's options for a file, so each list is whole. */
function restrict(files, patterns) {
  return { files, rules: { 'no-restricted-imports': ['error', { patterns }] } };
}

function layerRule(layer, forbidden) {
  return restrict([`src/${layer}/**/*.ts`], layerPatterns(layer, forbidden));
}

/** An import of `names` (folders of src/api) from inside src/api or from outside it. */
function apiFolders(names, message) {
  return { regex: String.raw`^(\.\./)+(api/)?(${names.join('|')})(/|$)`, message };
}

/** An import of src/<folder> other than the one import-free module `except`. */
function folderExcept(folder, except, message) {
  return { regex: String.raw`^(\.\./)+${folder}(?!/${except}$)(/|$)`, message };
}

const CONTRACT_ONLY = 'the contract is all it shares with the other processes';
const NO_ENGINE = 'the service never loads the engine: a job runs in the engine worker (src/api/worker)';

/**
 * src/api split by process, as VS Code layers its platform code (common / node / electron-main):
 *   contract/  what the renderer, preload and every process share: the API's types, its IPC
 *              channel table, its errors and the training form's fields; no Node, and of the
 *              layers below only data/types, methods/catalog and engine/deviceType (type-only)
 *   disk/      the project's and a job's files on disk, read by the service and the worker
 *   service/   the plain-Node service behind both transports; engine-free
 *   worker/    the engine process that trains and predicts one job
 *   http/      the HTTP + WebSocket transport: server.ts (Node), client.ts and wire.ts (the browser)
 * Each entry lists what its files must not import, on top of src/api's own layer rule.
 */
const API_PARTS = {
  contract: [
    apiFolders(
      ['service', 'worker', 'http', 'disk'],
      `src/api/contract: ${CONTRACT_ONLY}; nothing imports back`,
    ),
    { regex: '^node:', message: 'src/api/contract runs in the renderer too: no Node modules' },
    folderExcept('engine', 'deviceType', 'src/api/contract may import engine/deviceType only (type-only)'),
    folderExcept('data', 'types', 'src/api/contract may import data/types only (type-only)'),
    folderExcept('methods', 'catalog', 'src/api/contract may import methods/catalog only (engine-free)'),
    {
      regex: String.raw`^(\.\./)+(runs|models|evaluation|cluster)(/|$)`,
      message: 'src/api/contract may import data/types, methods/catalog and engine/deviceType only',
    },
  ],
  disk: [
    apiFolders(
      ['service', 'worker', 'http'],
      'src/api/disk holds file formats that the service and the worker share',
    ),
    { regex: String.raw`^(\.\./)+(engine|runs|models|methods)(/|$)`, message: NO_ENGINE },
  ],
  service: [
    apiFolders(
      ['worker', 'http'],
      'src/api/service starts the worker as a process and is served by the transports',
    ),
    { regex: String.raw`^(\.\./)+(engine|runs|models)(/|$)`, message: NO_ENGINE },
    folderExcept('methods', 'catalog', NO_ENGINE),
  ],
  worker: [
    apiFolders(
      ['service', 'http'],
      'src/api/worker reads the contract and the files on disk only, never the service or a transport',
    ),
  ],
  http: [apiFolders(['service', 'worker', 'disk'], `src/api/http carries the API: ${CONTRACT_ONLY}`)],
};

/** The browser half of the HTTP transport, which the renderer bundles. */
const HTTP_BROWSER_FILES = ['src/api/http/client.ts', 'src/api/http/wire.ts'];
const NO_NODE_IN_BROWSER = { regex: '^node:', message: 'the renderer bundles this file: no Node modules' };

/** What of src/api the renderer and preload see: the contract (and the renderer the HTTP client). */
const API_FOR = {
  preload: { regex: String.raw`^(\.\./)+api/(?!contract/)`, message: `src/preload: ${CONTRACT_ONLY}` },
  renderer: {
    regex: String.raw`^(\.\./)+api/(?!contract/|http/client$)`,
    message: `src/renderer: ${CONTRACT_ONLY} (and the HTTP client, in a browser)`,
  },
  // Electron's main process serves the API; the engine runs in the worker's own process.
  main: {
    regex: String.raw`^(\.\./)+api/worker(/|$)`,
    message: 'src/main must not import the engine worker',
  },
};

function apiRules() {
  const api = layerPatterns('api', LAYERS.api);
  return [
    ...Object.entries(API_PARTS).map(([part, patterns]) =>
      restrict([`src/api/${part}/**/*.ts`], [...api, ...patterns]),
    ),
    restrict(HTTP_BROWSER_FILES, [...api, ...API_PARTS.http, NO_NODE_IN_BROWSER]),
    ...Object.entries(API_FOR).map(([layer, pattern]) =>
      restrict([`src/${layer}/**/*.ts`], [...layerPatterns(layer, LAYERS[layer]), pattern]),
    ),
  ];
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
  // After the layer rules: these lists replace theirs for the files they name.
  ...apiRules(),
);
