/**
 * `onemark train --parts N` beyond one process: `--slurm` submits stage 1, an array of N parts and
 * a merge job; `--devices 0,1` (or no backend flag) runs the same jobs as processes on this machine;
 * `--stage1-only` is what the first of those jobs runs. train.ts checks and loads the inputs, then
 * hands off here.
 */
import { checkDevice, cudaAvailable, cudaDeviceCount, type Device } from '../engine';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findMethod, type MethodEntry, type TrainRequest } from '../methods/registry';
import type { PartedTraining } from '../methods/shared/entry';
import { runLocal } from './local';
import { ClusterLayout, type ClusterPlan } from './plan';
import { dryRunText } from './scripts';
import { ClusterError } from './slurm';
import { submitRun } from './submit';

/** The cluster flags of `onemark train`, as commander parses them. */
export interface ClusterCliOptions {
  slurm?: boolean;
  partition?: string;
  gpusPerTask?: string;
  time?: string;
  parts?: string;
  sbatchArg?: string[];
  dryRun?: boolean;
  devices?: string;
  stage1Only?: boolean;
}

/** The train flags every job repeats. */
export interface SharedTrainOptions {
  method: string;
  images: string;
  template: string;
  landmarks?: string;
  preset: string;
  seed: number;
  device?: string;
  threads?: string;
  stage1Run?: string;
  stage1Iterations?: string;
  stage2Iterations?: string;
  backbone?: string;
}

/** Commander's collector for a repeatable option. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Whether train hands the whole run to launchParted (not for --stage1-only, a job's own step). */
export function launchesJobs(o: ClusterCliOptions): boolean {
  return !o.stage1Only && !!(o.slurm || o.parts !== undefined || o.devices !== undefined);
}

/** Problems with the cluster flags alone, each naming its flag; empty when fine. */
export function clusterFlagProblems(o: ClusterCliOptions, method: string, part: boolean): string[] {
  const p: string[] = [];
  const parted = o.parts !== undefined;
  if (parted && !/^[1-9]\d*$/.test(o.parts!))
    p.push(`--parts: expected a positive integer, got '${o.parts}'`);
  if ((parted || o.slurm || o.devices !== undefined || o.stage1Only) && !findMethod(method)?.parts)
    p.push(
      `--parts/--slurm/--devices/--stage1-only apply to sla and atd (per-landmark parts), not ${method}`,
    );
  if ((o.slurm || o.devices !== undefined) && !parted) p.push('--slurm and --devices need --parts N');
  if (parted && part) p.push('--part K/N is one part; --parts N runs all of them: give one of the two');
  if (o.slurm && o.devices !== undefined)
    p.push('--devices is for this machine; with --slurm use --gpus-per-task');
  for (const [flag, v] of [
    ['--partition', o.partition],
    ['--gpus-per-task', o.gpusPerTask],
    ['--time', o.time],
    ['--dry-run', o.dryRun],
  ] as const)
    if (v !== undefined && !o.slurm) p.push(`${flag} applies to --slurm only`);
  if (o.sbatchArg?.length && !o.slurm) p.push('--sbatch-arg applies to --slurm only');
  if (o.gpusPerTask !== undefined && !/^\d+$/.test(o.gpusPerTask))
    p.push(`--gpus-per-task: expected a non-negative integer, got '${o.gpusPerTask}'`);
  for (const a of o.sbatchArg ?? [])
    if (!/^--?[A-Za-z]/.test(a))
      p.push(`--sbatch-arg: expected an sbatch option such as --account=lab, got '${a}'`);
  if (o.devices !== undefined) {
    const ds = o.devices.split(',').map((d) => d.trim());
    if (!ds.length || ds.some((d) => !/^(\d+|cpu)$/.test(d)))
      p.push(`--devices: expected GPU indices or cpu, comma-separated (e.g. 0,1), got '${o.devices}'`);
  }
  return p;
}

/** Slurm's --time (minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS) in seconds; undefined if unreadable. */
export function slurmTimeSeconds(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const m = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(text.trim());
  if (!m) return undefined;
  const [d, a, b, c] = [m[1], m[2], m[3], m[4]].map((x) => (x === undefined ? undefined : Number(x)));
  if (d !== undefined) return d * 86400 + a! * 3600 + (b ?? 0) * 60 + (c ?? 0);
  if (c !== undefined) return a! * 3600 + b! * 60 + c;
  if (b !== undefined) return a! * 60 + b;
  return a! * 60;
}

/**
 * How long before the time limit a part is told to checkpoint: 2 minutes, less for short limits
 * (a tenth of the limit, at least 10 s) so that a short job is not signalled at its start.
 */
export function signalLead(time: string | undefined): number {
  const t = slurmTimeSeconds(time);
  return t !== undefined && t < 1200 ? Math.max(10, Math.floor(t / 10)) : 120;
}

/** node and the CLI entry, as the jobs should start onemark (bin/onemark.mjs of this checkout). */
function onemarkCommand(): string[] {
  const bin = fileURLToPath(new URL('../../bin/onemark.mjs', import.meta.url));
  // Started by the app (src/api/service/cluster-job.ts), execPath is Electron's binary: the jobs need
  // ELECTRON_RUN_AS_NODE to run it as Node whatever environment sbatch hands them.
  if (process.versions.electron) return ['env', 'ELECTRON_RUN_AS_NODE=1', process.execPath, bin];
  return [process.execPath, bin];
}

/**
 * The device the run's config records: jobs resume with the saved config, so it is fixed here.
 * `here`: this machine's default, for local parts without --devices.
 */
export function plannedDevice(o: SharedTrainOptions, c: ClusterCliOptions, here: Device = 'cpu'): Device {
  if (o.device) return checkDevice(o.device);
  if (c.slurm) return Number(c.gpusPerTask ?? 0) > 0 ? 'cuda' : 'cpu';
  if (c.devices === undefined) return here;
  return c.devices.split(',').every((d) => d.trim() === 'cpu') ? 'cpu' : 'cuda';
}

export function buildPlan(
  o: SharedTrainOptions,
  c: ClusterCliOptions,
  runDir: string,
  here: Device = 'cpu',
): ClusterPlan {
  const threads = o.threads !== undefined ? Number(o.threads) : c.slurm ? 2 : 1;
  const device = plannedDevice(o, c, here);
  const args = [
    '--method',
    o.method,
    '--images',
    o.images,
    '--template',
    o.template,
    ...(o.landmarks ? ['--landmarks', o.landmarks] : []),
    '--preset',
    o.preset,
    '--seed',
    String(o.seed),
    '--device',
    device,
    '--threads',
    String(threads),
    ...(o.stage1Run ? ['--stage1-run', o.stage1Run] : []),
    ...(o.stage1Iterations !== undefined ? ['--stage1-iterations', o.stage1Iterations] : []),
    ...(o.stage2Iterations !== undefined ? ['--stage2-iterations', o.stage2Iterations] : []),
    ...(o.backbone ? ['--backbone', o.backbone] : []),
  ];
  const l = new ClusterLayout(runDir);
  return {
    version: 1,
    backend: c.slurm ? 'slurm' : 'local',
    runDir,
    method: o.method,
    parts: Number(c.parts),
    trainArgs: args,
    predictImages: o.images,
    threads,
    command: onemarkCommand(),
    cwd: process.cwd(),
    stage1Done: l.stage1Done(o.stage1Run ? path.resolve(o.stage1Run) : undefined),
    ...(c.slurm
      ? {
          slurm: {
            partition: c.partition,
            gpusPerTask: c.gpusPerTask !== undefined ? Number(c.gpusPerTask) : undefined,
            time: c.time,
            sbatchArgs: c.sbatchArg ?? [],
            signalLeadSec: signalLead(c.time),
          },
        }
      : // No --devices: one slot, the processes see every device (as this one does).
        { devices: c.devices === undefined ? ['all'] : c.devices.split(',').map((d) => d.trim()) }),
  };
}

/** The entry's parted training; clusterFlagProblems has refused the methods without one. */
function partsOf(entry: MethodEntry): PartedTraining {
  if (!entry.parts) throw new ClusterError(`${entry.name} does not train in parts`);
  return entry.parts;
}

/** `--stage1-only`: the shared stage 1 and its pseudo-labels; false when stopped by a signal. */
export async function trainStage1Only(entry: MethodEntry, req: TrainRequest): Promise<boolean> {
  return partsOf(entry).trainStage1(req);
}

/**
 * Submits (or prints, with --dry-run) the Slurm jobs, or runs the parts here. Writes the run's
 * config.json first, so every job resumes with the same config whichever starts first.
 */
export async function launchParted(
  entry: MethodEntry,
  req: TrainRequest,
  o: SharedTrainOptions,
  c: ClusterCliOptions,
  write: (s: string) => void = (s) => process.stdout.write(s),
  note: (s: string) => void = (s) => process.stderr.write(s),
): Promise<boolean> {
  const plan = buildPlan(o, c, req.runDir, req.device);
  if (c.dryRun) {
    write(dryRunText(plan));
    return true;
  }
  const gpus = (plan.devices ?? []).filter((d) => /^\d+$/.test(d)).map(Number);
  if (gpus.length) {
    const n = cudaAvailable() ? cudaDeviceCount() : 0;
    const bad = gpus.filter((g) => g >= n);
    if (bad.length)
      throw new ClusterError(
        `--devices: GPU ${bad.join(', ')} not found (${n ? `this machine has GPUs 0-${n - 1}` : 'no CUDA GPU here'})`,
      );
  }
  const device = plannedDevice(o, c, req.device);
  partsOf(entry).prepare({ ...req, device });
  if (plan.backend === 'slurm') {
    const r = await submitRun(plan);
    if (r.warning) note(`warning: ${r.warning}\n`);
    const id = (role: string) => r.jobs.find((j) => j.role === role)?.id ?? '?';
    write(
      `train: submitted ${plan.method} in ${plan.parts} parts to Slurm: stage 1 job ${id('stage1')}, ` +
        `parts array ${id('parts')} (tasks 1-${plan.parts}), merge job ${id('merge')}\n` +
        `train: job ids in ${new ClusterLayout(plan.runDir).jobs}; watch with: onemark status ${plan.runDir}\n`,
    );
    return true;
  }
  note(
    plan.devices![0] === 'all'
      ? `train: ${plan.parts} parts, one after another (add --devices 0,1,… to run them in parallel)\n`
      : `train: ${plan.parts} parts on ${plan.devices!.join(', ')}, one process per part at a time on each\n`,
  );
  const r = await runLocal(plan, { signal: req.signal, log: (s) => note(`${s}\n`) });
  if (r.ok)
    write(
      `train: ${plan.method} in ${plan.parts} parts -> ${plan.runDir}; merged predictions ${new ClusterLayout(plan.runDir).predictions}\n`,
    );
  else
    write(
      r.stopped
        ? `train: stopped; parts resume from their checkpoints when the same command runs again with --resume\n`
        : `train: failed (${r.failed.join(', ')}); see ${new ClusterLayout(plan.runDir).logs}\n`,
    );
  return r.ok;
}
