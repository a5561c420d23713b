/**
 * `onemark status RUN [--json] [--watch SEC]`: every job of a parted run (stage 1, each part, the
 * merge) with its state, steps and ETA, from Slurm (squeue, sacct) or the local processes and the
 * run's own files. Engine-free: it runs on a login node.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { formatStatus, runStatus, type RunStatus } from '../../cluster/status';
import { CliError } from '../errors';

const FINAL = new Set(['done', 'failed', 'cancelled', 'stopped', 'unknown']);

function settled(s: RunStatus): boolean {
  return s.jobs.every((j) => FINAL.has(j.state));
}

async function statusOf(runDir: string, given: string): Promise<RunStatus> {
  try {
    return await runStatus(runDir);
  } catch (e) {
    // The message names the file (RUN/cluster/plan.json) and the problem.
    throw new CliError((e as Error).message || `${given}: no status`);
  }
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('State of every job of a run trained with --parts (stage 1, parts, merge): Slurm or local')
    .argument('<run>', 'run folder')
    .option('--json', 'print the status as JSON')
    .option('--watch <sec>', 'print again every sec seconds until no job is pending or running')
    .action(async (run: string, o: { json?: boolean; watch?: string }) => {
      const dir = resolve(run);
      const every = o.watch === undefined ? 0 : Number(o.watch);
      if (!(every >= 0)) throw new CliError(`--watch: expected seconds, got '${o.watch}'`);
      for (;;) {
        const s = await statusOf(dir, run);
        process.stdout.write(o.json ? JSON.stringify(s) + '\n' : formatStatus(s));
        if (!every || settled(s)) break;
        await new Promise((r) => setTimeout(r, every * 1000));
      }
    });
}
