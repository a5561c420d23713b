/**
 * `onemark train --method cc2d|sla|atd|adapter|f2 --images DIR|DATASET[:split] --template ID
 *                [--landmarks FILE] --preset tiny|quick|full --out RUN [--resume] [--seed N]
 *                [--device D] [--threads N] [--stage1-run RUN] [--stage1-iterations N] ...`
 * Trains a one-shot detector from one labelled template and unlabelled images, with any method of
 * the registry (src/methods/registry.ts). The run folder holds config.json, checkpoints,
 * pseudo-labels and progress events; `--resume` continues a killed run from its newest checkpoint.
 * sla/atd/adapter/f2 build on a CC2D stage 1: `--stage1-run` reuses a CC2D run's, else they train
 * one inside their own run folder (RUN/cc2d).
 */
import '../../runs/ompEnv'; // before the engine loads: see the file
import * as fs from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { openDataset } from '../../data/datasets/open';
import type { Dataset, DatasetItem } from '../../data/datasets/types';
import { readLandmarks } from '../../data/formats';
import type { LandmarkSet, LandmarkValue } from '../../data/types';
import { isPrecision, precisionProblem, type Precision } from '../../engine';
import { applyThreads, defaultDevice, parseDevice } from '../engineOptions';
import { methodsHelp } from '../methodHelp';
import { attachProgressBars } from '../progressBars';
import {
  METHOD_INFO,
  METHOD_NAMES,
  configureFor,
  findMethod,
  getMethod,
  methodNames,
  settingProblemsOf,
  type MethodEntry,
  type TrainSetting,
  type TrainSettings,
} from '../../methods/registry';
import { readRunConfig } from '../../runs/config';
import { RunLayout } from '../../runs/layout';
import { oneShotFromDataset, type OneShotInput } from '../../runs/oneShot';
import { describeOutside, pointsOutsideImage } from '../../runs/templateCheck';
import { readImageInfo } from '../../data/images/info';
import { assertWritableRealDir } from '../../data/realDir';
import { ProgressStream } from '../../runs/progress';
import {
  clusterFlagProblems,
  collect,
  launchesJobs,
  launchParted,
  trainStage1Only,
  type ClusterCliOptions,
} from '../../cluster/launch';
import { CliError } from '../errors';
import { checkSplits, parseDatasetSpec } from '../inputs';
import { type PresetName } from '../../methods/shared/presets';

/** `onemark train`'s options as commander hands them over (flag values as typed). */
export interface TrainCliOptions extends ClusterCliOptions {
  method?: string;
  images: string;
  template: string;
  landmarks?: string;
  preset: string;
  out: string;
  seed: string;
  device?: string;
  threads?: string;
  resume?: boolean;
  stage1Run?: string;
  stage1Iterations?: string;
  stage2Iterations?: string;
  fineIterations?: string;
  stage2?: boolean;
  backbone?: string;
  part?: string;
  precision?: string;
  quiet?: boolean;
}

/** The flag of each training setting, for messages. */
export const SETTING_FLAGS: Record<TrainSetting, string> = {
  stage1Iterations: '--stage1-iterations',
  stage2Iterations: '--stage2-iterations',
  fineIterations: '--fine-iterations',
  stage2: '--no-stage2',
  backbone: '--backbone',
  stage1Run: '--stage1-run',
  part: '--part',
  precision: '--precision',
};

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

/** `--part K/N` (1-based K) as the registry's 0-based part. */
export function parsePart(text: string | undefined): { index: number; count: number } | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const k = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!(k >= 1 && n >= 1 && k <= n))
    throw new CliError(`--part: expected K/N with 1 <= K <= N (e.g. 2/19), got '${text}'`);
  return { index: k - 1, count: n };
}

function parsePrecisionFlag(text: string | undefined): Precision | undefined {
  if (text === undefined) return undefined;
  if (!isPrecision(text)) throw new CliError(`--precision: expected fp32, bf16 or fp16, got '${text}'`);
  return text;
}

/** The entry for --method, or for the run being resumed when --method is not given. */
function chooseMethod(o: TrainCliOptions, existing: string | undefined): MethodEntry {
  const name = o.method ?? (o.resume && existing ? existing : 'cc2d');
  if (!findMethod(name))
    throw new CliError(`--method: unknown method '${name}' (available: ${methodNames().join(', ')})`);
  if (o.resume && existing && existing !== name)
    throw new CliError(
      `--method ${name}: run ${o.out} is a ${existing} run; resume it with --method ${existing} (or without --method)`,
    );
  return getMethod(name);
}

/** A CC2D run to reuse, checked before any image loads. */
function checkStage1Run(dir: string, flagValue: string): void {
  let method: string;
  try {
    method = readRunConfig(new RunLayout(dir)).method;
  } catch (e) {
    throw new CliError(`--stage1-run: ${(e as Error).message}`);
  }
  if (method !== 'cc2d')
    throw new CliError(
      `--stage1-run: ${flagValue} is a ${method} run; it must be a CC2D run (onemark train --method cc2d)`,
    );
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
    set.images.find((a) => /^\d+$/.test(a.imageId) && Number(a.imageId) === Number(templateId));
  if (!ann && set.images.length === 1) {
    // A file of one image that names another is most often the wrong file, not a renamed template.
    throw new CliError(
      `${file}: holds the landmarks of image '${set.images[0].imageId}', not of the template '${templateId}'; give the template's own landmark file (or --template ${set.images[0].imageId})`,
    );
  }
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

/** Refuses template points that do not lie on the template image (read from its header only). */
async function requireTemplateOnImage(
  items: readonly DatasetItem[],
  input: OneShotInput,
  source: string,
): Promise<void> {
  const item = items.find((i) => i.id === input.templateId);
  if (!item) return;
  const info = await readImageInfo(item.imagePath);
  const bad = pointsOutsideImage(input.templateLandmarks, input.landmarkSet, info);
  if (bad.length) throw new CliError(describeOutside(source, input.templateId, info, bad));
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('Train a one-shot landmark detector from one labelled template and unlabelled images')
    .option(
      '--method <name>',
      `${METHOD_NAMES.join(' | ')} (default: cc2d, or the resumed run's; see Methods below)`,
    )
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
      `${METHOD_INFO.cc2d.presets.join(' | ')} (quick: about an hour on a 2-core CPU; full: the paper's budget, for a GPU)`,
      'quick',
    )
    .requiredOption('-o, --out <dir>', 'run folder to create (or continue with --resume)')
    .option('--seed <n>', 'random seed (recorded in the run)', '1')
    .option('--device <device>', 'cpu or cuda (default: cuda when available)')
    .option('--threads <n>', 'CPU threads for libtorch (default: all cores)')
    .option('--resume', 'continue the run in --out from its newest checkpoint')
    .option(
      '--stage1-run <dir>',
      "sla/atd/adapter/f2: reuse this CC2D run's stage 1 and pseudo-labels (default: train one in --out)",
    )
    .option('--stage1-iterations <n>', 'override the preset: CC2D stage 1 steps')
    .option(
      '--stage2-iterations <n>',
      "override the preset: cc2d stage 2, the sla/atd/adapter network, or f2's coarse adapter",
    )
    .option('--fine-iterations <n>', "f2: override the preset's fine-stage steps")
    .option('--no-stage2', 'cc2d: train stage 1 only')
    .option(
      '--backbone <file>',
      "initialise CC2D's encoder from torchvision vgg19_bn weights (safetensors; full width only)",
    )
    .option('--part <k/n>', 'sla/atd: train only landmarks j with j mod n = k-1 (one process per part)')
    .option(
      '--precision <p>',
      'fp32 (default), bf16 (autocast: CUDA, or a CPU with bf16 units) or fp16 (CUDA); recorded in the run',
    )
    // Parts beyond one process (src/cluster, docs/cluster.md).
    .option(
      '--parts <n>',
      'sla/atd: train all n parts as separate jobs (with --slurm, --devices, or one after another here)',
    )
    .option('--slurm', 'with --parts: submit stage 1, an array of the parts and a merge job to Slurm')
    .option('--partition <name>', '--slurm: the partition')
    .option('--gpus-per-task <n>', '--slurm: GPUs per job (default: none, CPU jobs)')
    .option(
      '--time <limit>',
      '--slurm: time limit per job (e.g. 4:00:00); parts checkpoint and requeue before it',
    )
    .option(
      '--sbatch-arg <option>',
      '--slurm: an extra sbatch option for every job, as --sbatch-arg=--account=lab (repeatable)',
      collect,
    )
    .option('--dry-run', '--slurm: print the sbatch commands and scripts; submit nothing')
    .option(
      '--devices <list>',
      'with --parts: run the parts in parallel here, one per GPU (e.g. 0,1) or cpu slot',
    )
    .option(
      '--stage1-only',
      "sla/atd: train the shared CC2D stage 1 and pseudo-labels only (a parted run's first job)",
    )
    .option('--quiet', 'no progress bars')
    .addHelpText('after', `\n${methodsHelp()}`)
    .action(async (o: TrainCliOptions) => {
      const code = await runTrain(o);
      if (code !== 0) process.exitCode = code;
    });
}

/**
 * Runs `onemark train`; returns 1 when parts launched as jobs failed. `stage2` is commander's
 * default of --no-stage2 (true); leave it undefined for the same.
 */
export async function runTrain(o: TrainCliOptions): Promise<number> {
  const out = resolve(o.out);
  const layout = new RunLayout(out);
  const existing = fs.existsSync(layout.config) ? readRunConfig(layout) : undefined;
  if (o.resume && !existing && !o.part)
    throw new CliError(
      `--resume: ${o.out} is not a run folder (${fs.existsSync(out) ? 'no config.json in it' : 'no such folder'}); check the path, or drop --resume to start a new run there`,
    );
  const entry = chooseMethod(o, existing?.method);
  if (!(entry.presets as readonly string[]).includes(o.preset)) {
    throw new CliError(`--preset: unknown preset '${o.preset}' (available: ${entry.presets.join(', ')})`);
  }
  const seed = parseCount(o.seed, '--seed') ?? 1;
  const settings: TrainSettings = {
    stage1Iterations: parseCount(o.stage1Iterations, '--stage1-iterations'),
    stage2Iterations: parseCount(o.stage2Iterations, '--stage2-iterations'),
    fineIterations: parseCount(o.fineIterations, '--fine-iterations'),
    stage2: o.stage2,
    backbone: o.backbone === undefined ? undefined : resolve(o.backbone),
    stage1Run: o.stage1Run === undefined ? undefined : resolve(o.stage1Run),
    part: parsePart(o.part),
    precision: parsePrecisionFlag(o.precision),
  };
  const device = o.device === undefined ? defaultDevice() : parseDevice(o.device);
  const precisionIssue = settings.precision && precisionProblem(settings.precision, device);
  if (precisionIssue) throw new CliError(`--precision ${settings.precision}: ${precisionIssue}`);
  const problems = settingProblemsOf(entry, settings);
  if (problems.length)
    throw new CliError(problems.map((p) => `${SETTING_FLAGS[p.setting]} ${p.reason}`).join('\n'));
  if (existing && !o.resume && !settings.part)
    throw new CliError(`run ${o.out} already exists; pass --resume to continue it or choose another --out`);
  const clusterProblems = clusterFlagProblems(o, entry.name, !!settings.part);
  if (clusterProblems.length) throw new CliError(clusterProblems.join('\n'));
  if (settings.stage1Run) checkStage1Run(settings.stage1Run, o.stage1Run!);
  await assertWritableRealDir(out, '--out');
  const threads = applyThreads(o.threads);

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
  if (!templateId) throw new CliError(`${path}: no image with id '${o.template}' among the training images`);
  if (settings.stage1Run) {
    const s1 = readRunConfig(new RunLayout(settings.stage1Run));
    if (s1.data.templateId !== templateId)
      throw new CliError(
        `--stage1-run: ${o.stage1Run} was trained with template ${s1.data.templateId}, not ${templateId}`,
      );
  }
  const lms = o.landmarks ? await templateLandmarksFromFile(o.landmarks, ds, templateId) : undefined;
  const input = oneShotFromDataset(ds, items, templateId, lms?.values, lms?.landmarkSet);
  await requireTemplateOnImage(items, input, o.landmarks ?? `${path} (label of ${templateId})`);

  const progress = new ProgressStream();
  const names = input.landmarkSet.landmarks.map((l) => l.name);
  const detach = attachProgressBars(progress, {
    enabled: !o.quiet,
    landmarkName: (n) => names[n - 1],
  });
  const controller = new AbortController();
  const onSigint = () => {
    process.stderr.write('\nstopping after this step (checkpoint follows); resume with --resume\n');
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  // SIGTERM (Slurm before a time limit, scancel, preemption) stops like Ctrl-C, with a
  // checkpoint; `on`, not `once`: a second TERM must not kill the process mid-write.
  const onSigterm = () => {
    if (!controller.signal.aborted) onSigint();
  };
  process.on('SIGTERM', onSigterm);
  try {
    const request = {
      preset: o.preset as PresetName,
      seed,
      device,
      ...input,
      runDir: out,
      source: {
        images: o.images,
        landmarks: o.landmarks ?? `${path} (label of ${templateId} only)`,
        init: o.backbone,
      },
      resume: !!o.resume,
      progress,
      signal: controller.signal,
      configure: configureFor(entry.name, settings),
      stage1Run: settings.stage1Run,
      part: settings.part,
    };
    if (launchesJobs(o)) {
      const ok = await launchParted(entry, request, { ...o, method: entry.name, seed }, o);
      return ok ? 0 : 1;
    }
    if (o.stage1Only) {
      const done = await trainStage1Only(entry, request);
      process.stdout.write(
        done
          ? `train: stage 1 of ${out} finished\n`
          : `train: stopped; resume with: onemark train … --out ${o.out} --stage1-only\n`,
      );
      return 0;
    }
    const r = await entry.train(request);
    detach();
    const reused = fs.existsSync(layout.config) ? readRunConfig(layout).stage1Run : undefined;
    process.stdout.write(
      r.stopped
        ? `train: stopped; resume with: onemark train … --out ${o.out} --resume\n`
        : `train: ${r.summary} on ${items.length} images, template ${templateId}, seed ${r.seed}, ${threads} thread(s)${reused ? `, stage 1 of ${reused}` : ''} -> ${out}\n`,
    );
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    detach();
  }
}
