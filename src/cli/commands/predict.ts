/**
 * `onemark predict --run RUN --images DIR|DATASET[:split] --out pred.csv [--stage 1|2]`
 * Landmarks on new images from a trained run, in original pixels with a confidence per landmark,
 * written as a OneMark landmark file (csv/json/slicer/isbi-txt) that `onemark evaluate` reads.
 */
import '../../runs/ompEnv'; // before the engine loads: see the file
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { openDataset } from '../../data/datasets/open';
import { writeLandmarks } from '../../data/formats';
import { Cc2dPredictor } from '../../methods/cc2d/predict';
import { readRunConfig } from '../../runs/config';
import { RunLayout } from '../../runs/layout';
import { datasetRef } from '../../runs/oneShot';
import { ProgressStream } from '../../runs/progress';
import { commandLine } from '../context';
import { CliError } from '../errors';
import { checkSplits, parseDatasetSpec, parseFormat } from '../inputs';
import { applyThreads, attachProgressBars } from './train';

interface PredictCliOptions {
  run: string;
  images: string;
  out: string;
  stage?: string;
  device?: string;
  threads?: string;
  batch?: string;
  format?: string;
  quiet?: boolean;
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
    .option('--stage <n>', '1 (cascade) or 2 (heatmap voting; default when the run has it)')
    .option('--device <device>', "cpu or cuda (default: the run's device)")
    .option('--threads <n>', 'CPU threads for libtorch (default: all cores)')
    .option('--batch <n>', 'images per forward pass', '4')
    .option('--format <fmt>', 'csv, json, slicer or isbi-txt (default: from the extension)')
    .option('--quiet', 'no progress bar')
    .action(async (o: PredictCliOptions) => {
      const run = readRunConfig(new RunLayout(resolve(o.run)));
      if (run.method !== 'cc2d')
        throw new CliError(`${o.run}: method '${run.method}' cannot predict in this version`);
      const stage = o.stage === undefined ? undefined : Number(o.stage);
      if (stage !== undefined && stage !== 1 && stage !== 2)
        throw new CliError(`--stage: expected 1 or 2, got '${o.stage}'`);
      const batch = Number(o.batch ?? 4);
      if (!Number.isInteger(batch) || batch < 1)
        throw new CliError(`--batch: expected a positive integer, got '${o.batch}'`);
      applyThreads(o.threads);
      const { path, splits } = await parseDatasetSpec(o.images);
      const ds = await openDataset(path);
      checkSplits(ds, splits);
      const items = splits.length ? ds.split(...splits) : ds.items;
      if (items.length === 0) throw new CliError(`${o.images}: no images`);
      const predictor = Cc2dPredictor.load(resolve(o.run), { device: o.device });
      const progress = new ProgressStream();
      const detach = attachProgressBars(progress, !o.quiet);
      try {
        const set = await predictor.predict(
          items.map((it) => datasetRef(ds, it)),
          { stage: stage as 1 | 2 | undefined, batch, progress },
        );
        set.meta = { ...set.meta, command: commandLine(), init: run.init };
        const files = await writeLandmarks(resolve(o.out), set, {
          format: parseFormat(o.format, '--format'),
        });
        detach();
        process.stdout.write(
          `predict: ${String(set.meta.method)}, ${set.images.length} image(s) -> ${files.length === 1 ? files[0] : `${files.length} files`}\n`,
        );
      } finally {
        detach();
        predictor.dispose();
      }
    });
}
