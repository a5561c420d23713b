/**
 * A project's training job on Slurm (TrainingRequest.backend 'slurm'), in its job folder
 * PROJECT/runs/<id>/ like a local job:
 *
 *   inputs/images/<imageId>.<ext>  links to the project's images: the CLI's folder dataset reads
 *                                  image ids from file names, so every id comes out as the project's
 *   inputs/template.json           the template's landmarks with the project's landmark set
 *   model/                         the run folder: config.json, RUN/cluster (plan, jobs, scripts,
 *                                  logs), the parts, and the merge job's predictions.csv
 *   predictions.json               written here from predictions.csv once the merge job wrote it,
 *                                  with status.json 'done': the review then reads it as a local run's
 *
 * The submission is the CLI's own: `onemark train … --parts N --slurm` runs as a child process and
 * goes through src/cluster/launch.ts (launchParted → submitRun), so the app and the CLI submit with
 * one function. A child process, not a call, because that path writes the run's config.json with
 * the method's code, which loads libtorch, and the service must stay engine-free (it runs in
 * Electron's main process, whose Node ABI the addon is not built for). Watching and cancelling only
 * read files and run squeue/sacct/scancel (src/cluster/status.ts, submit.ts), so they run here.
 */
import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { packageRoot } from './package-root';
import { ClusterLayout, readJobs } from '../../cluster/plan';
import { runStatus, type RunStatus } from '../../cluster/status';
import { cancelRun } from '../../cluster/submit';
import { formatLandmarkJson, readLandmarks } from '../../data';
import { extensionOf } from '../../data/images/formats';
import { requireSafeFileStem } from '../../data/safeName';
import type { AnnotationSet } from '../../data/types';
import { LOG_FILE, MODEL_DIR, PREDICTIONS_FILE, type JobFile } from '../disk/job-files';
import { imageAbsolutePath, writeJsonAtomic, writeTextAtomic } from '../disk/project-file';
import type { ClusterJobSummary, JobState, Project } from '../contract/types';
import { ApiInputError } from '../contract/errors';

export const INPUTS_DIR = 'inputs';

/** How the service starts the CLI: a command and its first arguments (`train …` follows). */
export type OnemarkCli = { command: string; args: string[]; env?: NodeJS.ProcessEnv };

/**
 * bin/onemark.mjs of this checkout under the running Node. Inside Electron, execPath is the app
 * binary: ELECTRON_RUN_AS_NODE makes it plain Node (and launch.ts hands the same to the jobs).
 */
export function defaultOnemarkCli(repoRoot = packageRoot()): OnemarkCli {
  return {
    command: process.execPath,
    args: [path.join(repoRoot, 'bin', 'onemark.mjs')],
    env: { ELECTRON_RUN_AS_NODE: '1' },
  };
}

/** A submission sbatch (or the CLI's checks) refused: the user can act on the message. */
export class ClusterSubmitError extends ApiInputError {}

export interface ClusterInputs {
  images: string;
  template: string;
  templateId: string;
}

/** Writes inputs/ (image links and the template's landmarks) for the CLI the jobs run. */
export async function writeClusterInputs(
  project: Project,
  annotations: AnnotationSet,
  dir: string,
): Promise<ClusterInputs> {
  const templateId = project.templateImageId;
  if (!templateId) throw new ApiInputError('startTraining: choose and mark a template image first');
  const images = path.join(dir, INPUTS_DIR, 'images');
  await fs.mkdir(images, { recursive: true });
  for (const im of project.images) {
    const stem = requireSafeFileStem(im.id, `startTraining (image ${im.id})`);
    // Absolute targets: the nodes see the project at the same path (a shared filesystem).
    await fs.symlink(
      imageAbsolutePath(project.path, im.file),
      path.join(images, stem + extensionOf(im.file)),
    );
  }
  const template = path.join(dir, INPUTS_DIR, 'template.json');
  const own = annotations.images.find((a) => a.imageId === templateId);
  await writeTextAtomic(
    template,
    formatLandmarkJson({
      landmarkSet: project.landmarkSet,
      images: [{ imageId: templateId, landmarks: own?.landmarks ?? [] }],
    }),
  );
  return { images, template, templateId };
}

/** The `onemark train` arguments of a job request (no --device: gpusPerTask decides, see launch.ts). */
export function clusterTrainArgs(job: JobFile, inputs: ClusterInputs, modelDir: string): string[] {
  const r = job.request;
  const threads = Number(process.env.ONEMARK_THREADS ?? 0);
  return [
    'train',
    '--method',
    r.method,
    '--images',
    inputs.images,
    '--template',
    inputs.templateId,
    '--landmarks',
    inputs.template,
    '--preset',
    r.preset,
    '--seed',
    String(r.seed ?? 1),
    '--out',
    modelDir,
    '--parts',
    String(r.parts ?? 3),
    '--slurm',
    ...(r.partition ? ['--partition', r.partition] : []),
    ...(r.time ? ['--time', r.time] : []),
    ...(r.gpusPerTask !== undefined ? ['--gpus-per-task', String(r.gpusPerTask)] : []),
    // Threads per job (Slurm CPUs per task) as for local engine jobs; else launch.ts's default.
    ...(Number.isInteger(threads) && threads > 0 ? ['--threads', String(threads)] : []),
    ...(r.stage1Iterations !== undefined ? ['--stage1-iterations', String(r.stage1Iterations)] : []),
    ...(r.stage2Iterations !== undefined ? ['--stage2-iterations', String(r.stage2Iterations)] : []),
    '--quiet',
  ];
}

/**
 * Submits through the CLI (see the header) with the project folder as the jobs' working directory;
 * its output goes to engine.log. Returns the line for the job's message; a refusal throws
 * ClusterSubmitError with the CLI's own words.
 */
export async function submitClusterJob(
  cli: OnemarkCli,
  job: JobFile,
  projectPath: string,
  dir: string,
  inputs: ClusterInputs,
): Promise<{ message: string; warning?: string }> {
  const modelDir = path.join(dir, MODEL_DIR);
  const args = [...cli.args, ...clusterTrainArgs(job, inputs, modelDir)];
  const r = await new Promise<{ code: number; out: string; err: string }>((resolve) => {
    execFile(
      cli.command,
      args,
      { cwd: projectPath, env: { ...process.env, ...cli.env }, timeout: 180_000, maxBuffer: 8 << 20 },
      (e, stdout, stderr) => {
        const code = e ? (typeof e.code === 'number' ? e.code : 1) : 0;
        resolve({ code, out: String(stdout), err: String(stderr) || (e && !stderr ? e.message : '') });
      },
    );
  });
  await fs.appendFile(
    path.join(dir, LOG_FILE),
    `[runner ${new Date().toISOString()}] ${cli.command} ${args.join(' ')}\n${r.out}${r.err}`,
  );
  if (r.code !== 0) {
    const lines = r.err
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    throw new ClusterSubmitError(
      `startTraining: the Slurm submission failed: ${lines.slice(-3).join(' ') || `exit code ${r.code}`}`,
    );
  }
  const ids = jobIds(modelDir);
  const warning = /^warning: (.*)$/m.exec(r.err)?.[1];
  return {
    message:
      `submitted to Slurm: stage 1 job ${ids.stage1 ?? '?'}, parts array ${ids.parts ?? '?'} ` +
      `(tasks 1-${job.request.parts ?? 3}), merge job ${ids.merge ?? '?'}`,
    ...(warning ? { warning } : {}),
  };
}

/** The latest Slurm id of each role (a resubmitted part replaces the array's merge too). */
export function jobIds(modelDir: string): { stage1?: string; parts?: string; merge?: string } {
  const out: { stage1?: string; parts?: string; merge?: string } = {};
  for (const j of readJobs(modelDir))
    if (j.role === 'stage1' || j.role === 'parts' || j.role === 'merge') out[j.role] = j.id;
  return out;
}

export function hasClusterPlan(dir: string): boolean {
  return existsSync(new ClusterLayout(path.join(dir, MODEL_DIR)).plan);
}

export async function clusterRunStatusOf(dir: string): Promise<RunStatus> {
  return runStatus(path.join(dir, MODEL_DIR));
}

/** What the job list shows for a run's status, and its 0..1 progress. */
export function jobStateOf(s: RunStatus): { state: JobState; message?: string; progress: number } {
  const frac = (j: RunStatus['jobs'][number]) =>
    j.state === 'done' ? 1 : j.step !== undefined && j.total ? Math.min(1, j.step / j.total) : 0;
  const s1 = s.jobs[0]!;
  const parts = s.jobs.filter((j) => j.part !== undefined);
  // Stage 1 a fifth, the parts (in parallel) most of it, the merge the rest.
  const progress =
    0.2 * frac(s1) + (0.75 * parts.reduce((a, j) => a + frac(j), 0)) / Math.max(1, parts.length);
  const failed = s.jobs.find((j) => j.state === 'failed');
  if (failed)
    return {
      state: 'failed',
      message: `${failed.name} (Slurm job ${failed.job ?? '?'}) failed; see ${new ClusterLayout(s.runDir).logs}`,
      progress,
    };
  const active = s.jobs.some((j) => j.state === 'pending' || j.state === 'running');
  const cancelled = s.jobs.find((j) => j.state === 'cancelled');
  if (cancelled && !active)
    return {
      state: 'cancelled',
      message: `${cancelled.name} (Slurm job ${cancelled.job ?? '?'}) was cancelled`,
      progress,
    };
  const running = s.jobs.filter((j) => j.state === 'running').map((j) => j.name);
  return {
    state: 'running',
    ...(running.length ? { message: `on Slurm: ${running.join(', ')} running` } : {}),
    progress,
  };
}

/** For the API: the run's jobs without the scheduler's raw word. */
export function clusterJobSummaries(s: RunStatus): ClusterJobSummary[] {
  return s.jobs.map(({ schedulerState: _word, ...j }) => j);
}

/**
 * Takes the merge job's predictions.csv into the job folder as predictions.json (the file the
 * review reads), in the project's landmark set and marked as predictions, like a local run's.
 */
export async function adoptClusterPredictions(project: Project, job: JobFile, dir: string): Promise<void> {
  const csv = new ClusterLayout(path.join(dir, MODEL_DIR)).predictions;
  const set = await readLandmarks(csv, { landmarkSet: project.landmarkSet });
  for (const img of set.images) for (const v of img.landmarks) v.source = 'prediction';
  set.landmarkSet = project.landmarkSet;
  set.meta = {
    ...set.meta,
    job: job.id,
    method: job.request.method,
    preset: job.request.preset,
    seed: job.request.seed ?? 1,
    backend: 'slurm',
    parts: job.request.parts ?? 3,
  };
  await writeJsonAtomic(path.join(dir, PREDICTIONS_FILE), set);
}

/** scancel of the run's jobs still pending or running; the ids cancelled. */
export async function cancelClusterJobs(dir: string): Promise<string[]> {
  return cancelRun(path.join(dir, MODEL_DIR));
}
