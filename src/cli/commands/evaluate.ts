/**
 * `onemark evaluate --pred FILE [--pred FILE ...] --gt DATASET[:split] --out DIR`
 * One prediction file: a report folder (tables, CSV, JSON, plots). Two or more: each one's report
 * in a subfolder plus a side-by-side comparison at the top.
 */
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { extensionOf, isImageFileName, readImage, type Spacing } from '../../data';
import { assertWritableRealDir } from '../../data/realDir';
import { evaluate, type Evaluation } from '../../evaluation/evaluate';
import { DEFAULT_RADII_MM } from '../../evaluation/metrics';
import {
  defaultOverlayIds,
  writeComparisonReport,
  writeReport,
  type PlotFormat,
  type ReportOptions,
} from '../../evaluation/report';
import { table1Markdown } from '../../evaluation/tables';
import { commandLine } from '../context';
import { CliError } from '../errors';
import { loadGroundTruth, parseRadii, parseSpacing, readLandmarkFileStrict } from '../inputs';
import { createProgress } from '../progress';

export interface EvaluateCliOptions {
  pred: string[];
  gt: string;
  out: string;
  name: string[];
  models?: string[];
  radii?: string;
  spacing?: string;
  allowPixels?: boolean;
  overlay?: string;
  images?: string;
  formats?: string;
  quiet?: boolean;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function parseFormats(text: string | undefined): PlotFormat[] {
  if (!text) return ['svg', 'png'];
  const parts = text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const bad = parts.filter((p) => p !== 'svg' && p !== 'png');
  if (bad.length > 0) throw new CliError(`--formats: expected svg and/or png, got '${bad.join(',')}'`);
  return parts as PlotFormat[];
}

/** Images looked up by id (file name without extension) in a folder, for overlays. */
async function imageFolderLoader(dir: string, spacing: Spacing | undefined) {
  const names = await readdir(dir).catch(() => {
    throw new CliError(`--images: ${dir}: no such folder`);
  });
  const byId = new Map<string, string>();
  for (const n of names)
    if (isImageFileName(n)) byId.set(n.slice(0, n.length - extensionOf(n).length), join(dir, n));
  return async (id: string) => {
    const path = byId.get(id);
    return path ? readImage(path, spacing ? { spacing } : {}) : null;
  };
}

export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description(
      'Score predictions against ground truth: MRE ± std, SDR, per-landmark/per-image tables, plots',
    )
    .requiredOption(
      '--pred <file>',
      'prediction file (.csv, .json, .mrk.json folder, .txt folder); repeat to compare',
      collect,
      [],
    )
    .requiredOption(
      '--gt <dataset[:split]|file>',
      'ground truth: dataset folder with optional split(s), e.g. data/isbi2015:test1, or a landmark file',
    )
    .requiredOption('-o, --out <dir>', 'output folder (created)')
    .option(
      '--name <name>',
      "method name for each --pred, in order (default: the file's meta.method or file name)",
      collect,
      [],
    )
    .option('--models <n>', 'model count for Table 1, for each --pred in order', collect, [])
    .option('--radii <list>', `SDR radii in mm, strictly below (default ${DEFAULT_RADII_MM.join(',')})`)
    .option('--spacing <mm>', 'mm per pixel for every image ("0.1" or "0.1,0.1"), overriding the files')
    .option('--allow-pixels', 'evaluate in pixels when no mm spacing is known')
    .option(
      '--overlay <ids>',
      'image ids to draw GT vs prediction on (comma-separated), or "none" (default: median and worst image)',
    )
    .option('--images <dir>', 'folder of images named <id>.<ext>, for overlays when --gt is a file')
    .option('--formats <list>', 'plot formats: svg,png (default both)')
    .option('-q, --quiet', 'no progress output')
    .action(async (o: EvaluateCliOptions) => {
      const code = await runEvaluate(o, commandLine());
      if (code !== 0) process.exitCode = code;
    });
}

/** Runs the command; returns 1 when some input problem was reported (outputs are still written). */
export async function runEvaluate(o: EvaluateCliOptions, command: string): Promise<number> {
  if (o.name.length > 0 && o.name.length !== o.pred.length) {
    throw new CliError(
      `--name given ${o.name.length} time(s) for ${o.pred.length} --pred file(s); give one name per file`,
    );
  }
  const models = (o.models ?? []).map((m) => {
    const n = Number(m);
    if (!Number.isInteger(n) || n < 0) throw new CliError(`--models: expected a whole number, got '${m}'`);
    return n;
  });
  if (models.length > 0 && models.length !== o.pred.length) {
    throw new CliError(`--models given ${models.length} time(s) for ${o.pred.length} --pred file(s)`);
  }
  const radii = o.radii ? parseRadii(o.radii) : [...DEFAULT_RADII_MM];
  const spacingOverride = o.spacing ? parseSpacing(o.spacing) : undefined;
  const formats = parseFormats(o.formats);

  await assertWritableRealDir(resolve(o.out), '--out');
  const gt = await loadGroundTruth(o.gt);
  const evals: Evaluation[] = [];
  const predIdsOf: string[][] = [];
  for (const [i, file] of o.pred.entries()) {
    const pred = await readLandmarkFileStrict(file);
    predIdsOf.push(pred.images.map((a) => a.imageId));
    evals.push(
      evaluate(pred, gt.set, {
        predictionFile: file,
        groundTruthSource: gt.description,
        groundTruthLabel: gt.label,
        knownImageIds: gt.knownImageIds,
        radii,
        spacingOverride,
        allowPixels: o.allowPixels,
        method: o.name[i],
        modelCount: models[i],
      }),
    );
  }

  // A table of dashes with exit 0 reads as a result; scoring nothing is a mistake in the inputs
  // (wrong split, ids written differently), so say which ids failed to meet.
  for (const [i, e] of evals.entries()) {
    if (e.errors.errors.length > 0) continue;
    const predIds = predIdsOf[i]!;
    const sample = (ids: readonly string[]) =>
      ids.length ? `${ids.slice(0, 4).join(', ')}${ids.length > 4 ? ', …' : ''}` : 'none';
    throw new CliError(
      `${o.pred[i]}: nothing to score against ${gt.label}: no predicted landmark meets a labelled one (prediction ids: ${sample(predIds)}; ground-truth ids: ${sample(gt.set.images.map((a) => a.imageId))})`,
    );
  }

  const ds = gt.dataset;
  const loadImage = ds
    ? async (id: string) => {
        const item = ds.item(id);
        return item ? ds.loadImage(item) : null;
      }
    : o.images
      ? await imageFolderLoader(o.images, spacingOverride)
      : undefined;
  const overlayIds =
    o.overlay === 'none'
      ? []
      : o.overlay
        ? o.overlay
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : undefined;
  if (overlayIds && overlayIds.length > 0 && !loadImage) {
    process.stderr.write('onemark: warning: --overlay needs images: --gt is a file, so give --images DIR\n');
  }
  const overlayCount = loadImage ? (overlayIds ?? defaultOverlayIds(evals[0]!)).length : 0;
  const perReport = (2 + overlayCount) * formats.length + 5;
  const total = evals.length === 1 ? perReport : evals.length * perReport + 2 * formats.length + 3;
  const progress = createProgress({ total, label: 'writing report', enabled: !o.quiet });
  const outDir = resolve(o.out);
  const opts: ReportOptions = {
    outDir,
    formats,
    landmarkSet: gt.set.landmarkSet,
    command,
    onFile: () => progress.tick(),
    ...(overlayIds ? { overlayImageIds: overlayIds } : {}),
    ...(loadImage ? { loadImage } : {}),
  };
  const res =
    evals.length === 1 ? await writeReport(evals[0]!, opts) : await writeComparisonReport(evals, opts);
  progress.done();

  process.stdout.write(`${table1Markdown(evals)}\n\nreport: ${outDir}/report.md\n`);
  for (const w of res.warnings) process.stderr.write(`onemark: warning: ${w}\n`);
  let failed = false;
  for (const e of evals) {
    for (const p of e.errors.problems) {
      if (p.severity === 'note') continue;
      process.stderr.write(`onemark: ${p.severity}: ${p.message}\n`);
      if (p.severity === 'error') failed = true;
    }
  }
  if (failed)
    process.stderr.write(
      `onemark: the report in ${outDir} covers the rest; exiting with status 1 because of the errors above\n`,
    );
  return failed ? 1 : 0;
}
