/**
 * Builds the C++ twin of bench:engine (bench/engine/unet_step.cpp) with scripts/libtorch.mjs's
 * flags, the addon's. Kept free of engine imports so the twin can compile while the addon builds
 * (`tsx bench/engine/twin.ts`, or the GPU check running both at once).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root: the first folder upward holding the twin's source (this file may be bundled elsewhere). */
function findRepo(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'bench', 'engine', 'unet_step.cpp'))) return dir;
    const up = path.dirname(dir);
    if (up === dir)
      throw new Error(
        'bench:engine: bench/engine/unet_step.cpp not found above ' + fileURLToPath(import.meta.url),
      );
    dir = up;
  }
}
export const repo = findRepo();
const SRC = path.join(repo, 'bench', 'engine', 'unet_step.cpp');
const OUT_DIR = path.join(repo, 'bench', 'out');
const BIN = path.join(OUT_DIR, 'unet_step');

export interface LibtorchInfo {
  cxxflags: string[];
  ldflags: string[];
  version: string;
}

/** Compiles the twin with scripts/libtorch.mjs's flags (the addon's), reusing it while source and flags are unchanged. */
export async function buildTwin(): Promise<{ bin: string; libtorch: LibtorchInfo }> {
  const { findLibtorch } = (await import(pathToFileURL(path.join(repo, 'scripts', 'libtorch.mjs')).href)) as {
    findLibtorch: () => LibtorchInfo;
  };
  const lt = findLibtorch();
  const args = ['-O2', '-std=c++17', ...lt.cxxflags, SRC, '-o', BIN, ...lt.ldflags];
  // The allocator settings it shares with the addon are part of what it is.
  const stamp = createHash('sha256')
    .update(readFileSync(SRC))
    .update(readFileSync(path.join(repo, 'native', 'src', 'allocator.h')))
    .update(JSON.stringify(args))
    .digest('hex');
  const stampFile = `${BIN}.stamp`;
  if (existsSync(BIN) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp)
    return { bin: BIN, libtorch: lt };
  mkdirSync(OUT_DIR, { recursive: true });
  process.stderr.write(
    `bench:engine: compiling ${path.relative(repo, SRC)} against libtorch ${lt.version} (about a minute)...\n`,
  );
  const cxx = process.env.CXX ?? 'g++';
  const r = spawnSync(cxx, args, { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(`bench:engine: building the C++ twin failed (${cxx} exit ${r.status}):\n${r.stderr}`);
  writeFileSync(stampFile, stamp);
  return { bin: BIN, libtorch: lt };
}

// Run directly (tsx bench/engine/twin.ts, or its bundle .gpu/twin.mjs), not when imported or bundled into bench:engine.
if (/(^|[\\/])twin\.(ts|mjs)$/.test(process.argv[1] ?? '')) {
  const { bin, libtorch } = await buildTwin();
  process.stdout.write(`twin ${path.relative(repo, bin)} built against libtorch ${libtorch.version}\n`);
}
