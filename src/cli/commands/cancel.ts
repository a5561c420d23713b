/**
 * `onemark cancel RUN [--part K]...` stops a parted run's pending and running jobs (scancel, or
 * SIGTERM to local part processes, which checkpoint first), and `onemark resubmit RUN [--part K]...`
 * submits the failed or cancelled parts again: they resume from their checkpoints, and a new merge
 * job waits for them.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { cancelRun, resubmitParts } from '../../cluster/submit';
import { CliError } from '../errors';

function parts(values: string[] | undefined): number[] | undefined {
  if (!values?.length) return undefined;
  return values.map((v) => {
    const k = Number(v);
    if (!Number.isInteger(k) || k < 1)
      throw new CliError(`--part: expected a part number (1, 2, ...), got '${v}'`);
    return k;
  });
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

async function asCliError<T>(run: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError((e as Error).message || `${run}: failed`);
  }
}

export function registerCancel(program: Command): void {
  program
    .command('cancel')
    .description('Cancel the pending and running jobs of a run trained with --parts')
    .argument('<run>', 'run folder')
    .option('--part <k>', 'only this part (repeatable)', collect)
    .action(async (run: string, o: { part?: string[] }) => {
      const ids = await asCliError(run, () => cancelRun(resolve(run), parts(o.part)));
      process.stdout.write(ids.length ? `cancel: ${ids.join(' ')}\n` : 'cancel: no pending or running job\n');
    });
  program
    .command('resubmit')
    .description('Submit failed or cancelled parts of a Slurm run again (they resume from their checkpoints)')
    .argument('<run>', 'run folder')
    .option('--part <k>', 'this part (repeatable; default: every part neither done nor active)', collect)
    .action(async (run: string, o: { part?: string[] }) => {
      const jobs = await asCliError(run, () => resubmitParts(resolve(run), parts(o.part)));
      process.stdout.write(
        jobs.length
          ? `resubmit: ${jobs.map((j) => `${j.role === 'part' ? `part ${j.part}` : j.role} ${j.id}`).join(', ')}\n`
          : 'resubmit: every part is done or still active\n',
      );
    });
}
