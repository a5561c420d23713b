/**
 * `onemark quickstart [--out DIR]`: the main job on a built-in default. It draws a small synthetic
 * one-shot dataset (one textured pattern under known shifts and scales, 3 landmarks), then runs the
 * same commands a researcher would: train CC2D from the template alone, predict every image,
 * evaluate against the drawn ground truth. Everything lands in DIR (default ./onemark-quickstart).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { createLandmarkSet } from '../../data/landmarkSets';
import { writeLandmarks } from '../../data/formats';
import { syntheticSet } from '../../data/synthetic';
import type { AnnotationSet, GrayImage } from '../../data/types';
import { encodePng } from '../../evaluation/plots/png';
import { assertWritableRealDir } from '../../data/realDir';
import { formatCommandLine } from '../context';
import { CliError, exitCodeOf, formatCliError } from '../errors';
import { runEvaluate } from './evaluate';

export interface QuickstartOptions {
  out: string;
  images: number;
  size: number;
  seed: number;
  preset: string;
}

function toPng(img: GrayImage): Buffer {
  const bytes = new Uint8Array(img.width * img.height);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.round(Math.min(1, Math.max(0, img.data[i])) * 255);
  return encodePng(img.width, img.height, 1, bytes);
}

/** Writes images/ + landmarks.csv (ground truth of all images) + template.csv (template only). */
export async function writeSyntheticDataset(
  dir: string,
  o: Pick<QuickstartOptions, 'images' | 'size' | 'seed'>,
) {
  // Shifts of ±12 % make copying the template's positions a poor answer (~1 mm here), so the
  // report's comparison shows what training adds.
  const set = syntheticSet(o.images, o.size, { seed: o.seed, maxShift: 0.12 });
  const landmarkSet = createLandmarkSet('synthetic', [
    { name: 'upper left' },
    { name: 'upper right' },
    { name: 'lower centre' },
  ]);
  await mkdir(join(dir, 'images'), { recursive: true });
  const annotations: AnnotationSet = {
    landmarkSet,
    images: set.ids.map((imageId, i) => ({
      imageId,
      landmarks: set.landmarks[i].map((p, j) => ({ id: j + 1, point: p, source: 'gt' })),
    })),
    meta: { generator: 'onemark quickstart', seed: o.seed },
  };
  for (let i = 0; i < set.ids.length; i++) {
    await writeFile(join(dir, 'images', `${set.ids[i]}.png`), toPng(set.images[i]));
  }
  const gt = join(dir, 'landmarks.csv');
  const template = join(dir, 'template.csv');
  await writeLandmarks(gt, annotations);
  await writeLandmarks(template, { ...annotations, images: annotations.images.slice(0, 1) });
  // The no-training reference: the template's positions copied onto every image.
  const copy = join(dir, 'template-copy.csv');
  const t = annotations.images[0].landmarks;
  await writeLandmarks(copy, {
    landmarkSet,
    images: annotations.images.map((a) => ({
      imageId: a.imageId,
      landmarks: t.map((v) => ({ ...v, source: 'template-copy' })),
    })),
    meta: { method: 'template-copy', seed: o.seed },
  });
  return { templateId: set.ids[0], imagesDir: join(dir, 'images'), gt, template, copy };
}

/**
 * One step of the workflow: prints the command it stands for, runs it, and stops the quickstart
 * with the step's error printed as the CLI prints it.
 */
async function step(args: string[], run: (command: string) => Promise<number>): Promise<void> {
  process.stderr.write(`\n$ onemark ${args.join(' ')}\n`);
  let code: number;
  try {
    code = await run(formatCommandLine(args));
  } catch (err) {
    process.stderr.write(`${formatCliError(err, false)}\n`);
    code = exitCodeOf(err);
  }
  if (code !== 0) throw new CliError(`quickstart: 'onemark ${args[0]}' failed (exit ${code})`);
}

export async function runQuickstart(o: QuickstartOptions): Promise<void> {
  const out = resolve(o.out);
  await assertWritableRealDir(out, '--out');
  const data = await writeSyntheticDataset(join(out, 'data'), o);
  process.stderr.write(
    `quickstart: ${o.images} synthetic images (${o.size} px, seed ${o.seed}) in ${data.imagesDir}\n`,
  );
  const runDir = join(out, 'run');
  const pred = join(out, 'predictions.csv');
  const report = join(out, 'report');
  // The folder's landmarks.csv holds every image's ground truth; training reads only the template's.
  const train = {
    method: 'cc2d',
    images: data.imagesDir,
    template: data.templateId,
    landmarks: data.template,
    preset: o.preset,
    seed: String(o.seed),
    out: runDir,
  };
  await step(
    ['train', ...flags(train)],
    // Imported when run, so the command registers (and shows its help) without loading the engine.
    async () => (await import('./train')).runTrain(train),
  );
  const predict = { run: runDir, images: data.imagesDir, out: pred };
  await step(['predict', ...flags(predict)], async (command) => {
    await (await import('./predict')).runPredict(predict, command);
    return 0;
  });
  const evaluate = {
    pred: [pred, data.copy],
    gt: data.gt,
    images: data.imagesDir,
    spacing: '0.1',
    out: report,
    name: [],
  };
  await step(['evaluate', ...flags(evaluate)], (command) => runEvaluate(evaluate, command));
  process.stdout.write(`\nquickstart: done. Report: ${join(report, 'report.md')}\n`);
}

/** Options as flags, in order: `{ stage1Run: 'x', pred: ['a', 'b'] }` → `--stage1-run x --pred a --pred b`. */
function flags(o: Record<string, string | string[]>): string[] {
  return Object.entries(o).flatMap(([k, v]) => {
    const flag = `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    return (Array.isArray(v) ? v : [v]).flatMap((one) => [flag, one]);
  });
}

export function registerQuickstart(program: Command): void {
  program
    .command('quickstart')
    .description('the whole one-shot workflow on built-in synthetic images: train CC2D, predict, evaluate')
    .option('--out <dir>', 'output folder', 'onemark-quickstart')
    .option('--images <n>', 'number of synthetic images (the first is the template)', '16')
    .option('--size <px>', 'image side in pixels', '128')
    .option('--seed <n>', 'random seed (data and training)', '1')
    .option('--preset <name>', 'training preset', 'tiny')
    .action(async (opts: Record<string, string>) => {
      const int = (v: string, name: string, min: number) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < min)
          throw new CliError(`${name}: expected an integer ≥ ${min}, got '${v}'`);
        return n;
      };
      await runQuickstart({
        out: opts.out,
        images: int(opts.images, '--images', 3),
        size: int(opts.size, '--size', 64),
        seed: int(opts.seed, '--seed', 0),
        preset: opts.preset,
      });
    });
}
