/**
 * `onemark predict --run RUN --images DIR|DATASET[:split] --out pred.csv [--stage 1|2]`
 * Landmarks on new images from a trained run of any method (the run's config.json names it, see
 * src/methods/registry.ts), in original pixels with a confidence per landmark, written as a
 * OneMark landmark file (csv/json/slicer/isbi-txt) that `onemark evaluate` reads. The file's meta
 * records the run, its method, preset and seed.
 */
import '../../runs/ompEnv'; // before the engine loads: see the file
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { openDataset } from '../../data/datasets/open';
import { describeSkipped, screenImages } from '../../data/datasets/screen';
import type { Dataset, DatasetItem } from '../../data/datasets/types';
import { landmarkFormatOf, writeLandmarks } from '../../data/formats';
import { assertWritableRealDir } from '../../data/realDir';
import { methodOfRun, type MethodEntry } from '../../methods/registry';
import { readRunConfig, type RunConfig } from '../../runs/config';
import { RunLayout } from '../../runs/layout';
import { datasetRef } from '../../runs/oneShot';
import { ProgressStream } from '../../runs/progress';
import { commandLine } from '../context';
import { CliError } from '../errors';
import { checkSplits, parseDatasetSpec, parseFormat } from '../inputs';
import { createProgress } from '../progress';
import { applyThreads, parseDevice } from '../engineOptions';
import { methodLines } from '../methodHelp';
import { attachProgressBars } from '../progressBars';

/** `onemark predict`'s options as commander hands them over (flag values as typed). */
export interface PredictCliOptions {
  run: string;
  images: string;
  out: string;
  stage?: string;
  device?: string;
  threads?: string;
  batch?: string;
  stage1Prior?: string;
  format?: string;
  quiet?: boolean;
  /** --skip-bad / --no-skip-bad; unset means on for batches. */
  skipBad?: boolean;
}

/** The run's config and its method's entry; a folder that is no run is a user error. */
function openRun(dir: string, given: string): { run: RunConfig; entry: MethodEntry } {
  try {
    const run = readRunConfig(new RunLayout(dir));
    return { run, entry: methodOfRun(dir) };
  } catch (e) {
    throw new CliError(`--run ${given}: ${(e as Error).message}`);
  }
}

/**
 * The images to predict: all of them, or with `skipBad` those that decode, the others listed on
 * stderr. Only a batch where nothing is readable fails.
 */
async function readableItems(
  ds: Dataset,
  all: readonly DatasetItem[],
  skipBad: boolean,
  showProgress: boolean,
): Promise<DatasetItem[]> {
  if (!skipBad) return [...all];
  const bar = createProgress({ total: all.length, label: 'checking images', enabled: showProgress });
  const screened = await screenImages(ds, all, (done) => bar.update(done));
  bar.done();
  if (screened.skipped.length === 0) return screened.readable;
  const summary = describeSkipped(screened, all.length);
  if (screened.readable.length === 0) throw new CliError(`${ds.root}: no image could be read; ${summary}`);
  process.stderr.write(`predict: ${summary}\n`);
  return screened.readable;
}

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('Predict landmarks on images with a trained run')
    .requiredOption('--run <dir>', 'run folder written by onemark train')
    .requiredOption(
      '--images <path>',
      'images: a dataset folder or folder of images, optionally PATH:split (e.g. isbi2015:test1)',
    )
    .requiredOption(
      '-o, --out <file>',
      'landmark file to write (.csv or .json; a folder for slicer/isbi-txt)',
    )
    .option('--stage <n>', 'cc2d only: 1 (cascade) or 2 (heatmap voting; default when the run has it)')
    .option('--device <device>', "cpu or cuda (default: the run's device)")
    .option('--threads <n>', 'CPU threads for libtorch (default: all cores)')
    .option('--batch <n>', 'images per forward pass (default: 4; not for f2, which goes one image at a time)')
    .option(
      '--stage1-prior <frac>',
      "sla/atd/adapter/f2: vote only within frac × grid of CC2D stage 1's answer (as cc2d's stage 2 in the quick preset; default 0 = off)",
    )
    .option('--format <fmt>', 'csv, json, slicer or isbi-txt (default: from the extension)')
    .option(
      '--skip-bad',
      'skip images that cannot be read, list them, predict the rest (default for batches)',
    )
    .option('--no-skip-bad', 'stop at the first image that cannot be read')
    .option('--quiet', 'no progress bar')
    .addHelpText('after', ['', "Methods (read from the run's config.json):", ...methodLines()].join('\n'))
    .action((o: PredictCliOptions) => runPredict(o, commandLine()));
}

/** Runs `onemark predict`; `command` is the command line the landmark file records as made it. */
export async function runPredict(o: PredictCliOptions, command: string): Promise<void> {
  const runDir = resolve(o.run);
  const { run, entry } = openRun(runDir, o.run);
  const stage = o.stage === undefined ? undefined : Number(o.stage);
  const refused = entry.refusesPredict;
  if (stage !== undefined && refused.stage)
    throw new CliError(`--stage does not apply to method ${entry.name}: ${refused.stage}`);
  if (stage !== undefined && stage !== 1 && stage !== 2)
    throw new CliError(`--stage: expected 1 or 2, got '${o.stage}'`);
  if (o.batch !== undefined && refused.batch)
    throw new CliError(`--batch does not apply to method ${entry.name}: ${refused.batch}`);
  const prior = o.stage1Prior === undefined ? undefined : Number(o.stage1Prior);
  if (prior !== undefined && refused.stage1Prior)
    throw new CliError(`--stage1-prior does not apply to method ${entry.name}: ${refused.stage1Prior}`);
  if (prior !== undefined && !(prior >= 0 && prior <= 1))
    throw new CliError(`--stage1-prior: expected a fraction in [0, 1], got '${o.stage1Prior}'`);
  const batch = Number(o.batch ?? 4);
  if (!Number.isInteger(batch) || batch < 1)
    throw new CliError(`--batch: expected a positive integer, got '${o.batch}'`);
  applyThreads(o.threads);
  const format = parseFormat(o.format, '--format');
  const outPath = resolve(o.out);
  // Checked before an hour of predicting, not after: slicer and isbi-txt write a folder.
  const outFormat = format ?? landmarkFormatOf(outPath);
  const perImage = outFormat === 'slicer' || outFormat === 'isbi-txt';
  await assertWritableRealDir(perImage ? outPath : dirname(outPath), '--out');
  const { path, splits } = await parseDatasetSpec(o.images);
  const ds = await openDataset(path);
  checkSplits(ds, splits);
  const all = splits.length ? ds.split(...splits) : ds.items;
  if (all.length === 0) throw new CliError(`${o.images}: no images`);
  const items = await readableItems(ds, all, o.skipBad ?? all.length > 1, !o.quiet);
  const progress = new ProgressStream();
  const detach = attachProgressBars(progress, !o.quiet);
  try {
    const set = await entry.predict(
      runDir,
      items.map((it) => datasetRef(ds, it)),
      {
        stage: stage as 1 | 2 | undefined,
        batch,
        progress,
        device: o.device === undefined ? undefined : parseDevice(o.device),
        stage1PriorFrac: prior,
      },
    );
    // Every method's file names its run, seed and preset, whatever its predictor wrote.
    set.meta = {
      ...set.meta,
      run: set.meta?.run ?? runDir,
      seed: set.meta?.seed ?? run.seed,
      preset: set.meta?.preset ?? run.preset,
      runMethod: entry.name,
      ...(run.stage1Run ? { stage1Run: run.stage1Run } : {}),
      command,
      init: run.init,
      ...(items.length < all.length
        ? { skippedImages: all.filter((i) => !items.includes(i)).map((i) => i.id) }
        : {}),
    };
    const files = await writeLandmarks(outPath, set, { format });
    detach();
    process.stdout.write(
      `predict: ${String(set.meta.method)}, ${set.images.length} image(s) -> ${files.length === 1 ? files[0] : `${files.length} files`}\n`,
    );
  } finally {
    detach();
  }
}
