#!/usr/bin/env node
// Finds a libtorch to compile and link against, and reports the flags.
//
// Used by scripts/build-native.mjs (the addon) and by the engine benchmark (its C++ twin), so both
// build against exactly the same libtorch with the same ABI. Sources, in order:
//   1. env LIBTORCH: a libtorch distribution (include/, lib/) or a PyTorch install dir
//      (site-packages/torch, which also has include/ and lib/); CUDA builds included.
//   2. the system: Debian's libtorch-dev (/usr/include/torch, libtorch.so in the multiarch lib dir).
//
// CLI: `node scripts/libtorch.mjs` prints the result as JSON; `--cflags` / `--ldflags` print one
// line of compiler / linker flags for shell use.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HOW_TO_GET_LIBTORCH = [
  'libtorch was not found. Get it one of these ways:',
  '  - Debian/Ubuntu: sudo apt-get install libtorch-dev',
  '  - download libtorch from https://pytorch.org (C++ / LibTorch), unpack it, and set LIBTORCH=/path/to/libtorch',
  '  - use an installed PyTorch: LIBTORCH=$(python3 -c "import torch,os;print(os.path.dirname(torch.__file__))")',
  'then run: npm run build:native',
].join('\n');

export class LibtorchNotFoundError extends Error {
  constructor(detail) {
    super(detail ? `${detail}\n${HOW_TO_GET_LIBTORCH}` : HOW_TO_GET_LIBTORCH);
    this.name = 'LibtorchNotFoundError';
  }
}

/** Version string from whichever version header this libtorch layout has. */
function readVersion(includeDirs, root) {
  const candidates = [];
  for (const inc of includeDirs) {
    candidates.push(path.join(inc, 'torch', 'version.h'));
    candidates.push(path.join(inc, 'torch', 'csrc', 'api', 'include', 'torch', 'version.h'));
  }
  for (const file of candidates) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const m = /#define\s+TORCH_VERSION\s+\\?\s*"([^"]+)"/.exec(text);
    if (m) return m[1];
    const major = /TORCH_VERSION_MAJOR\s+(\d+)/.exec(text);
    const minor = /TORCH_VERSION_MINOR\s+(\d+)/.exec(text);
    const patch = /TORCH_VERSION_PATCH\s+(\d+)/.exec(text);
    if (major && minor) return `${major[1]}.${minor[1]}.${patch ? patch[1] : 0}`;
  }
  // libtorch zips carry build-version; pip installs carry version.py.
  if (root) {
    const bv = path.join(root, 'build-version');
    if (existsSync(bv)) return readFileSync(bv, 'utf8').trim();
    const vp = path.join(root, 'version.py');
    if (existsSync(vp)) {
      const m = /__version__\s*=\s*['"]([^'"]+)['"]/.exec(readFileSync(vp, 'utf8'));
      if (m) return m[1];
    }
  }
  return 'unknown';
}

/**
 * C++ standard for consumers of this libtorch: 1.x and early 2.x headers want C++17; PyTorch moved
 * its headers to C++20 around 2.10-2.13 (later ones #error under C++17), and C++20 is accepted by
 * every 2.x. Override with env ONEMARK_CXX_STD.
 */
export function cxxStandardFor(version) {
  const m = /^(\d+)\.(\d+)/.exec(version ?? '');
  if (!m) return 'c++17';
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 2 || (major === 2 && minor >= 10) ? 'c++20' : 'c++17';
}

function multiarchLibDirs() {
  const dirs = [];
  try {
    const triple = execFileSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).trim();
    if (triple) dirs.push(`/usr/lib/${triple}`);
  } catch {
    // gcc missing or without multiarch: fall back to the common names below
  }
  const byArch = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }[process.arch];
  if (byArch) dirs.push(`/usr/lib/${byArch}`);
  dirs.push('/usr/lib', '/usr/local/lib', '/usr/lib64');
  return [...new Set(dirs)];
}

/**
 * _GLIBCXX_USE_CXX11_ABI of a libtorch build. Pip wheels were long built with the old ABI, so ask
 * python when it is the PyTorch install; otherwise look for C++11-ABI symbol names in libc10 (small).
 */
function detectCxx11Abi(root, libDir, isPythonInstall) {
  if (isPythonInstall) {
    try {
      const out = execFileSync(
        'python3',
        ['-c', 'import torch;print(int(torch._C._GLIBCXX_USE_CXX11_ABI))'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 },
      ).trim();
      if (out === '0' || out === '1') return Number(out);
    } catch {
      // python or torch not importable here: use the symbols instead
    }
  }
  const c10 = ['libc10.so', 'libc10.dylib'].map((f) => path.join(libDir, f)).find((f) => existsSync(f));
  if (!c10) return undefined;
  const bytes = readFileSync(c10);
  return bytes.includes('__cxx11') ? 1 : 0;
}

function libraryPresent(libDir, name) {
  return existsSync(path.join(libDir, `lib${name}.so`)) || existsSync(path.join(libDir, `lib${name}.dylib`));
}

function fromDir(root) {
  const includeDirs = [
    path.join(root, 'include'),
    path.join(root, 'include', 'torch', 'csrc', 'api', 'include'),
  ];
  const libDir = path.join(root, 'lib');
  if (!existsSync(path.join(includeDirs[0], 'ATen', 'ATen.h'))) {
    throw new LibtorchNotFoundError(
      `LIBTORCH=${root}: no include/ATen/ATen.h there (expected a libtorch or site-packages/torch dir).`,
    );
  }
  if (!libraryPresent(libDir, 'torch')) {
    throw new LibtorchNotFoundError(`LIBTORCH=${root}: no lib/libtorch.so there.`);
  }
  const isPythonInstall = existsSync(path.join(root, '__init__.py'));
  return { root, includeDirs, libDir, isPythonInstall, source: 'LIBTORCH' };
}

function fromSystem() {
  const incRoots = ['/usr/include', '/usr/local/include'];
  const incRoot = incRoots.find(
    (d) =>
      existsSync(path.join(d, 'torch', 'csrc', 'api', 'include')) &&
      existsSync(path.join(d, 'ATen', 'ATen.h')),
  );
  if (!incRoot) return null;
  const libDir = multiarchLibDirs().find((d) => libraryPresent(d, 'torch'));
  if (!libDir) return null;
  return {
    root: incRoot,
    includeDirs: [incRoot, path.join(incRoot, 'torch', 'csrc', 'api', 'include')],
    libDir,
    isPythonInstall: false,
    source: 'system',
  };
}

/**
 * Locates libtorch and returns what a g++ command line needs.
 * @param {{ env?: NodeJS.ProcessEnv }} [opts]
 * @returns {{ includeDirs: string[], libDir: string, libs: string[], defines: string[], cxxflags: string[],
 *   ldflags: string[], version: string, cxxStd: string, cuda: boolean, source: string, root: string,
 *   cxx11Abi: number|undefined }}  cxxflags include -std=, the include dirs and the ABI define.
 * @throws {LibtorchNotFoundError} when none is found; its message says how to get one.
 */
export function findLibtorch({ env = process.env } = {}) {
  const found = env.LIBTORCH ? fromDir(path.resolve(env.LIBTORCH)) : fromSystem();
  if (!found) throw new LibtorchNotFoundError();
  const { root, includeDirs, libDir, isPythonInstall, source } = found;

  const cuda = libraryPresent(libDir, 'torch_cuda');
  const libs = ['torch', 'torch_cpu', 'c10'];
  if (cuda) libs.push('torch_cuda', 'c10_cuda');

  const defines = [];
  // The system build uses the compiler's default ABI; only foreign builds need it spelled out.
  const cxx11Abi = source === 'system' ? undefined : detectCxx11Abi(root, libDir, isPythonInstall);
  if (cxx11Abi !== undefined) defines.push(`_GLIBCXX_USE_CXX11_ABI=${cxx11Abi}`);

  const version = readVersion(includeDirs, root);
  const cxxStd = process.env.ONEMARK_CXX_STD || cxxStandardFor(version);
  // -I/usr/include would reorder the compiler's own search path (breaking #include_next in libstdc++).
  const cxxflags = [
    `-std=${cxxStd}`,
    ...includeDirs.filter((d) => d !== '/usr/include').map((d) => `-I${d}`),
    ...defines.map((d) => `-D${d}`),
  ];
  // --no-as-needed: nothing in our code references torch_cuda symbols directly, yet the library must
  // be loaded for its static initialisers to register the CUDA backend.
  const ldflags = [
    `-L${libDir}`,
    '-Wl,--no-as-needed',
    ...libs.map((l) => `-l${l}`),
    '-Wl,--as-needed',
    `-Wl,-rpath,${libDir}`,
  ];
  return {
    includeDirs,
    libDir,
    libs,
    defines,
    cxxflags,
    ldflags,
    version,
    cxxStd,
    cuda,
    source,
    root,
    cxx11Abi,
  };
}

function main(argv) {
  let info;
  try {
    info = findLibtorch();
  } catch (e) {
    if (e instanceof LibtorchNotFoundError) {
      console.error(e.message);
      process.exit(1);
    }
    throw e;
  }
  if (argv.includes('--cflags')) console.log(info.cxxflags.join(' '));
  else if (argv.includes('--ldflags')) console.log(info.ldflags.join(' '));
  else console.log(JSON.stringify(info, null, 2));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2));
}
