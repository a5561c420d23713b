/**
 * `onemark baseline template-copy --dataset PATH --template ID [--split S] --out FILE`
 * The floor every method must beat: predict the template's own coordinates on every image.
 * Only the template's label is read, as in the one-shot setting.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { writeLandmarks } from '../../data';
import { templateCopy } from '../../evaluation/baselines';
import { commandLine } from '../context';
import { CliError } from '../errors';
import { checkSplits, openDatasetAt, parseFormat } from '../inputs';

interface TemplateCopyOptions {
  dataset: string;
  template: string;
  split?: string;
  out: string;
  format?: string;
}

export function registerBaseline(program: Command): void {
  const baseline = program.command('baseline').description('Reference predictions that need no training');
  baseline
    .command('template-copy')
    .description("Predict the template's own landmark coordinates on every image (the no-learning floor)")
    .requiredOption('--dataset <path>', 'dataset folder (ISBI 2015 layout)')
    .requiredOption('--template <id>', 'template image id, e.g. 125')
    .option('--split <names>', 'split(s) to predict, comma-separated (default: all images)')
    .requiredOption(
      '-o, --out <file>',
      'prediction file to write (.csv or .json; a folder for slicer/isbi-txt)',
    )
    .option('--format <fmt>', 'csv, json, slicer or isbi-txt (default: from the extension)')
    .action(async (o: TemplateCopyOptions) => {
      const ds = await openDatasetAt(o.dataset);
      const splits = o.split
        ? o.split
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : [];
      checkSplits(ds, splits);
      let set;
      try {
        set = templateCopy(ds, o.template, splits);
      } catch (e) {
        throw new CliError((e as Error).message);
      }
      set.meta = { ...set.meta, command: commandLine() };
      const out = resolve(o.out);
      const files = await writeLandmarks(out, set, { format: parseFormat(o.format, '--format') });
      process.stdout.write(
        `template-copy: template ${String(set.meta.template)}, ${set.images.length} image(s) -> ${files.length === 1 ? files[0] : `${files.length} files in ${out}`}\n`,
      );
    });
}
