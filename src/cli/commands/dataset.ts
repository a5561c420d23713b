/**
 * `onemark dataset inspect PATH`: what a dataset holds and what is wrong with it, before training
 * on it. The facts come from the data layer's `inspectDataset`; this file adds the terminal side
 * (progress, JSON, exit status).
 */
import type { Command } from 'commander';
import { formatDatasetReport, inspectDataset } from '../../data';
import { CliError } from '../errors';
import { openDatasetAt, parseSpacing } from '../inputs';
import { createProgress } from '../progress';

interface InspectOptions {
  json?: boolean;
  decode?: boolean;
  strict?: boolean;
  quiet?: boolean;
  landmarks?: string;
  spacing?: string;
}

export function registerDataset(program: Command): void {
  const dataset = program.command('dataset').description('Datasets: inspect what a folder holds');
  dataset
    .command('inspect')
    .description('Counts, image sizes, spacing, labelled/unlabelled per split, and problems found')
    .argument('<path>', 'dataset folder: the ISBI 2015 layout, or a folder of images (+ landmarks.csv/json)')
    .option(
      '--landmarks <file>',
      'landmark file for a folder of images (default: landmarks.csv/json inside it)',
    )
    .option('--spacing <mm>', 'mm per pixel for images whose files state none ("0.1" or "0.1,0.1")')
    .option('--decode', 'also decode every image (finds corrupt pixel data; slower)')
    .option('--json', 'print the report as JSON')
    .option('--strict', 'exit with status 1 when any problem is found')
    .option('-q, --quiet', 'no progress output')
    .action(async (path: string, o: InspectOptions) => {
      const ds = await openDatasetAt(path, {
        landmarks: o.landmarks,
        spacing: o.spacing ? parseSpacing(o.spacing) : undefined,
      });
      const progress = createProgress({
        total: ds.items.length,
        label: o.decode ? 'decoding images' : 'reading image headers',
        enabled: !o.quiet,
      });
      const report = await inspectDataset(ds, { decode: !!o.decode, onProgress: (d) => progress.update(d) });
      progress.done();
      process.stdout.write(
        o.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatDatasetReport(report)}\n`,
      );
      if (o.strict && report.problems.length > 0) {
        throw new CliError(`${path}: ${report.problems.length} problem(s) found`);
      }
    });
}
