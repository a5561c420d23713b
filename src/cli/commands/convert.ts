/**
 * `onemark convert INPUT OUTPUT` between landmark formats: OneMark CSV, OneMark JSON, 3D Slicer
 * markups (.mrk.json, one per image) and ISBI txt (one per image). INPUT may also be a dataset
 * folder (`PATH[:split]`), which exports its ground truth.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  formatProblem,
  getLandmarkSetPreset,
  loadLandmarks,
  writeLandmarks,
  type AnnotationSet,
  type LandmarkSet,
  type Spacing,
} from '../../data';
import { CliError } from '../errors';
import {
  checkSplits,
  isDatasetFolder,
  openDatasetAt,
  parseDatasetSpec,
  parseFormat,
  parseSpacing,
} from '../inputs';

interface ConvertOptions {
  from?: string;
  to?: string;
  landmarkSet?: string;
  spacing?: string;
  count?: string;
  skipBad?: boolean;
}

function withSpacing(set: AnnotationSet, spacing: Spacing | undefined): AnnotationSet {
  if (!spacing) return set;
  return { ...set, images: set.images.map((im) => ({ ...im, spacing: { ...spacing } })) };
}

export function registerConvert(program: Command): void {
  program
    .command('convert')
    .description(
      'Convert landmarks between formats: csv, json, slicer (.mrk.json per image), isbi-txt (.txt per image)',
    )
    .argument(
      '<input>',
      'landmark file, folder of .mrk.json/.txt files, or dataset folder[:split] (exports its ground truth)',
    )
    .argument('<output>', 'file (.csv, .json) or folder (slicer, isbi-txt: one file per image)')
    .option('--from <fmt>', 'input format (default: from the extension / folder contents)')
    .option('--to <fmt>', 'output format (default: from the extension)')
    .option('--landmark-set <preset>', 'check ids against a preset and use its names (e.g. isbi2015)')
    .option('--spacing <mm>', 'mm per pixel ("0.1" or "0.1,0.1"): Slicer files store mm, the others pixels')
    .option('--count <n>', 'ISBI txt: number of landmark lines to read (default 19 or the set size)')
    .option('--skip-bad', 'convert the readable images when some are bad, instead of failing')
    .action(async (input: string, output: string, o: ConvertOptions) => {
      const from = parseFormat(o.from, '--from');
      const to = parseFormat(o.to, '--to');
      const spacing = o.spacing ? parseSpacing(o.spacing) : undefined;
      let landmarkSet: LandmarkSet | undefined;
      if (o.landmarkSet) {
        try {
          landmarkSet = getLandmarkSetPreset(o.landmarkSet);
        } catch (e) {
          throw new CliError(`--landmark-set: ${(e as Error).message}`);
        }
      }
      const count = o.count === undefined ? undefined : Number(o.count);
      if (count !== undefined && (!Number.isInteger(count) || count < 1))
        throw new CliError(`--count: expected a whole number >= 1, got '${o.count}'`);

      let set: AnnotationSet;
      let what: string;
      const spec = await parseDatasetSpec(input);
      if (await isDatasetFolder(spec.path)) {
        const ds = await openDatasetAt(spec.path);
        checkSplits(ds, spec.splits);
        set = ds.groundTruth(...spec.splits);
        what = `${ds.name} ground truth${spec.splits.length ? ` (${spec.splits.join(', ')})` : ''}`;
      } else {
        if (spec.splits.length > 0) throw new CliError(`${spec.path}: a split needs a dataset folder`);
        const res = await loadLandmarks(spec.path, {
          format: from,
          landmarkSet,
          count,
          ...(spacing ? { spacingFor: () => spacing } : {}),
        });
        if (res.problems.length > 0) {
          const lines = res.problems.map(formatProblem);
          if (!o.skipBad) {
            throw new CliError(
              `${spec.path}: ${lines.length} problem(s), nothing written (use --skip-bad to convert the rest):\n  ${lines.join('\n  ')}`,
            );
          }
          for (const l of lines) process.stderr.write(`onemark: warning: skipped: ${l}\n`);
        }
        set = res.set;
        what = spec.path;
      }
      if (set.images.length === 0) throw new CliError(`${input}: no landmarks to convert`);
      const out = resolve(output);
      const files = await writeLandmarks(out, withSpacing(set, spacing), { format: to });
      const points = set.images.reduce((n, im) => n + im.landmarks.filter((l) => l.point).length, 0);
      process.stdout.write(
        `converted ${set.images.length} image(s), ${points} point(s) from ${what} -> ${files.length === 1 ? files[0] : `${files.length} files in ${out}`}\n`,
      );
    });
}
