/**
 * What a parted run (`onemark train --parts N`, on Slurm or on local devices) records in its run
 * folder, so that `onemark status`, `cancel` and `resubmit` need nothing but the folder:
 *
 *   RUN/cluster/plan.json         how every job runs (the train arguments, parts, Slurm options)
 *   RUN/cluster/jobs.json         the jobs submitted or processes started, in order
 *   RUN/cluster/scripts/*.sbatch  the batch scripts as submitted (Slurm)
 *   RUN/cluster/logs/             each job's stdout and stderr
 *   RUN/predictions.csv           the merge job's predictions of the training images
 *
 * Engine-free on purpose: status and cancel run on a login node without libtorch.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export type Backend = 'slurm' | 'local';

export interface SlurmOptions {
  partition?: string;
  /** GPUs per task; 0 or absent: CPU jobs. */
  gpusPerTask?: number;
  /** Slurm's --time (e.g. 2:00:00). */
  time?: string;
  /** Extra sbatch options, passed to every job as given (e.g. --account=lab, --qos=short). */
  sbatchArgs: string[];
  /** Seconds before the time limit that a part is told to checkpoint and requeue itself. */
  signalLeadSec: number;
}

export interface ClusterPlan {
  version: 1;
  backend: Backend;
  runDir: string;
  method: string;
  parts: number;
  /** `onemark train` arguments every job shares (no --out, --part or cluster flags). */
  trainArgs: string[];
  /** The images the merge job predicts: the training images, as given to train. */
  predictImages: string;
  /** Threads per job (and Slurm CPUs per task). */
  threads: number;
  /** How a job starts onemark: node and the CLI entry. */
  command: string[];
  /** Working directory of every job (relative paths in trainArgs resolve from it). */
  cwd: string;
  slurm?: SlurmOptions;
  /** Local backend: one entry per device slot (a CUDA index, "cpu", or "all": the environment as is). */
  devices?: string[];
  /** Local backend: the `onemark train` process that starts the parts (cancel stops it first). */
  launcherPid?: number;
  /** The file stage 1 writes last (its pseudo-labels): the parts may start once it exists. */
  stage1Done: string;
}

export type JobRole = 'stage1' | 'parts' | 'part' | 'merge';

export interface JobRecord {
  role: JobRole;
  /** Slurm job id (the array's for role "parts"), or a process id (local backend). */
  id: string;
  /** 1-based part, for role "part" (a resubmitted part, or a local part process). */
  part?: number;
  dependency?: string;
  submitted: string;
  /** Local backend: the exit code once the process ended. */
  exitCode?: number | null;
  /** Local backend: the device slot it ran on. */
  device?: string;
}

export class ClusterLayout {
  constructor(readonly runDir: string) {}
  get dir(): string {
    return path.join(this.runDir, 'cluster');
  }
  get plan(): string {
    return path.join(this.dir, 'plan.json');
  }
  get jobs(): string {
    return path.join(this.dir, 'jobs.json');
  }
  get scripts(): string {
    return path.join(this.dir, 'scripts');
  }
  get logs(): string {
    return path.join(this.dir, 'logs');
  }
  get predictions(): string {
    return path.join(this.runDir, 'predictions.csv');
  }
  script(name: string): string {
    return path.join(this.scripts, `${name}.sbatch`);
  }
  /** The stage folder of part k (1-based): sla/atd only take parts (registry's stageName). */
  partStage(method: string, k: number, n: number): string {
    return `${method}-part-${k}-of-${n}`;
  }
  partFinal(method: string, k: number, n: number): string {
    return path.join(this.runDir, this.partStage(method, k, n), 'final.safetensors');
  }
  /** Where stage 1 writes its pseudo-labels last: the run's own cc2d/, or a reused CC2D run. */
  stage1Done(stage1Run?: string): string {
    return path.join(stage1Run ?? path.join(this.runDir, 'cc2d'), 'stage1', 'pseudo-labels.json');
  }
}

function readJson<T>(file: string, what: string): T {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${file}: not found; is this a run trained with --parts (onemark train --parts N)?`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${file}: ${what} is not valid JSON (${(e as Error).message})`);
  }
}

export function readPlan(runDir: string): ClusterPlan {
  const l = new ClusterLayout(runDir);
  const p = readJson<ClusterPlan>(l.plan, 'the cluster plan');
  if (p.version !== 1 || !Array.isArray(p.trainArgs) || !(p.parts >= 1))
    throw new Error(`${l.plan}: not a OneMark cluster plan (version 1 with trainArgs and parts)`);
  return p;
}

export function readJobs(runDir: string): JobRecord[] {
  const l = new ClusterLayout(runDir);
  if (!fs.existsSync(l.jobs)) return [];
  const j = readJson<{ jobs: JobRecord[] }>(l.jobs, 'the job list');
  if (!Array.isArray(j.jobs)) throw new Error(`${l.jobs}: no "jobs" list`);
  return j.jobs;
}

/** Atomic (temporary file + rename): status may read while a launcher writes. */
function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

export function writePlan(plan: ClusterPlan): void {
  writeJson(new ClusterLayout(plan.runDir).plan, plan);
}

export function writeJobs(runDir: string, jobs: readonly JobRecord[]): void {
  writeJson(new ClusterLayout(runDir).jobs, { jobs });
}

export function appendJobs(runDir: string, add: readonly JobRecord[]): JobRecord[] {
  const all = [...readJobs(runDir), ...add];
  writeJobs(runDir, all);
  return all;
}
