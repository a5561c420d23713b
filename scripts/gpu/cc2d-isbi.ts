/**
 * CC2D stage 1 on ISBI 2015 on the GPU machine, from the pack made by pack-isbi.ts (that machine
 * cannot read ../shared). Trains on ids 1–150 with template 125's labels only, predicts Test1 with
 * stage 1 and writes the predictions (original pixels) for evaluation back here:
 *
 *   node .gpu/cc2d-isbi.mjs PACK OUTDIR [iterations=5600] [deadlineSec=300] [preset=full] [RUNDIR=OUTDIR/run]
 *
 * A deadline stops training early (checkpoint saved) so the prediction still runs inside the
 * lease; the summary then says how many steps ran.
 */
import '../../src/runs/ompEnv';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeLandmarks } from '../../src/data/formats';
import { cudaAvailable, cudaSynchronize, engineInfo } from '../../src/engine';
import { presetConfig, validateConfig } from '../../src/methods/cc2d/config';
import type { PresetName } from '../../src/methods/shared/presets';
import { Cc2dPredictor } from '../../src/methods/cc2d/predict';
import { trainCc2d } from '../../src/methods/cc2d/train';
import { ProgressStream, logProgress } from '../../src/runs/progress';
import { readIsbiPack } from './isbiPack';

const [packFile, outDir, itArg, deadlineArg, presetArg, runArg] = process.argv.slice(2);
if (!packFile || !outDir) throw new Error('usage: cc2d-isbi PACK OUTDIR [iterations] [deadlineSec] [preset]');
const iterations = Number(itArg ?? 5600);
const deadlineSec = Number(deadlineArg ?? 300);
const device = cudaAvailable() ? 'cuda' : 'cpu';
fs.mkdirSync(outDir, { recursive: true });
const { header, refs } = readIsbiPack(packFile);
const train = header.images.filter((i) => i.split === 'train').map((i) => refs.get(i.id)!);
const test1 = header.images.filter((i) => i.split === 'test1').map((i) => refs.get(i.id)!);

const config = presetConfig((presetArg ?? 'full') as PresetName, { seed: 1, device });
config.stage1.iterations = iterations;
config.stage2.enabled = false;
validateConfig(config);
const runDir = runArg ?? path.join(outDir, 'run');
const t0 = performance.now();
const progress = new ProgressStream();
let lastStep = { step: 0, itPerSec: 0 };
progress.on((e) => {
  if (e.stage.startsWith('stage')) lastStep = { step: e.step, itPerSec: e.itPerSec };
});
logProgress(progress, (l) => process.stdout.write(l), { t0 });
const abort = new AbortController();
const timer = setTimeout(() => abort.abort(), deadlineSec * 1000);
console.log(
  `cc2d stage 1, ${config.preset} preset, ${iterations} it, batch ${config.stage1.batch}, width ${config.stage1.net.width}, ${device}, libtorch ${engineInfo().libtorch}`,
);
const result = await trainCc2d({
  config,
  images: train,
  templateId: header.templateId,
  templateLandmarks: header.templateLandmarks,
  landmarkSet: header.landmarkSet,
  runDir,
  source: { images: `${packFile}:train`, landmarks: `label of ${header.templateId} only` },
  progress,
  signal: abort.signal,
});
clearTimeout(timer);
if (device === 'cuda') cudaSynchronize();
const tTrain = (performance.now() - t0) / 1000;
const t1 = performance.now();
const predictor = Cc2dPredictor.load(runDir, { device, unfinished: true });
const pred = await predictor.predict(test1, { stage: 1 });
predictor.dispose();
const tPred = (performance.now() - t1) / 1000;
pred.meta = { ...(pred.meta ?? {}), seed: 1, note: 'GPU stage-1 run from scripts/gpu/cc2d-isbi.ts' };
await writeLandmarks(path.join(outDir, 'test1-stage1.csv'), pred);
const summary = {
  steps: result.stage1.startedAt + result.stage1.ran,
  iterations,
  stopped: result.stopped,
  lastLoss: result.stage1.lastLoss,
  itPerSec: lastStep.itPerSec,
  trainSec: tTrain,
  predictSecPerImage: tPred / test1.length,
  device,
  libtorch: engineInfo().libtorch,
};
fs.writeFileSync(path.join(outDir, 'summary.json'), JSON.stringify(summary, null, 2));
console.log(JSON.stringify(summary));
