/**
 * `onemark train --method cc2d --images DIR|DATASET[:split] --template ID [--landmarks FILE]
 *                --preset tiny|quick|full --out RUN [--resume] [--seed N] [--device D] [--threads N]`
 * Trains a one-shot detector from one labelled template and unlabelled images. The run folder
 * holds config.json, checkpoints, pseudo-labels and progress events; `--resume` continues a
 * killed run from its newest checkpoint.
 */
import '../../runs/ompEnv'; // before the engine loads: see the file
import * as os from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { openDataset } from '../../data/datasets/open';
import type { Dataset, DatasetItem } from '../../data/datasets/types';
import { readLandmarks } from '../../data/formats';
import type { LandmarkSet, LandmarkValue } from '../../data/types';
import { cudaAvailable, setNumThreads } from '../../engine';
import { PRESETS, presetConfig, type PresetName } from '../../methods/cc2d/config';
import { trainCc2d } from '../../methods/cc2d/train';
import { oneShotFromDataset } from '../../runs/oneShot';
import { ProgressStream, type ProgressEvent } from '../../runs/progress';
import { CliError } from '../errors';
import { checkSplits, parseDatasetSpec } from '../inputs';
import { createProgress, type Progress } from '../progress';

interface TrainCliOptions {
  method: string;
  images: string;
  template: string;
  landmarks?: string;
  preset: string;
  out: string;
  seed: string;
  device?: string;
  threads?: string;
  resume?: boolean;
  stage1Iterations?: string;
  stage2Iterations?: string;
  stage2?: boolean;
  backbone?: string;
  quiet?: boolean;
}

/** Draws one progress bar per stage from a run's event stream (stderr). */
export function attachProgressBars(stream: ProgressStream, enabled = true): () => void {
  let bar: Progress | null = null;
  let stage = '';
  const finish = () => {
    bar?.done();
    bar = null;
  };
  const off = stream.on((e: ProgressEvent) => {
    if (e.stage !== stage) {
      finish();
      stage = e.stage;
      bar = createProgress({ total: e.total, label: e.stage, enabled });
    }
    if (e.message) {
      if (enabled) process.stderr.write(`${e.stage}: ${e.message}\n`);
      return;
    }
    const note = [
      e.loss !== undefined ? `loss ${e.loss.toFixed(3)}` : '',
      e.itPerSec > 0 ? `${e.itPerSec.toFixed(2)} it/s` : '',
    ]
      .filter(Boolean)
      .join(' ');
    bar?.update(e.step, note);
    if (e.step >= e.total) finish();
  });
  return () => {
    finish();
    off();
  };
}

export function defaultDevice(): string {
  return cudaAvailable() ? 'cuda' : 'cpu';
}

/** Threads for libtorch: all cores unless told (1 is faster when other jobs share the cores). */
export function applyThreads(text: string | undefined): number {
  const n = text === undefined ? os.availableParallelism() : Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new CliError(`--threads: expected a positive integer, got '${text}'`);
  setNumThreads(n);
  return n;
}

function parseCount(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0)
    throw new CliError(`${flag}: expected a non-negative integer, got '${text}'`);
  return n;
}

/** An item by id, accepting an unpadded number for zero-padded ids ("1" for "001"). */
export function findItemId(items: readonly DatasetItem[], id: string): string | undefined {
  if (items.some((i) => i.id === id)) return id;
  if (/^\d+$/.test(id)) return items.find((i) => /^\d+$/.test(i.id) && Number(i.id) === Number(id))?.id;
  return undefined;
}

/** The template's landmarks from a file, and the landmark set to train on (the dataset's, else the file's). */
async function templateLandmarksFromFile(
  file: string,
  ds: Dataset,
  templateId: string,
): Promise<{ values: LandmarkValue[]; landmarkSet: LandmarkSet }> {
  const own = ds.landmarkSet.landmarks.length > 0;
  const set = await readLandmarks(file, own ? { landmarkSet: ds.landmarkSet } : {});
  const ann =
    set.images.find((a) => a.imageId === templateId) ??
    (set.images.length === 1 ? set.images[0] : undefined) ??
    set.images.find((a) => /^\d+$/.test(a.imageId) && Number(a.imageId) === Number(templateId));
  if (!ann) {
    throw new CliError(
      `${file}: no landmarks for template image '${templateId}' (the file names ${set.images
        .map((a) => a.imageId)
        .slice(0, 5)
        .join(', ')}${set.images.length > 5 ? ', …' : ''})`,
    );
  }
  return { values: ann.landmarks, landmarkSet: own ? ds.landmarkSet : set.landmarkSet };
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('Train a one-shot landmark detector from one labelled template and unlabelled images')
    .option('--method <name>', 'detection method (cc2d)', 'cc2d')
    .requiredOption(
      '--images <path>',
      'training images: a dataset folder (ISBI 2015 layout or a folder of images), optionally PATH:split (ISBI default: train)',
    )
    .requiredOption('--template <id>', 'id of the template image (file name without extension), e.g. 125')
    .option(
      '--landmarks <file>',
      "the template's landmarks (csv/json/slicer/isbi-txt); default: the dataset's label of the template only",
    )
    .option(
      '--preset <name>',
      `${PRESETS.join(' | ')} (quick: about an hour on a 2-core CPU; full: the paper's budget, for a GPU)`,
      'quick',
    )
    .requiredOption('-o, --out <dir>', 'run folder to create (or continue with --resume)')
    .option('--seed <n>', 'random seed (recorded in the run)', '1')
    .option('--device <device>', 'cpu or cuda (default: cuda when available)')
    .option('--threads <n>', 'CPU threads for libtorch (default: all cores)')
    .option('--resume', 'continue the run in --out from its newest checkpoint')
    .option('--stage1-iterations <n>', 'override the preset')
    .option('--stage2-iterations <n>', 'override the preset')
    .option('--no-stage2', 'train stage 1 only')
    .option(
      '--backbone <file>',
      'initialise the encoder from torchvision vgg19_bn weights (safetensors; full width only)',
    )
    .option('--quiet', 'no progress bars')
    .action(async (o: TrainCliOptions) => {
      if (o.method !== 'cc2d') throw new CliError(`--method: unknown method '${o.method}' (available: cc2d)`);
      if (!(PRESETS as readonly string[]).includes(o.preset)) {
        throw new CliError(`--preset: unknown preset '${o.preset}' (available: ${PRESETS.join(', ')})`);
      }
      const seed = parseCount(o.seed, '--seed') ?? 1;
      const threads = applyThreads(o.threads);
      const config = presetConfig(o.preset as PresetName, { seed, device: o.device ?? defaultDevice() });
      const it1 = parseCount(o.stage1Iterations, '--stage1-iterations');
      const it2 = parseCount(o.stage2Iterations, '--stage2-iterations');
      if (it1 !== undefined) config.stage1.iterations = it1;
      if (it2 !== undefined) config.stage2.iterations = it2;
      if (o.stage2 === false) config.stage2.enabled = false;
      if (o.backbone) config.backboneWeights = resolve(o.backbone);

      const { path, splits } = await parseDatasetSpec(o.images);
      const ds = await openDataset(path);
      const useSplits = splits.length ? splits : ds.kind === 'isbi2015' ? ['train'] : [];
      checkSplits(ds, useSplits);
      const items = useSplits.length ? ds.split(...useSplits) : ds.items;
      if (items.length < 2)
        throw new CliError(
          `${path}: ${items.length} image(s) to train on; need the template and at least one more`,
        );
      const templateId = findItemId(items, o.template);
      if (!templateId)
        throw new CliError(`${path}: no image with id '${o.template}' among the training images`);
      const lms = o.landmarks ? await templateLandmarksFromFile(o.landmarks, ds, templateId) : undefined;
      const input = oneShotFromDataset(ds, items, templateId, lms?.values, lms?.landmarkSet);

      const progress = new ProgressStream();
      const detach = attachProgressBars(progress, !o.quiet);
      const controller = new AbortController();
      const onSigint = () => {
        process.stderr.write('\nstopping after this step (checkpoint follows); resume with --resume\n');
        controller.abort();
      };
      process.once('SIGINT', onSigint);
      try {
        const r = await trainCc2d({
          config,
          ...input,
          runDir: resolve(o.out),
          source: {
            images: o.images,
            landmarks: o.landmarks ?? `${path} (label of ${templateId} only)`,
            init: o.backbone,
          },
          resume: !!o.resume,
          progress,
          signal: controller.signal,
        });
        detach();
        const stages = r.stage2 ? 'stage 1 + stage 2' : 'stage 1';
        process.stdout.write(
          r.stopped || r.stage1.aborted
            ? `train: stopped; resume with: onemark train … --out ${o.out} --resume\n`
            : `train: cc2d ${r.config.preset} (${stages}) on ${items.length} images, template ${templateId}, seed ${r.config.seed}, ${threads} thread(s) -> ${resolve(o.out)}\n`,
        );
      } finally {
        process.off('SIGINT', onSigint);
        detach();
      }
    });
}
