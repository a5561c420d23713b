/**
 * Engine benchmark: one training step (forward, loss, backward, Adam) of the CC2D U-Net
 * (src/models/unetVgg.ts) through the TypeScript engine, against its C++ twin
 * (bench/engine/unet_step.cpp: the same network written with torch::nn on the same libtorch).
 *
 *   npm run bench:engine -- [--size 96] [--batch 2] [--width 1] [--levels 5] [--no-dilated]
 *                           [--device cpu] [--steps 8] [--warmup 2] [--threads N] [--json]
 *                           [--net unet|grouped|adapter] [--landmarks 19]
 *
 * Prints ms/step (median) for each engine, their ratio (TS / C++; the bar is <= 1.10 on CPU), CPU
 * time per step and the peak RSS of each process. Then the TS step in other layouts and precisions
 * against the fp32 default, in the same run and interleaved step by step: channels-last, and bf16
 * autocast (with and without channels-last) where the device computes bf16 (CUDA, or a CPU with
 * AVX512_BF16/AMX; `--variants none` skips this part). The twin runs as a child process that steps on
 * request, and the two engines alternate step by step (TS, C++, C++, TS, ...), so load from other
 * processes on a shared machine hits both alike; the ratio reported is the median of the per-pair
 * ratios. Before timing, the twin's state-dict names and shapes are checked against the TS model's:
 * the two must be the same network.
 *
 * `--net grouped|adapter`: the dense methods' networks instead (src/methods/dense/nets.ts; SLA/ATD's
 * 19 grouped models, the Adapter's shared backbone) on per-landmark crops (batch, landmarks, size,
 * size), as the cascade form trains them. They have no C++ twin: only the layout/precision variants
 * are compared. quick's shapes: `--net grouped --size 64 --batch 6 --width 0.0625 --levels 4` and
 * `--net adapter --size 64 --batch 6 --width 0.25 --levels 4`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  Tensor,
  autocast,
  cpuHasBf16,
  engineInfo,
  getNumThreads,
  seed,
  setNumThreads,
  tidy,
  type Device,
  type Precision,
} from '../src/engine';
import { Adam } from '../src/engine/optim';
import type { Module } from '../src/engine/nn';
import { densePreset } from '../src/methods/dense/config';
import { buildDenseNet } from '../src/methods/dense/nets';
import { UNetVgg } from '../src/models/unetVgg';
import { buildTwin } from './engine/twin';

type BenchNet = 'unet' | 'grouped' | 'adapter';

interface Opts {
  net: BenchNet;
  landmarks: number;
  size: number;
  batch: number;
  width: number;
  levels: number;
  dilated: boolean;
  device: Device;
  steps: number;
  warmup: number;
  threads: number;
  json: boolean;
  variants: boolean;
}

function parseArgs(argv: string[]): Opts {
  const o: Opts = {
    net: 'unet',
    landmarks: 19,
    size: 96,
    batch: 2,
    width: 1,
    levels: 5,
    dilated: true,
    device: 'cpu',
    steps: 8,
    warmup: 2,
    threads: os.availableParallelism(),
    json: false,
    variants: true,
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
    if (a === '--net') {
      const v = val();
      if (v !== 'unet' && v !== 'grouped' && v !== 'adapter')
        throw new Error(`bench:engine: --net ${v}: expected unet, grouped or adapter`);
      o.net = v;
    } else if (a === '--landmarks') o.landmarks = num();
    else if (a === '--size') o.size = num();
    else if (a === '--batch') o.batch = num();
    else if (a === '--width') o.width = num();
    else if (a === '--levels') o.levels = num();
    else if (a === '--no-dilated') o.dilated = false;
    else if (a === '--device') o.device = val() as Device;
    else if (a === '--steps') o.steps = num();
    else if (a === '--warmup') o.warmup = Number(val());
    else if (a === '--threads') o.threads = num();
    else if (a === '--json') o.json = true;
    else if (a === '--variants') o.variants = val() !== 'none';
    else if (a === '--help' || a === '-h') {
      console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]);
      process.exit(0);
    } else throw new Error(`bench:engine: unknown option ${a}`);
  }
  if (o.size % 2 ** o.levels !== 0)
    throw new Error(`bench:engine: --size must be a multiple of ${2 ** o.levels} for ${o.levels} levels`);
  return o;
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

interface StepTime {
  ms: number;
  /** CPU time of the process (all threads) during the step. */
  cpuMs: number;
  loss: number;
}

/** The twin as a child process that runs one step per request (`unet_step --serve`). */
class Twin {
  private readonly lines: AsyncIterator<string>;
  peakRssKiB = 0;
  private constructor(private readonly child: ReturnType<typeof spawn>) {
    this.lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  }
  static async start(bin: string, o: Opts): Promise<Twin> {
    const child = spawn(bin, [...twinArgs(o), '--serve'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const twin = new Twin(child);
    await twin.next();
    return twin;
  }
  private async next(): Promise<Record<string, number>> {
    const r = await this.lines.next();
    if (r.done) throw new Error(`bench:engine: the C++ twin exited (code ${this.child.exitCode})`);
    return JSON.parse(r.value) as Record<string, number>;
  }
  async step(): Promise<StepTime> {
    this.child.stdin!.write('step\n');
    const r = await this.next();
    this.peakRssKiB = Math.max(this.peakRssKiB, r.peakRssKiB);
    return { ms: r.ms, cpuMs: r.cpuMs, loss: r.loss };
  }
  stop(): void {
    this.child.stdin!.end('quit\n');
  }
}

/** Names and shapes of the twin's state dict vs the TS model's: the bench is void if they differ. */
function checkSameNetwork(bin: string, o: Opts, net: Module): void {
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

/** How the TS step stores and computes: the default is fp32, contiguous (NCHW). */
interface StepVariant {
  name: string;
  channelsLast: boolean;
  precision: Precision;
}

const DEFAULT_VARIANT: StepVariant = { name: 'fp32 (default)', channelsLast: false, precision: 'fp32' };

/** The network a step trains, and the scalar its step minimises (the bench times compute, not learning). */
interface BenchModel {
  module: Module;
  input: [number, number, number, number];
  loss(x: Tensor): Tensor;
}

function benchModel(o: Opts): BenchModel {
  if (o.net === 'unet') {
    const net = new UNetVgg({ width: o.width, levels: o.levels, dilated: o.dilated });
    return {
      module: net,
      input: [o.batch, 1, o.size, o.size],
      loss: (x) => {
        const { embeddings } = net.forward(x);
        let l = embeddings[0].float().pow(2).mean();
        for (let i = 1; i < embeddings.length; i++) l = l.add(embeddings[i].float().pow(2).mean());
        return l;
      },
    };
  }
  // quick's network, at the width and depth asked for (a grouped net's extra levels get 2 convs).
  const quick = densePreset(o.net === 'grouped' ? 'atd' : 'adapter', 'quick').dense.net;
  const cfg =
    quick.kind === 'grouped'
      ? {
          ...quick,
          width: o.width,
          levels: o.levels,
          convs: Array.from({ length: o.levels }, (_, i) => quick.convs[i] ?? 2),
        }
      : { ...quick, width: o.width, levels: o.levels };
  const net = buildDenseNet(cfg, o.landmarks, 'cpu');
  return {
    module: net.module,
    // The cascade form: one crop per landmark, as channels.
    input: [o.batch, o.landmarks, o.size, o.size],
    loss: (x) => net.forward(x).float().pow(2).mean(),
  };
}

class TsStep {
  readonly net: Module;
  private readonly model: BenchModel;
  private readonly opt: Adam;
  private readonly x: Tensor;
  constructor(
    private readonly o: Opts,
    private readonly variant: StepVariant = DEFAULT_VARIANT,
  ) {
    seed(0);
    this.model = benchModel(o);
    this.net = this.model.module;
    if (o.device !== 'cpu') this.net.to(o.device);
    if (variant.channelsLast) this.net.channelsLast();
    this.net.train();
    this.opt = new Adam(this.net.parameters(), { lr: 1e-3, weightDecay: 1e-4 });
    const x = Tensor.rand(this.model.input, { device: o.device });
    this.x = variant.channelsLast ? x.channelsLast() : x;
    if (this.x !== x) x.dispose();
  }
  /** One step; same order of work as the twin's loop. */
  step(): number {
    this.opt.zeroGrad();
    return tidy(() => {
      // Forward and loss under autocast, backward outside it (as torch.autocast is used).
      const loss = autocast(this.o.device, this.variant.precision, () => this.model.loss(this.x));
      loss.backward();
      this.opt.step();
      return loss.item(); // syncs the device too
    });
  }
  timedStep(): StepTime {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const loss = this.step();
    const t1 = performance.now();
    const c1 = process.cpuUsage(c0);
    return { ms: t1 - t0, cpuMs: (c1.user + c1.system) / 1000, loss };
  }
}

/** The layouts and precisions this device can run, the fp32 default first. */
function stepVariants(o: Opts): StepVariant[] {
  const out = [
    DEFAULT_VARIANT,
    { name: 'fp32 channels-last', channelsLast: true, precision: 'fp32' as const },
  ];
  if (o.device !== 'cpu' || cpuHasBf16()) {
    out.push({ name: 'bf16 autocast', channelsLast: false, precision: 'bf16' });
    out.push({ name: 'bf16 + channels-last', channelsLast: true, precision: 'bf16' });
  }
  return out;
}

/**
 * Every variant's step, round-robin (a different one first in each round), so load from other
 * processes falls on all alike; ratios are against the fp32 default of the same round.
 */
function compareVariants(o: Opts): { name: string; msPerStep: number; ratio: number; loss: number }[] {
  const variants = stepVariants(o);
  const steps = variants.map((v) => new TsStep(o, v));
  for (let w = 0; w < o.warmup; w++) for (const s of steps) s.timedStep();
  const times = variants.map(() => [] as number[]);
  const ratios = variants.map(() => [] as number[]);
  const losses = variants.map(() => 0);
  for (let i = 0; i < o.steps; i++) {
    const round: number[] = [];
    for (let k = 0; k < steps.length; k++) {
      const j = (i + k) % steps.length;
      const t = steps[j].timedStep();
      round[j] = t.ms;
      losses[j] = t.loss;
    }
    round.forEach((ms, j) => {
      times[j].push(ms);
      ratios[j].push(ms / round[0]);
    });
  }
  return variants.map((v, j) => ({
    name: v.name,
    msPerStep: median(times[j]),
    ratio: median(ratios[j]),
    loss: losses[j],
  }));
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (o.net !== 'unet') {
    setNumThreads(o.threads);
    denseVariants(o);
    return;
  }
  const baseRssKiB = process.resourceUsage().maxRSS;
  const { bin, libtorch } = await buildTwin();
  setNumThreads(o.threads);
  const ts = new TsStep(o);
  checkSameNetwork(bin, o, ts.net);

  const twin = await Twin.start(bin, o);
  for (let w = 0; w < o.warmup; w++) {
    ts.timedStep();
    await twin.step();
  }
  const tsRuns: StepTime[] = [];
  const cppRuns: StepTime[] = [];
  const pairRatios: number[] = [];
  try {
    for (let i = 0; i < o.steps; i++) {
      // Alternate which engine goes first within a pair, so neither always follows the other.
      let a: StepTime, b: StepTime;
      if (i % 2 === 0) {
        a = ts.timedStep();
        b = await twin.step();
      } else {
        b = await twin.step();
        a = ts.timedStep();
      }
      tsRuns.push(a);
      cppRuns.push(b);
      pairRatios.push(a.ms / b.ms);
      process.stderr.write(
        `  step ${i + 1}/${o.steps}: ts ${a.ms.toFixed(1)} ms, c++ ${b.ms.toFixed(1)} ms\n`,
      );
    }
  } finally {
    twin.stop();
  }
  const tsMs = tsRuns.map((r) => r.ms);
  const cppMs = cppRuns.map((r) => r.ms);
  const tsMed = median(tsMs);
  const cppMed = median(cppMs);
  const ratio = median(pairRatios);
  const cpuRatio = median(tsRuns.map((r) => r.cpuMs)) / median(cppRuns.map((r) => r.cpuMs));
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
    },
    params: ts.net.numParameters(),
    libtorch: libtorch.version,
    engine: engineInfo().libtorch,
    ts: {
      msPerStep: tsMed,
      min: Math.min(...tsMs),
      cpuMsPerStep: median(tsRuns.map((r) => r.cpuMs)),
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
      nodeBaselineRssMiB: baseRssKiB / 1024,
    },
    cpp: {
      msPerStep: cppMed,
      min: Math.min(...cppMs),
      cpuMsPerStep: median(cppRuns.map((r) => r.cpuMs)),
      peakRssMiB: twin.peakRssKiB / 1024,
    },
    ratio,
    ratioOfMedians: tsMed / cppMed,
    minRatio: Math.min(...tsMs) / Math.min(...cppMs),
    cpuRatio,
    loadAverage: os.loadavg()[0],
    bar: 1.1,
    pass: ratio <= 1.1,
  };
  const variants = o.variants ? compareVariants(o) : [];
  if (o.json) {
    console.log(JSON.stringify({ ...result, variants }));
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
    `ratio TS / C++ = ${ratio.toFixed(3)} (median of ${pairRatios.length} paired steps; bar <= 1.10: ${result.pass ? 'PASS' : 'FAIL'}); ratio of medians ${result.ratioOfMedians.toFixed(3)}, of minima ${result.minRatio.toFixed(3)}, of CPU time ${cpuRatio.toFixed(3)}`,
  );
  if (variants.length) {
    console.log(
      `\nTS step by layout and precision (${o.steps} interleaved rounds; ratio = variant / fp32 default in the same round, median)${o.device === 'cpu' && !cpuHasBf16() ? '; bf16 skipped: this CPU has no bf16 units' : ''}`,
    );
    for (const v of variants)
      console.log(
        `${v.name.padEnd(22)} ${f(v.msPerStep)} ms/step   ratio ${v.ratio.toFixed(3)}   last loss ${v.loss.toFixed(4)}`,
      );
  }
  console.log(
    `${o.warmup} warm-up steps each; 1-min load average at the end ${result.loadAverage.toFixed(2)} on ${os.availableParallelism()} CPUs${result.loadAverage > os.availableParallelism() ? ' (machine busy: wall times are noisy, prefer the CPU-time ratio)' : ''}`,
  );
}

/** The dense networks have no C++ twin: their step by layout and precision only. */
function denseVariants(o: Opts): void {
  const probe = benchModel(o);
  const params = probe.module.numParameters();
  probe.module.dispose();
  const variants = compareVariants(o);
  if (o.json) {
    console.log(JSON.stringify({ config: { ...o }, params, engine: engineInfo().libtorch, variants }));
    return;
  }
  const f = (v: number) => v.toFixed(1).padStart(8);
  console.log(
    `${o.net} network (${(params / 1e6).toFixed(2)} M params, ${o.landmarks} landmarks) train step, ${o.device}, crops ${o.size}x${o.size}, batch ${o.batch}, width ${o.width}, levels ${o.levels}, ${getNumThreads()} threads`,
  );
  console.log(
    `step by layout and precision (${o.steps} interleaved rounds; ratio = variant / fp32 default in the same round, median)${o.device === 'cpu' && !cpuHasBf16() ? '; bf16 skipped: this CPU has no bf16 units' : ''}`,
  );
  for (const v of variants)
    console.log(
      `${v.name.padEnd(22)} ${f(v.msPerStep)} ms/step   ratio ${v.ratio.toFixed(3)}   last loss ${v.loss.toFixed(4)}`,
    );
  console.log(
    `${o.warmup} warm-up steps each; 1-min load average at the end ${os.loadavg()[0].toFixed(2)} on ${os.availableParallelism()} CPUs`,
  );
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
