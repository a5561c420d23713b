/**
 * `npm run bench:table1 -- [--preset smoke|quick|full] [--methods cc2d,sla,atd,adapter,f2] [--score test1|dev]
 *                          [--seed N] [--threads N] [--device D] [--data DIR] [--out DIR] [--cc2d DIR]
 *                          [--limit N] [--set [method:]path=value ...]`
 *
 * The paper's Table 1 and Table 2 on ISBI 2015 under one budget: template 125 (its label is the only
 * one read for training), images 1–150 unlabelled, scored on Test1 (151–300) against
 * floor((senior + junior) / 2) in mm. CC2D (its quick or full preset, unchanged) is trained once in
 * OUT/cc2d, which is the CC2D row; its stage 1 and pseudo-labels are shared by SLA, ATD, Adapter and
 * F2, and each method's training time includes that shared stage 1. Besides accuracy it prints
 * training time, peak memory (process RSS high-water mark, CPU; libtorch's CUDA memory is not
 * counted) and prediction time per image.
 *
 * --score dev: score the development set instead of Test1 (the labels of training images 10, 20,
 * …, 100, read after training for scoring only: ../shared/isbi2015/README.md). Every setting is
 * chosen there; Test1 is scored once per final configuration.
 *
 * Presets (the same budget rules for every method within a preset):
 *   smoke  minutes: checks the whole pipeline (tiny networks, a few steps); numbers mean nothing.
 *   quick  every method's quick preset: CC2D quick (stage 1 at 256 px, 900 steps; stage 2 500 steps),
 *          the dense methods' crops around stage 1's estimate; for a 2-core CPU.
 *   full   the paper's budgets (CC2D full, and each method's full preset): for a GPU.
 * One search rule for every method: each stage searches around the previous stage's estimate
 * (CC2D's stage 2 within priorRadiusFrac of stage 1's answer; the dense methods inside their crop).
 *
 * --set path=value changes a setting of every method whose config has it; `sla:dense.lr=2e-3` of
 * one method only (for ablations on the development set: give each variant its own --out and
 * reuse one CC2D run with --cc2d). Rerunning the same command resumes killed runs and reuses
 * finished ones (predictions are redone).
 */
import { checkDevice } from '../src/engine/device';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  ISBI2015_DEV_IDS,
  ISBI2015_TEMPLATE_ID,
  isbi2015DevItems,
  openIsbi2015,
} from '../src/data/datasets/isbi2015';
import { writeLandmarks } from '../src/data/formats';
import { cudaAvailable, engineInfo, setNumThreads } from '../src/engine';
import { evaluate, table1Markdown, table2Markdown, type Evaluation } from '../src/evaluation';
import type { Cc2dConfig } from '../src/methods/cc2d/config';
import type { DenseConfig } from '../src/methods/dense/config';
import type { F2Config } from '../src/methods/f2/config';
import { METHOD_NAMES, getMethod, type MethodName } from '../src/methods/registry';
import { prepareDenseRun } from '../src/methods/dense/run';
import { requestedConfig, type TrainRequest } from '../src/methods/shared/entry';
import { settingSlot, settingValue } from '../src/methods/shared/settingPath';
import { readRunConfig } from '../src/runs/config';
import { RunLayout } from '../src/runs/layout';
import { datasetRef, oneShotTrainingView } from '../src/runs/oneShot';
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
    score: { type: 'string', default: 'test1' },
    cc2d: { type: 'string' },
    set: { type: 'string', multiple: true, default: [] },
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

/** smoke: every stage shrunk to seconds; quick and full: the methods' own presets. */
function configure(method: MethodName, cfg: unknown): void {
  if (preset === 'smoke') {
    if (method === 'cc2d') {
      const c = cfg as Cc2dConfig;
      c.stage1 = { ...c.stage1, size: 128, patch: 64, iterations: 30 };
      c.stage2 = { ...c.stage2, size: 64, iterations: 20, lrStep: 13 };
      c.checkpointEvery = 50;
      return;
    }
    const c = cfg as DenseConfig;
    c.cc2d.stage1 = { ...c.cc2d.stage1, size: 128, patch: 64, iterations: 30 };
    c.dense = { ...c.dense, iterations: 20, lrStep: 13 };
    if (c.dense.refresh) c.dense.refresh = { ...c.dense.refresh, every: 5, start: 0.5 };
    c.checkpointEvery = 50;
    if (method === 'f2')
      Object.assign((c as F2Config).fine, { crop: 32, scale: 4, iterations: 10, maxShift: 6, maxMove: 6 });
  }
  for (const s of a.set ?? []) applySetting(method, cfg, s);
}

/** `[method:]path=value`: JSON values, else strings; a path the config lacks is skipped (another method's). */
function applySetting(method: MethodName, cfg: unknown, setting: string): void {
  const m = /^(?:(\w+):)?([\w.]+)=(.*)$/.exec(setting);
  if (!m) fail(`--set ${setting}: expected [method:]path=value, e.g. sla:dense.lr=2e-3`);
  if (m[1] && m[1] !== method) return;
  const slot = settingSlot(cfg, m[2].split('.'));
  if (slot) slot.obj[slot.key] = settingValue(m[3]);
}

/** JSON with sorted keys: two configs built in different key orders compare equal. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(
          Object.entries(x as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : x,
  );
}

/**
 * C-F2 is C-Adapter plus a fine stage: when the Adapter row's run has finished with exactly the
 * coarse settings F2 would train with (same seed), a new F2 run starts from a copy of that network
 * instead of training it again. Returns a note for the cost table, or '' when F2 trains its own.
 */
function reuseAdapterForF2(adapterDir: string, f2Dir: string, req: TrainRequest): string {
  const adapter = new RunLayout(adapterDir);
  if (fs.existsSync(path.join(f2Dir, 'config.json')) || !adapter.hasFinal('adapter')) return '';
  const f2 = requestedConfig(getMethod('f2'), req) as F2Config;
  const { method: _f2, fine: _fine, ...coarse } = f2;
  const { method: _ad, ...trained } = readRunConfig<DenseConfig>(adapter).method_config;
  if (canonical(coarse) !== canonical(trained)) return '';
  prepareDenseRun({ ...req, config: f2 });
  fs.cpSync(path.join(adapterDir, 'adapter'), path.join(f2Dir, 'adapter'), { recursive: true });
  fs.copyFileSync(path.join(f2Dir, 'config.json'), path.join(f2Dir, 'adapter', 'config.json'));
  return "coarse network: the C-Adapter row's";
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

if (a.score !== 'test1' && a.score !== 'dev') fail(`--score ${a.score}: expected test1 or dev`);
const scored = a.score === 'dev' ? 'dev' : 'test1';
const pool = scored === 'dev' ? isbi2015DevItems(ds) : ds.split('test1');
if (scored === 'dev' && pool.length !== ISBI2015_DEV_IDS.length)
  fail(
    `development set: found ${pool.length} of the ${ISBI2015_DEV_IDS.length} images ${ISBI2015_DEV_IDS.join(', ')} in ${a.data}`,
  );
const test = pool.slice(0, a.limit ? Number(a.limit) : undefined);
const testRefs = test.map((it) => datasetRef(ds, it));
// Ground truth is read only here, for scoring; training gets label-free image references.
const gtAll = ds.groundTruth(scored === 'dev' ? 'train' : 'test1');
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
const cc2dDir = a.cc2d ? path.resolve(a.cc2d) : path.join(outDir, 'cc2d');
const timesFile = path.join(outDir, 'train-times.json');
const notesFile = path.join(outDir, 'notes.json');
const notes: Record<string, string> = fs.existsSync(notesFile)
  ? JSON.parse(fs.readFileSync(notesFile, 'utf8'))
  : {};
function readTimes(file: string): Record<string, number> {
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, number>) : {};
}
const times = readTimes(timesFile);
/** Times this process measured itself (they win over the file's when it is written back). */
const measured: Record<string, number> = {};
// With --cc2d, stage 1 and CC2D were trained by the bench run that holds that CC2D run: their
// times are in its file.
const cc2dTimes = (): Record<string, number> =>
  readTimes(path.join(path.dirname(cc2dDir), 'train-times.json'));
const stage1Sec = (): number | undefined => times.stage1 ?? cc2dTimes().stage1;
const source = { images: `${a.data}:train`, landmarks: `${a.data} (label of ${ISBI2015_TEMPLATE_ID} only)` };

// CC2D first: its run holds the shared stage 1 even when the CC2D row itself is not asked for.
const order: MethodName[] = ['cc2d', ...methods.filter((m) => m !== 'cc2d')];
for (const m of order) {
  const entry = getMethod(m);
  const runDir = m === 'cc2d' ? cc2dDir : path.join(outDir, m);
  resetPeak();
  const tt = performance.now();
  stageSpan.clear();
  const req: TrainRequest = {
    preset: basePreset,
    seed,
    device,
    ...input,
    runDir,
    source,
    resume: false,
    progress,
    configure: (c) => {
      configure(m, c);
      // Methods other than CC2D reuse CC2D's stage 1: CC2D trains its stage 2 only when its row is asked for.
      if (m === 'cc2d' && !methods.includes('cc2d')) (c as Cc2dConfig).stage2.enabled = false;
    },
    stage1Run: m === 'cc2d' ? undefined : cc2dDir,
  };
  const reuse = m === 'f2' ? reuseAdapterForF2(path.join(outDir, 'adapter'), runDir, req) : '';
  if (reuse) notes.f2 = reuse;
  const out = await entry.train({ ...req, resume: fs.existsSync(path.join(runDir, 'config.json')) });
  if (out.stopped) fail(`${m} stopped before finishing; rerun the same command to resume`);
  const ran = (performance.now() - tt) / 1000;
  if (m === 'cc2d') {
    const s1 = stageSpan.get('stage1');
    const pl = stageSpan.get('pseudo-labels');
    // A resumed/finished run reports no steps: keep the time measured when it actually trained.
    if (s1 && s1[1] - s1[0] > 1000) measured.stage1 = (s1[1] - s1[0] + (pl ? pl[1] - pl[0] : 0)) / 1000;
  }
  // A finished run only loads and reports "already finished" (a resumed SLA run took 5.05 s and
  // replaced its 7-min training time): count the time only when a training stage ran steps.
  const trained = [...stageSpan].some(
    ([stage, [from, to]]) => !/^(cache|predict)/.test(stage) && to - from > 1000,
  );
  if (trained) measured[m] = ran;
  // Another bench process may share OUT (two methods trained side by side): keep what it wrote.
  Object.assign(times, readTimes(timesFile), measured);
  fs.writeFileSync(timesFile, JSON.stringify(times, null, 2) + '\n');
  fs.writeFileSync(notesFile, JSON.stringify(notes, null, 2) + '\n');
  if (!methods.includes(m)) continue;
  // F2 built on the Adapter row's network costs that network's training too.
  const coarseSec = m === 'f2' && notes.f2 ? (times.adapter ?? 0) : 0;
  const s1 = m === 'cc2d' ? 0 : stage1Sec();
  const own = times[m] ?? (m === 'cc2d' ? cc2dTimes().cc2d : undefined);
  const trainSec = (own ?? 0) + coarseSec + (s1 ?? 0);
  const tp = performance.now();
  const pred = await entry.predict(runDir, testRefs, { device, progress });
  const perImage = (performance.now() - tp) / 1000 / Math.max(1, testRefs.length);
  await writeLandmarks(path.join(outDir, `${scored}-${m}.csv`), pred);
  evals.push(
    evaluate(pred, gt, {
      method: `${entry.title} (${preset}, scratch)`,
      modelCount: out.modelCount,
      knownImageIds: known,
    }),
  );
  costs.push({
    method: entry.title,
    trainMin: trainSec / 60,
    peakMiB: peakMiB(),
    predictSecPerImage: perImage,
    note: [
      m === 'cc2d'
        ? ''
        : s1 === undefined
          ? 'shared stage 1 NOT included (its time is unknown)'
          : 'incl. shared stage 1',
      notes[m] ?? '',
    ]
      .filter(Boolean)
      .join('; '),
  });
}

const lines: string[] = [];
lines.push(
  `ISBI 2015 ${scored === 'dev' ? `development set (training images ${test.map((t) => t.id).join(', ')}; labels read for scoring only)` : `Test1${test.length < 150 ? ` (first ${test.length} images)` : ''}`}, template ${ISBI2015_TEMPLATE_ID}, bench preset ${preset}, seed ${seed}, ${device}, ${threads} thread(s), from scratch`,
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
fs.writeFileSync(path.join(outDir, `table1-${scored}.md`), text);
