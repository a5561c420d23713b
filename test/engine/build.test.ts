// scripts/libtorch.mjs (finding libtorch, flags for CUDA/pip layouts), scripts/build-native.mjs's
// up-to-date check, and the loader's message when the addon is missing.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { LibtorchNotFoundError, cxxStandardFor, findLibtorch } from '../../scripts/libtorch.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = mkdtempSync(path.join(tmpdir(), 'onemark-libtorch-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A fake libtorch layout: enough files for the finder, no real binaries. */
function fakeLibtorch(
  name: string,
  o: { cuda?: boolean; cxx11?: boolean; version?: string; python?: boolean },
): string {
  const root = path.join(tmp, name);
  mkdirSync(path.join(root, 'include', 'ATen'), { recursive: true });
  mkdirSync(path.join(root, 'include', 'torch', 'csrc', 'api', 'include', 'torch'), { recursive: true });
  mkdirSync(path.join(root, 'lib'), { recursive: true });
  writeFileSync(path.join(root, 'include', 'ATen', 'ATen.h'), '');
  writeFileSync(
    path.join(root, 'include', 'torch', 'csrc', 'api', 'include', 'torch', 'version.h'),
    `#define TORCH_VERSION "${o.version ?? '2.11.0'}"\n`,
  );
  writeFileSync(path.join(root, 'lib', 'libtorch.so'), '');
  writeFileSync(
    path.join(root, 'lib', 'libc10.so'),
    o.cxx11 ? 'xx_ZNSt7__cxx1112basic_stringxx' : 'no new abi here',
  );
  if (o.cuda) {
    writeFileSync(path.join(root, 'lib', 'libtorch_cuda.so'), '');
    writeFileSync(path.join(root, 'lib', 'libc10_cuda.so'), '');
  }
  if (o.python) writeFileSync(path.join(root, '__init__.py'), '');
  return root;
}

describe('scripts/libtorch.mjs', () => {
  it('finds the system libtorch here (Debian libtorch-dev)', () => {
    const info = findLibtorch();
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.libs).toEqual(expect.arrayContaining(['torch', 'torch_cpu', 'c10']));
    expect(info.cxxflags[0]).toMatch(/^-std=c\+\+(17|20)$/);
    expect(info.ldflags).toContain(`-Wl,-rpath,${info.libDir}`);
  });

  it('LIBTORCH with CUDA: links torch_cuda/c10_cuda inside --no-as-needed, detects the ABI, picks C++20 for 2.11', () => {
    const root = fakeLibtorch('cuda', { cuda: true, cxx11: true });
    const info = findLibtorch({ env: { LIBTORCH: root } });
    expect(info.cuda).toBe(true);
    expect(info.version).toBe('2.11.0');
    expect(info.cxxStd).toBe('c++20');
    expect(info.defines).toContain('_GLIBCXX_USE_CXX11_ABI=1');
    const ld = info.ldflags.join(' ');
    expect(ld).toMatch(/-Wl,--no-as-needed .*-ltorch_cuda .*-lc10_cuda .*-Wl,--as-needed/);
    expect(ld).toContain(`-Wl,-rpath,${path.join(root, 'lib')}`);
    expect(info.cxxflags).toContain(`-I${path.join(root, 'include', 'torch', 'csrc', 'api', 'include')}`);
  });

  it('a PyTorch install dir without an importable torch falls back to the library symbols (old ABI)', () => {
    const root = fakeLibtorch('pip', { python: true, cxx11: false, version: '2.1.0' });
    const info = findLibtorch({ env: { LIBTORCH: root } });
    expect(info.defines).toContain('_GLIBCXX_USE_CXX11_ABI=0');
    expect(info.cuda).toBe(false);
    expect(info.cxxStd).toBe('c++17');
  });

  it('a bad LIBTORCH gives one message saying how to get libtorch; the CLI exits non-zero', () => {
    expect(() => findLibtorch({ env: { LIBTORCH: path.join(tmp, 'nope') } })).toThrow(LibtorchNotFoundError);
    expect(() => findLibtorch({ env: { LIBTORCH: tmp } })).toThrow(
      /apt-get install libtorch-dev[\s\S]*LIBTORCH=/,
    );
    const r = spawnSync(process.execPath, [path.join(repo, 'scripts', 'libtorch.mjs')], {
      env: { ...process.env, LIBTORCH: tmp },
      encoding: 'utf8',
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/libtorch was not found/);
    expect(r.stderr).toMatch(/pytorch\.org/);
  });

  it('cxxStandardFor', () => {
    expect(['1.13.0', '2.4.1', '2.10.0', '2.13.0', 'unknown'].map(cxxStandardFor)).toEqual([
      'c++17',
      'c++17',
      'c++20',
      'c++20',
      'c++17',
    ]);
  });
});

describe('scripts/build-native.mjs and the loader', () => {
  it('skips the build when sources and flags are unchanged', () => {
    const out = execFileSync(process.execPath, [path.join(repo, 'scripts', 'build-native.mjs')], {
      encoding: 'utf8',
    });
    expect(out).toMatch(/libtorch \d+\.\d+\.\d+ \(.*\), (CUDA|CPU only)/);
    expect(out).toMatch(/up to date/);
  });

  it('importing the engine without the addon says how to build it', () => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', '-e', "await import('./src/engine/index.ts')"],
      {
        cwd: repo,
        env: { ...process.env, ONEMARK_ADDON: path.join(tmp, 'missing.node') },
        encoding: 'utf8',
      },
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/engine addon was not found \(looked for .*missing\.node\)/);
    expect(r.stderr).toMatch(/npm run build:native/);
    expect(r.stderr).toMatch(/apt-get install libtorch-dev/);
  });
});
