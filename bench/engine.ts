/**
 * Engine benchmark: one training step (forward, loss, backward, Adam) of the CC2D U-Net
 * (src/models/unetVgg.ts) through the TypeScript engine, against its C++ twin
 * (bench/engine/unet_step.cpp: the same network written with torch::nn on the same libtorch).
 *
 *   npm run bench:engine -- [--size 96] [--batch 2] [--width 1] [--levels 5] [--no-dilated]
 *                           [--device cpu] [--steps 6] [--warmup 2] [--rounds 2] [--threads N] [--json]
 *
 * Prints ms/step (median) for each engine, their ratio (TS / C++; the bar is <= 1.10 on CPU) and
 * the peak RSS of each process. Runs alternate between engines (`rounds` times) so that load from
 * other processes on a shared machine hits both alike. Before timing, the C++ twin's state-dict
 * names and shapes are checked against the TS model's: the two must be the same network.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Tensor, engineInfo, getNumThreads, seed, setNumThreads, tidy, type Device } from '../src/engine';
import { Adam } from '../src/engine/optim';
import { UNetVgg } from '../src/models/unetVgg';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(repo, 'bench', 'engine', 'unet_step.cpp');
const OUT_DIR = path.join(repo, 'bench', 'out');
const BIN = path.join(OUT_DIR, 'unet_step');

interface Opts {
  size: number;
  batch: number;
  width: number;
  levels: number;
  dilated: boolean;
  device: Device;
  steps: number;
  warmup: number;
  rounds: number;
  threads: number;
  json: boolean;
}

function parseArgs(argv: string[]): Opts {
  const o: Opts = {
    size: 96,
    batch: 2,
    width: 1,
    levels: 5,
    dilated: true,
    device: 'cpu',
    steps: 6,
    warmup: 2,
    rounds: 2,
    threads: os.availableParallelism(),
    json: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`bench:engine: ${a} needs a value`);
      return v;
    };
    const num = () => {
      const v = Number(val());
      if (!Number.isFinite(v) || v <= 0) throw new Error(`bench:engine: ${a} needs a positive number`);
      return v;
    };
    if (a === '--size') o.size = num();
    else if (a === '--batch') o.batch = num();
    else if (a === '--width') o.width = num();
    else if (a === '--levels') o.levels = num();
    else if (a === '--no-dilated') o.dilated = false;
    else if (a === '--device') o.device = val() as Device;
    else if (a === '--steps') o.steps = num();
    else if (a === '--warmup') o.warmup = Number(val());
    else if (a === '--rounds') o.rounds = num();
    else if (a === '--threads') o.threads = num();
    else if (a === '--json') o.json = true;
    else if (a === '--help' || a === '-h') {
      console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]);
      process.exit(0);
    } else throw new Error(`bench:engine: unknown option ${a}`);
  }
  if (o.size % 2 ** o.levels !== 0)
    throw new Error(`bench:engine: --size must be a multiple of ${2 ** o.levels} for ${o.levels} levels`);
  return o;
}

interface LibtorchInfo {
  cxxflags: string[];
  ldflags: string[];
  version: string;
}

/** Compiles the twin with scripts/libtorch.mjs's flags (the addon's), reusing it while source and flags are unchanged. */
async function buildTwin(): Promise<{ bin: string; libtorch: LibtorchInfo }> {
  const { findLibtorch } = (await import(pathToFileURL(path.join(repo, 'scripts', 'libtorch.mjs')).href)) as {
    findLibtorch: () => LibtorchInfo;
  };
  const lt = findLibtorch();
  const args = ['-O2', '-std=c++17', ...lt.cxxflags, SRC, '-o', BIN, ...lt.ldflags];
  const stamp = createHash('sha256').update(readFileSync(SRC)).update(JSON.stringify(args)).digest('hex');
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

function twinArgs(o: Opts): string[] {
  const a = [
    '--size',
    String(o.size),
    '--batch',
    String(o.batch),
    '--width',
    String(o.width),
    '--levels',
    String(o.levels),
    '--threads',
    String(o.threads),
    '--device',
    o.device,
  ];
  if (!o.dilated) a.push('--no-dilated');
  return a;
}

interface RunResult {
  ms: number[];
  /** CPU time of the process (all threads) per step. */
  cpuMs: number[];
  loss: number[];
  peakRssKiB: number;
  params: number;
}

function runTwin(bin: string, o: Opts, steps: number, warmup: number): RunResult {
  const out = execFileSync(bin, [...twinArgs(o), '--steps', String(steps), '--warmup', String(warmup)], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as RunResult;
}

/** Names and shapes of the twin's state dict vs the TS model's: the bench is void if they differ. */
function checkSameNetwork(bin: string, o: Opts, net: UNetVgg): void {
  const listed = JSON.parse(
    execFileSync(bin, [...twinArgs(o), '--list'], { encoding: 'utf8', maxBuffer: 1 << 24 }),
  ) as [string, number[]][];
  const cpp = new Map(listed.map(([n, s]) => [n, s.join('x')]));
  const ts = new Map([...net.stateDict()].map(([n, t]) => [n, t.shape.join('x')]));
  const diffs: string[] = [];
  for (const [n, s] of ts) if (cpp.get(n) !== s) diffs.push(`${n}: ts ${s}, c++ ${cpp.get(n) ?? 'absent'}`);
  for (const n of cpp.keys()) if (!ts.has(n)) diffs.push(`${n}: only in c++`);
  if (diffs.length)
    throw new Error(
      `bench:engine: the C++ twin is not the same network as src/models/unetVgg.ts:\n  ${diffs.slice(0, 20).join('\n  ')}`,
    );
}

class TsStep {
  readonly net: UNetVgg;
  private readonly opt: Adam;
  private readonly x: Tensor;
  constructor(o: Opts) {
    seed(0);
    this.net = new UNetVgg({ width: o.width, levels: o.levels, dilated: o.dilated });
    if (o.device !== 'cpu') this.net.to(o.device);
    this.net.train();
    this.opt = new Adam(this.net.parameters(), { lr: 1e-3, weightDecay: 1e-4 });
    this.x = Tensor.rand([o.batch, 1, o.size, o.size], { device: o.device });
  }
  /** One step; same order of work as the twin's loop. */
  step(): number {
    this.opt.zeroGrad();
    return tidy(() => {
      const { embeddings } = this.net.forward(this.x);
      let loss = embeddings[0].pow(2).mean();
      for (let i = 1; i < embeddings.length; i++) loss = loss.add(embeddings[i].pow(2).mean());
      loss.backward();
      this.opt.step();
      return loss.item(); // syncs the device too
    });
  }
  run(steps: number, warmup: number): RunResult {
    const ms: number[] = [];
    const cpuMs: number[] = [];
    const loss: number[] = [];
    for (let s = 0; s < warmup + steps; s++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const l = this.step();
      const t1 = performance.now();
      const c1 = process.cpuUsage(c0);
      if (s >= warmup) {
        ms.push(t1 - t0);
        cpuMs.push((c1.user + c1.system) / 1000);
        loss.push(l);
      }
    }
    return { ms, cpuMs, loss, peakRssKiB: process.resourceUsage().maxRSS, params: this.net.numParameters() };
  }
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const baseRssKiB = process.resourceUsage().maxRSS;
  const { bin, libtorch } = await buildTwin();
  setNumThreads(o.threads);
  const ts = new TsStep(o);
  checkSameNetwork(bin, o, ts.net);

  const tsMs: number[] = [];
  const cppMs: number[] = [];
  const tsCpu: number[] = [];
  const cppCpu: number[] = [];
  let cppRss = 0;
  let tsRes: RunResult | null = null;
  let cppRes: RunResult | null = null;
  for (let r = 0; r < o.rounds; r++) {
    // Alternate which engine goes first, so a burst of outside load does not favour one.
    const order = r % 2 === 0 ? ['c++', 'ts'] : ['ts', 'c++'];
    for (const which of order) {
      if (which === 'c++') {
        cppRes = runTwin(bin, o, o.steps, o.warmup);
        cppMs.push(...cppRes.ms);
        cppCpu.push(...cppRes.cpuMs);
        cppRss = Math.max(cppRss, cppRes.peakRssKiB);
      } else {
        tsRes = ts.run(o.steps, r === 0 ? o.warmup : 0);
        tsMs.push(...tsRes.ms);
        tsCpu.push(...tsRes.cpuMs);
      }
      process.stderr.write(
        `  round ${r + 1}/${o.rounds} ${which.padEnd(3)} ${median(which === 'ts' ? tsRes!.ms : cppRes!.ms).toFixed(1)} ms/step\n`,
      );
    }
  }
  const tsMed = median(tsMs);
  const cppMed = median(cppMs);
  const ratio = tsMed / cppMed;
  const cpuRatio = median(tsCpu) / median(cppCpu);
  const result = {
    config: {
      size: o.size,
      batch: o.batch,
      width: o.width,
      levels: o.levels,
      dilated: o.dilated,
      device: o.device,
      threads: getNumThreads(),
      steps: o.steps,
      warmup: o.warmup,
      rounds: o.rounds,
    },
    params: tsRes!.params,
    libtorch: libtorch.version,
    engine: engineInfo().libtorch,
    ts: {
      msPerStep: tsMed,
      min: Math.min(...tsMs),
      cpuMsPerStep: median(tsCpu),
      peakRssMiB: tsRes!.peakRssKiB / 1024,
      nodeBaselineRssMiB: baseRssKiB / 1024,
    },
    cpp: {
      msPerStep: cppMed,
      min: Math.min(...cppMs),
      cpuMsPerStep: median(cppCpu),
      peakRssMiB: cppRss / 1024,
    },
    ratio,
    minRatio: Math.min(...tsMs) / Math.min(...cppMs),
    cpuRatio,
    loadAverage: os.loadavg()[0],
    bar: 1.1,
    pass: ratio <= 1.1,
  };
  if (o.json) {
    console.log(JSON.stringify(result));
    return;
  }
  const f = (v: number) => v.toFixed(1).padStart(8);
  console.log(
    `U-Net (VGG19-BN, ${(result.params / 1e6).toFixed(2)} M params) train step, ${o.device}, ${o.size}x${o.size}, batch ${o.batch}, width ${o.width}, ${result.config.threads} threads, libtorch ${libtorch.version}`,
  );
  console.log(`engine      median ms/step   min ms/step   CPU ms/step   peak RSS MiB`);
  console.log(
    `TypeScript ${f(tsMed)}        ${f(result.ts.min)}      ${f(result.ts.cpuMsPerStep)}    ${f(result.ts.peakRssMiB)}  (node + libtorch loaded, before the model: ${result.ts.nodeBaselineRssMiB.toFixed(0)} MiB)`,
  );
  console.log(
    `C++ twin   ${f(cppMed)}        ${f(result.cpp.min)}      ${f(result.cpp.cpuMsPerStep)}    ${f(result.cpp.peakRssMiB)}`,
  );
  console.log(
    `ratio TS / C++ = ${ratio.toFixed(3)} (bar <= 1.10: ${result.pass ? 'PASS' : 'FAIL'}); min-step ratio ${result.minRatio.toFixed(3)}, CPU-time ratio ${cpuRatio.toFixed(3)}`,
  );
  console.log(
    `${tsMs.length} + ${cppMs.length} timed steps; 1-min load average at the end ${result.loadAverage.toFixed(2)} on ${os.availableParallelism()} CPUs${result.loadAverage > os.availableParallelism() ? ' (machine busy: wall times are noisy, prefer the CPU-time ratio)' : ''}`,
  );
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
