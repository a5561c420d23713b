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
import * as os from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { openDataset } from '../../data/datasets/open';
import type { Dataset, DatasetItem } from '../../data/datasets/types';
import { readLandmarks } from '../../data/formats';
import type { LandmarkSet, LandmarkValue } from '../../data/types';
import { cudaAvailable, setNumThreads } from '../../engine';
import type { PresetName } from '../../methods/cc2d/config';
import {
  METHOD_INFO,
  METHOD_NAMES,
  configureFor,
  getMethod,
  settingProblems,
  type MethodEntry,
  type TrainSetting,
  type TrainSettings,
} from '../../methods/registry';
import { readRunConfig } from '../../runs/config';
import { RunLayout } from '../../runs/layout';
import { oneShotFromDataset } from '../../runs/oneShot';
import { ProgressStream, type ProgressEvent } from '../../runs/progress';
import { CliError } from '../errors';
import { checkSplits, parseDatasetSpec } from '../inputs';
import { createProgress, type Progress } from '../progress';

interface TrainCliOptions {
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
};

export interface ProgressBarOptions {
  enabled?: boolean;
  /** Where bars and notes go (default: stderr). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Name of landmark `n` (1-based, ProgressEvent.landmark) for per-landmark stages. */
  landmarkName?: (n: number) => string | undefined;
}

/** "sla landmark 3 (Gonion)": the stage, and the landmark when the event names one. */
export function progressLabel(e: ProgressEvent, landmarkName?: (n: number) => string | undefined): string {
  if (e.landmark === undefined) return e.stage;
  const name = landmarkName?.(e.landmark);
  return `${e.stage} landmark ${e.landmark}${name ? ` (${name})` : ''}`;
}

/**
 * Draws one progress bar per stage (and per landmark, for stages that report one) from a run's
 * event stream, on stderr unless told.
 */
export function attachProgressBars(
  stream: ProgressStream,
  enabledOrOptions: boolean | ProgressBarOptions = true,
): () => void {
  const o: ProgressBarOptions =
    typeof enabledOrOptions === 'boolean' ? { enabled: enabledOrOptions } : enabledOrOptions;
  const enabled = o.enabled ?? true;
  const out = o.stream ?? process.stderr;
  let bar: Progress | null = null;
  let label = '';
  const finish = () => {
    bar?.done();
    bar = null;
  };
  const off = stream.on((e: ProgressEvent) => {
    const l = progressLabel(e, o.landmarkName);
    if (l !== label) {
      finish();
      label = l;
      bar = createProgress({ total: e.total, label: l, enabled, stream: out });
    }
    if (e.message) {
      if (enabled) out.write(`${l}: ${e.message}\n`);
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

/** The methods, one line each: "  sla      CC2D-SLA: One model per landmark ...". */
export function methodLines(): string[] {
  const w = Math.max(...METHOD_NAMES.map((n) => n.length)) + 2;
  return METHOD_NAMES.map((n) => `  ${n.padEnd(w)}${METHOD_INFO[n].title}: ${METHOD_INFO[n].describe}`);
}

/** The methods, one line each, and how their flags apply, for train --help. */
export function methodsHelp(): string {
  return [
    'Methods (--method):',
    ...methodLines(),
    '',
    "sla, atd, adapter and f2 build on a CC2D stage 1: --stage1-run RUN reuses a CC2D run's (trained",
    'on the same images and template); without it they train one inside --out (RUN/cc2d).',
    "--stage2-iterations sets the stage trained on the pseudo-labels: CC2D's stage 2, the",
    "sla/atd/adapter network, f2's coarse adapter. A flag a method cannot use is refused.",
  ].join('\n');
}

/** The entry for --method, or for the run being resumed when --method is not given. */
function chooseMethod(o: TrainCliOptions, existing: string | undefined): MethodEntry {
  const name = o.method ?? (o.resume && existing ? existing : 'cc2d');
  if (!(METHOD_NAMES as string[]).includes(name))
    throw new CliError(`--method: unknown method '${name}' (available: ${METHOD_NAMES.join(', ')})`);
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
    .option('--quiet', 'no progress bars')
    .addHelpText('after', `\n${methodsHelp()}`)
    .action(async (o: TrainCliOptions) => {
      const out = resolve(o.out);
      const layout = new RunLayout(out);
      const existing = fs.existsSync(layout.config) ? readRunConfig(layout) : undefined;
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
      };
      const problems = settingProblems(entry.name, settings);
      if (problems.length)
        throw new CliError(problems.map((p) => `${SETTING_FLAGS[p.setting]} ${p.reason}`).join('\n'));
      if (existing && !o.resume && !settings.part)
        throw new CliError(
          `run ${o.out} already exists; pass --resume to continue it or choose another --out`,
        );
      if (settings.stage1Run) checkStage1Run(settings.stage1Run, o.stage1Run!);
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
      if (!templateId)
        throw new CliError(`${path}: no image with id '${o.template}' among the training images`);
      if (settings.stage1Run) {
        const s1 = readRunConfig(new RunLayout(settings.stage1Run));
        if (s1.data.templateId !== templateId)
          throw new CliError(
            `--stage1-run: ${o.stage1Run} was trained with template ${s1.data.templateId}, not ${templateId}`,
          );
      }
      const lms = o.landmarks ? await templateLandmarksFromFile(o.landmarks, ds, templateId) : undefined;
      const input = oneShotFromDataset(ds, items, templateId, lms?.values, lms?.landmarkSet);

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
      try {
        const r = await entry.train({
          preset: o.preset as PresetName,
          seed,
          device: o.device ?? defaultDevice(),
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
        });
        detach();
        const reused = fs.existsSync(layout.config) ? readRunConfig(layout).stage1Run : undefined;
        process.stdout.write(
          r.stopped
            ? `train: stopped; resume with: onemark train … --out ${o.out} --resume\n`
            : `train: ${r.summary} on ${items.length} images, template ${templateId}, seed ${r.seed}, ${threads} thread(s)${reused ? `, stage 1 of ${reused}` : ''} -> ${out}\n`,
        );
      } finally {
        process.off('SIGINT', onSigint);
        detach();
      }
    });
}
