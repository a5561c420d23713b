/**
 * `npm run bench:table1 -- [--preset smoke|quick|full] [--methods cc2d,sla,atd,adapter,f2]
 *                          [--seed N] [--threads N] [--device D] [--data DIR] [--out DIR] [--limit N] [--prior cc2d|FRAC]`
 *
 * The paper's Table 1 and Table 2 on ISBI 2015 under one budget: template 125 (its label is the only
 * one read for training), images 1–150 unlabelled, scored on Test1 (151–300) against
 * floor((senior + junior) / 2) in mm. CC2D's stage 1 and pseudo-labels are trained once (in
 * OUT/cc2d, which is also the CC2D row) and shared by SLA, ATD, Adapter and F2; each method's
 * training time includes that shared stage 1. Besides accuracy it prints training time, peak memory
 * (process RSS high-water mark, CPU; libtorch's CUDA memory is not counted) and prediction time per image.
 *
 * Presets (the same reduced budget for every method within a preset):
 *   smoke  minutes: checks the whole pipeline (tiny networks, a few steps); numbers mean nothing.
 *   quick  aimed at the whole table within 90 minutes on a 2-core CPU (estimated, not yet timed end to
 *          end): shared stage 1 at 256 px (500 steps), every second stage at 96 px for 150 steps, F2's
 *          fine stage 100 steps on 64 px crops at half resolution.
 *   full   the paper's budgets (CC2D full, and each method's full preset): for a GPU.
 * Rerunning the same command resumes killed runs and reuses finished ones (predictions are redone).
 *
 * --prior cc2d|FRAC|0: besides the paper's vote, also score sla/atd/adapter/f2 with votes limited to
 * FRAC·grid around CC2D stage 1's answer; `cc2d` (default) takes the CC2D row's own stage-2
 * priorRadiusFrac (0.1 in quick, 0 in full), so every method is also scored under the CC2D row's rule.
 */
import { checkDevice } from '../src/engine/device';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ISBI2015_TEMPLATE_ID, openIsbi2015 } from '../src/data/datasets/isbi2015';
import { writeLandmarks } from '../src/data/formats';
import { cudaAvailable, engineInfo, setNumThreads } from '../src/engine';
import { evaluate, table1Markdown, table2Markdown, type Evaluation } from '../src/evaluation';
import type { Cc2dConfig } from '../src/methods/cc2d/config';
import type { DenseConfig } from '../src/methods/dense/config';
import type { F2Config } from '../src/methods/f2/config';
import { METHOD_NAMES, getMethod, type MethodName } from '../src/methods/registry';
import { datasetRef, oneShotTrainingView } from '../src/runs/oneShot';
import { readRunConfig } from '../src/runs/config';
import { RunLayout } from '../src/runs/layout';
import { ProgressStream, logProgress } from '../src/runs/progress';
import { type PresetName } from '../src/methods/shared/presets';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: a } = parseArgs({
  options: {
    preset: { type: 'string', default: 'quick' },
    methods: { type: 'string', default: METHOD_NAMES.join(',') },
    seed: { type: 'string', default: '1' },
    threads: { type: 'string' },
    device: { type: 'string' },
    data: { type: 'string', default: path.resolve(repo, '..', 'shared', 'isbi2015') },
    out: { type: 'string' },
    limit: { type: 'string' },
    prior: { type: 'string', default: 'cc2d' },
    quiet: { type: 'boolean', default: false },
  },
});

function fail(msg: string): never {
  process.stderr.write(`bench:table1: ${msg}\n`);
  process.exit(1);
}

type BenchPreset = 'smoke' | 'quick' | 'full';
const BENCH_PRESETS: BenchPreset[] = ['smoke', 'quick', 'full'];
if (!(BENCH_PRESETS as string[]).includes(a.preset!))
  fail(`--preset ${a.preset}: expected one of ${BENCH_PRESETS.join(', ')}`);
const preset = a.preset as BenchPreset;
const methods = a.methods!.split(',').map((m) => m.trim()) as MethodName[];
for (const m of methods)
  if (!METHOD_NAMES.includes(m))
    fail(`--methods: unknown method '${m}' (available: ${METHOD_NAMES.join(', ')})`);
if (!fs.existsSync(a.data!)) fail(`ISBI 2015 data not found at ${a.data} (give --data)`);
const seed = Number(a.seed);
const threads = a.threads ? Number(a.threads) : os.availableParallelism();
setNumThreads(threads);
const device = checkDevice(a.device ?? (cudaAvailable() ? 'cuda' : 'cpu'));
const outDir = path.resolve(a.out ?? path.join(repo, 'bench', 'out', `table1-${preset}-s${seed}`));
fs.mkdirSync(outDir, { recursive: true });

/** The engine preset each bench preset starts from. */
const basePreset: PresetName = preset === 'smoke' ? 'tiny' : preset;

/** Stage 1 (shared) for this bench preset. */
function stage1Budget(c: Cc2dConfig): void {
  if (preset === 'quick') c.stage1.iterations = 500;
  if (preset === 'smoke') {
    c.stage1 = { ...c.stage1, size: 128, patch: 64, iterations: 30 };
  }
}

/** Every method's second stage gets the same grid and steps within a preset. */
// quick: on this CPU small-channel convolutions are overhead-bound, so the cost of the 19 SLA models
// scales with pixels x landmarks whatever their width; 96 px and 150 steps keep every method's second
// stage to minutes (measured under load: SLA 15 s/step at 128 px with 2 threads shared by ~7 jobs).
const SECOND = { quick: { size: 96, iterations: 150 }, smoke: { size: 64, iterations: 20 } } as const;

function configure(method: MethodName, cfg: unknown): void {
  if (preset === 'full') return;
  const b = SECOND[preset];
  if (method === 'cc2d') {
    const c = cfg as Cc2dConfig;
    stage1Budget(c);
    c.stage2 = {
      ...c.stage2,
      size: b.size,
      iterations: b.iterations,
      lrStep: Math.round((2 * b.iterations) / 3),
    };
    c.checkpointEvery = 50;
    return;
  }
  const c = cfg as DenseConfig;
  stage1Budget(c.cc2d);
  c.dense = {
    ...c.dense,
    size: b.size,
    iterations: b.iterations,
    lrStep: Math.round((2 * b.iterations) / 3),
  };
  if (c.dense.refresh)
    c.dense.refresh = { ...c.dense.refresh, every: Math.max(1, Math.round(b.iterations / 4)), start: 0.5 };
  c.checkpointEvery = 50;
  if (method === 'f2') {
    const f = (c as F2Config).fine;
    Object.assign(
      f,
      preset === 'quick'
        ? { crop: 64, scale: 2, iterations: 100, maxShift: 16, maxMove: 16 }
        : { crop: 32, scale: 4, iterations: 10, maxShift: 6, maxMove: 6 },
    );
  }
}

/** Peak resident memory since the last reset (Linux: VmHWM, reset through clear_refs). */
function resetPeak(): void {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    /* not Linux: the peak then covers the whole process */
  }
}
function peakMiB(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    /* fall through */
  }
  return process.memoryUsage().rss / 2 ** 20;
}

const t0 = performance.now();
const ds = await openIsbi2015(a.data!);
const input = oneShotTrainingView(ds, ISBI2015_TEMPLATE_ID);
const progress = new ProgressStream();
const stageSpan = new Map<string, [number, number]>();
progress.on((e) => {
  const now = performance.now();
  const s = stageSpan.get(e.stage);
  stageSpan.set(e.stage, [s ? s[0] : now, now]);
});
if (!a.quiet) logProgress(progress, (l) => process.stderr.write(l), { t0 });
process.stderr.write(
  `bench:table1 ${preset} (${methods.join(', ')}), seed ${seed}, ${device}, ${threads} thread(s), libtorch ${String(engineInfo().libtorch)}; runs in ${outDir}\n`,
);

const test = ds.split('test1').slice(0, a.limit ? Number(a.limit) : undefined);
const testRefs = test.map((it) => datasetRef(ds, it));
const gtAll = ds.groundTruth('test1');
const testIds = new Set(test.map((t) => t.id));
const gt = { ...gtAll, images: gtAll.images.filter((i) => testIds.has(i.imageId)) };
const known = ds.items.map((i) => i.id);

interface Cost {
  method: string;
  trainMin: number;
  peakMiB: number;
  predictSecPerImage: number;
  note: string;
}
const evals: Evaluation[] = [];
const costs: Cost[] = [];
const cc2dDir = path.join(outDir, 'cc2d');
/** The CC2D row's stage-2 vote prior (its preset's priorRadiusFrac); `--prior cc2d` gives it to the other methods too. */
let cc2dPriorFrac = 0;
const timesFile = path.join(outDir, 'train-times.json');
const times: Record<string, number> = fs.existsSync(timesFile)
  ? JSON.parse(fs.readFileSync(timesFile, 'utf8'))
  : {};
const source = { images: `${a.data}:train`, landmarks: `${a.data} (label of ${ISBI2015_TEMPLATE_ID} only)` };

// CC2D first: its run holds the shared stage 1 even when the CC2D row itself is not asked for.
const order: MethodName[] = ['cc2d', ...methods.filter((m) => m !== 'cc2d')];
for (const m of order) {
  const entry = getMethod(m);
  const runDir = m === 'cc2d' ? cc2dDir : path.join(outDir, m);
  resetPeak();
  const tt = performance.now();
  stageSpan.clear();
  const out = await entry.train({
    preset: basePreset,
    seed,
    device,
    ...input,
    runDir,
    source,
    resume: fs.existsSync(path.join(runDir, 'config.json')),
    progress,
    configure: (c) => {
      configure(m, c);
      // Methods other than CC2D reuse CC2D's stage 1: CC2D trains its stage 2 only when its row is asked for.
      if (m === 'cc2d' && !methods.includes('cc2d')) (c as Cc2dConfig).stage2.enabled = false;
    },
    stage1Run: m === 'cc2d' ? undefined : cc2dDir,
  });
  if (out.stopped) fail(`${m} stopped before finishing; rerun the same command to resume`);
  const ran = (performance.now() - tt) / 1000;
  if (m === 'cc2d') {
    const s1 = stageSpan.get('stage1');
    const pl = stageSpan.get('pseudo-labels');
    // A resumed/finished run reports no steps: keep the time measured when it actually trained.
    if (s1 && s1[1] - s1[0] > 1000) times.stage1 = (s1[1] - s1[0] + (pl ? pl[1] - pl[0] : 0)) / 1000;
  }
  if (ran > 5) times[m] = ran;
  fs.writeFileSync(timesFile, JSON.stringify(times, null, 2) + '\n');
  if (!methods.includes(m)) continue;
  const trainSec = (times[m] ?? 0) + (m === 'cc2d' ? 0 : (times.stage1 ?? 0));
  if (m === 'cc2d')
    cc2dPriorFrac = readRunConfig<Cc2dConfig>(new RunLayout(runDir)).method_config.stage2.priorRadiusFrac;
  const frac = a.prior === 'cc2d' ? cc2dPriorFrac : Number(a.prior);
  // The paper's vote always; with a stage-1 prior too when one is set, so the rows compare the
  // dense methods both as published and under the same rule as the CC2D row's stage 2.
  const variants = m === 'cc2d' || !(frac > 0) ? [0] : [0, frac];
  for (const f of variants) {
    const tp = performance.now();
    const pred = await entry.predict(runDir, testRefs, { device, progress, stage1PriorFrac: f });
    const perImage = (performance.now() - tp) / 1000 / Math.max(1, testRefs.length);
    const suffix = f > 0 ? `-prior${f}` : '';
    await writeLandmarks(path.join(outDir, `test1-${m}${suffix}.csv`), pred);
    const tag = f > 0 ? `, votes within ${f}·grid of stage 1` : '';
    evals.push(
      evaluate(pred, gt, {
        method: `${entry.title} (${preset}, scratch${tag})`,
        modelCount: out.modelCount,
        knownImageIds: known,
      }),
    );
    costs.push({
      method: `${entry.title}${f > 0 ? ' + prior' : ''}`,
      trainMin: trainSec / 60,
      peakMiB: peakMiB(),
      predictSecPerImage: perImage,
      note: m === 'cc2d' ? '' : 'incl. shared stage 1',
    });
  }
}

const lines: string[] = [];
lines.push(
  `ISBI 2015 Test1${test.length < 150 ? ` (first ${test.length} images)` : ''}, template ${ISBI2015_TEMPLATE_ID}, bench preset ${preset}, seed ${seed}, ${device}, ${threads} thread(s), from scratch`,
);
lines.push('', 'Table 1', '', table1Markdown(evals));
lines.push(
  '',
  'Cost',
  '',
  '| Method | Train (min) | Peak RSS (MiB) | Predict (s/image) | Note |',
  '| :--- | ---: | ---: | ---: | :--- |',
  ...costs.map(
    (c) =>
      `| ${c.method} | ${c.trainMin.toFixed(1)} | ${c.peakMiB.toFixed(0)} | ${c.predictSecPerImage.toFixed(2)} | ${c.note} |`,
  ),
);
lines.push('', 'Table 2 (per landmark)', '', table2Markdown(evals));
lines.push('', `total ${((performance.now() - t0) / 60000).toFixed(1)} min`);
const text = lines.join('\n') + '\n';
process.stdout.write(text);
fs.writeFileSync(path.join(outDir, 'table1.md'), text);
