/**
 * `npm run bench:isbi -- --method cc2d --preset quick|full [--seed N] [--threads N] [--out DIR]`
 *
 * The one-shot protocol of ../shared/isbi2015/README.md: train on the ISBI 2015 training images
 * (ids 1–150) with template 125, whose label is the only one read for training; predict Test1
 * (151–300); evaluate against floor((senior + junior) / 2) in mm. Prints one summary line and the
 * Table 1 rows of stage 1, stage 2 and the template-copy baseline.
 *
 * The run lives in --out (default bench/out/isbi-cc2d-<preset>-s<seed>); rerunning the same
 * command resumes a killed run and reuses finished stages.
 */
import { checkDevice } from '../src/engine/device';
import '../src/runs/ompEnv'; // before the engine loads: see the file
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openIsbi2015, ISBI2015_TEMPLATE_ID } from '../src/data/datasets/isbi2015';
import { writeLandmarks } from '../src/data/formats';
import type { AnnotationSet } from '../src/data/types';
import { cudaAvailable, engineInfo, setNumThreads } from '../src/engine';
import { templateCopy } from '../src/evaluation/baselines';
import { evaluate, type Evaluation } from '../src/evaluation/evaluate';
import { table1Markdown } from '../src/evaluation/tables';
import { applyOverrides, presetConfig, validateConfig } from '../src/methods/cc2d/config';
import { Cc2dPredictor } from '../src/methods/cc2d/predict';
import { trainCc2d } from '../src/methods/cc2d/train';
import { datasetRef, oneShotTrainingView } from '../src/runs/oneShot';
import { ProgressStream, logProgress } from '../src/runs/progress';
import { PRESETS, type PresetName } from '../src/methods/shared/presets';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const { values: a } = parseArgs({
  options: {
    method: { type: 'string', default: 'cc2d' },
    preset: { type: 'string', default: 'quick' },
    seed: { type: 'string', default: '1' },
    threads: { type: 'string' },
    device: { type: 'string' },
    data: { type: 'string', default: path.resolve(repo, '..', 'shared', 'isbi2015') },
    out: { type: 'string' },
    'stage1-iterations': { type: 'string' },
    'stage2-iterations': { type: 'string' },
    set: { type: 'string', multiple: true, default: [] },
    limit: { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
});

function fail(msg: string): never {
  process.stderr.write(`bench:isbi: ${msg}\n`);
  process.exit(1);
}

if (a.method !== 'cc2d') fail(`--method ${a.method}: only cc2d is available`);
if (!(PRESETS as readonly string[]).includes(a.preset!))
  fail(`--preset ${a.preset}: expected one of ${PRESETS.join(', ')}`);
if (!fs.existsSync(a.data!)) fail(`ISBI 2015 data not found at ${a.data} (give --data)`);

const seed = Number(a.seed);
const threads = a.threads ? Number(a.threads) : os.availableParallelism();
setNumThreads(threads);
const device = checkDevice(a.device ?? (cudaAvailable() ? 'cuda' : 'cpu'));
const config = presetConfig(a.preset as PresetName, { seed, device });
if (a['stage1-iterations']) config.stage1.iterations = Number(a['stage1-iterations']);
if (a['stage2-iterations']) config.stage2.iterations = Number(a['stage2-iterations']);
applyOverrides(config, a.set ?? []);
validateConfig(config);
const runDir = path.resolve(a.out ?? path.join(repo, 'bench', 'out', `isbi-cc2d-${a.preset}-s${seed}`));

const t0 = performance.now();
const ds = await openIsbi2015(a.data!);
const input = oneShotTrainingView(ds, ISBI2015_TEMPLATE_ID);
const progress = new ProgressStream();
if (!a.quiet) logProgress(progress, (l) => process.stderr.write(l), { t0 });

process.stderr.write(
  `bench:isbi cc2d ${a.preset}, seed ${seed}, ${device}, ${threads} thread(s), libtorch ${String(engineInfo().libtorch)}; run ${runDir}\n`,
);
const resume = fs.existsSync(path.join(runDir, 'config.json'));
await trainCc2d({
  config,
  ...input,
  runDir,
  source: { images: `${a.data}:train`, landmarks: `${a.data} (label of ${ISBI2015_TEMPLATE_ID} only)` },
  resume,
  progress,
});
const tTrain = (performance.now() - t0) / 1000;

// Test1 ground truth is read only now, after training.
// --limit N: the first N Test1 images only (quick experiments; the reported protocol is all 150).
const test = ds.split('test1').slice(0, a.limit ? Number(a.limit) : undefined);
const predictor = Cc2dPredictor.load(runDir, { device });
const evals: Evaluation[] = [];
const gtAll = ds.groundTruth('test1');
const testIds = new Set(test.map((t) => t.id));
const gt = { ...gtAll, images: gtAll.images.filter((i) => testIds.has(i.imageId)) };
const known = ds.items.map((i) => i.id);
const stageTimes: string[] = [];
for (const stage of predictor.hasStage2 ? ([1, 2] as const) : ([1] as const)) {
  const ts = performance.now();
  const pred: AnnotationSet = await predictor.predict(
    test.map((it) => datasetRef(ds, it)),
    { stage, progress },
  );
  stageTimes.push(`predict stage ${stage} ${((performance.now() - ts) / 1000).toFixed(0)}s`);
  await writeLandmarks(path.join(runDir, `test1-stage${stage}.csv`), pred);
  evals.push(
    evaluate(pred, gt, {
      method: `CC2D stage ${stage} (${a.preset}, scratch)`,
      modelCount: 1,
      knownImageIds: known,
    }),
  );
}
predictor.dispose();
const copyAll = templateCopy(ds, ISBI2015_TEMPLATE_ID, ['test1']);
const copy = { ...copyAll, images: copyAll.images.filter((i) => testIds.has(i.imageId)) };
evals.push(evaluate(copy, gt, { method: 'template copy', modelCount: 0, knownImageIds: known }));
const total = (performance.now() - t0) / 1000;

const best = evals[evals.length - 2];
const o = best.metrics.overall;
const sdr = o.sdr.map((s) => `${s.radius}mm ${(100 * s.rate).toFixed(1)}%`).join(' ');
const s1 = evals[0].metrics.overall.mean;
process.stdout.write(
  `isbi2015 test1${test.length < 150 ? ` (first ${test.length})` : ''} cc2d ${a.preset} seed ${seed}: MRE ${o.mean.toFixed(2)} ± ${o.std.toFixed(2)} mm (stage 1 ${s1.toFixed(2)} mm), SDR ${sdr}; ` +
    `train ${(tTrain / 60).toFixed(1)} min, total ${(total / 60).toFixed(1)} min (${stageTimes.join(', ')}), ${device}, ${threads} thread(s)\n\n`,
);
process.stdout.write(table1Markdown(evals) + '\n');
fs.writeFileSync(path.join(runDir, 'bench-summary.md'), table1Markdown(evals) + '\n');
