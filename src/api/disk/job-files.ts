/**
 * The files of one training job inside a project (PROJECT/runs/<id>/), shared by the runner (in
 * the app or `onemark serve`) and the engine process. Two writers never share a file:
 *
 *   job.json        the request and the process bookkeeping (pid, attempts); written by the runner
 *   status.json     state, message, finish time; written by the engine process (or by the runner
 *                   once that process is known to be dead)
 *   progress.jsonl  one JSON progress event per line, appended by the engine process
 *   engine.log      the engine process's stdout/stderr, plus runner notes
 *   cancel          exists when the user asked to cancel (survives a restart of the runner)
 *   model/          the method's run folder (config, checkpoints; src/runs/layout.ts)
 *   predictions.json  landmarks predicted on every project image once training finished
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { requireSafeFileStem, resolveInside } from '../../data/safeName';
import { readJson, RUNS_DIR, writeJsonAtomic } from './project-file';
import type { JobState, TrainingRequest } from '../contract/types';

export const JOB_FILE = 'job.json';
export const STATUS_FILE = 'status.json';
export const PROGRESS_FILE = 'progress.jsonl';
export const LOG_FILE = 'engine.log';
export const CANCEL_FILE = 'cancel';
export const MODEL_DIR = 'model';
export const PREDICTIONS_FILE = 'predictions.json';

export type JobRequest = Omit<TrainingRequest, 'projectPath'>;

export interface JobFile {
  format: 'onemark-job';
  version: 1;
  id: string;
  kind: 'train';
  request: JobRequest;
  createdAt: string;
  pid?: number;
  attempts: number;
}

export interface StatusFile {
  state: JobState;
  message?: string;
  updatedAt: string;
  finishedAt?: string;
}

/** One line of progress.jsonl (also printed on the engine's stdout). */
export interface ProgressLine {
  t: string;
  stage: string;
  step: number;
  total: number;
  /** Whole job, 0..1. */
  overall: number;
  loss?: number;
  etaSec?: number;
  landmark?: number;
  message?: string;
}

/** `<project>/runs/<jobId>`; an id that is not a plain file name is refused (it could leave runs/). */
export function runDir(projectPath: string, jobId: string): string {
  const runs = path.join(projectPath, RUNS_DIR);
  return resolveInside(runs, requireSafeFileStem(jobId, runs, 'run id'));
}

export async function readJobFile(dir: string): Promise<JobFile> {
  const doc = (await readJson(path.join(dir, JOB_FILE))) as JobFile;
  if (doc?.format !== 'onemark-job' || typeof doc.id !== 'string') {
    throw new Error(`${path.join(dir, JOB_FILE)}: not a OneMark job file`);
  }
  return doc;
}

export async function readStatus(dir: string): Promise<StatusFile | null> {
  try {
    return (await readJson(path.join(dir, STATUS_FILE))) as StatusFile;
  } catch {
    return null;
  }
}

export async function writeStatus(dir: string, state: JobState, message?: string): Promise<void> {
  const now = new Date().toISOString();
  const done = state === 'done' || state === 'failed' || state === 'cancelled';
  await writeJsonAtomic(path.join(dir, STATUS_FILE), {
    state,
    ...(message ? { message } : {}),
    updatedAt: now,
    ...(done ? { finishedAt: now } : {}),
  } satisfies StatusFile);
}

/** Job folders of a project, oldest first (ids start with a timestamp). */
export async function listRunDirs(projectPath: string): Promise<string[]> {
  const root = path.join(projectPath, RUNS_DIR);
  try {
    const entries = await fs.readdir(root, { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory())
      .map((e) => path.join(root, e.name))
      .sort();
  } catch {
    return [];
  }
}

/** The newest job of the project that finished and wrote predictions, if any. */
export async function latestFinishedRun(projectPath: string): Promise<{ id: string; dir: string } | null> {
  const dirs = await listRunDirs(projectPath);
  for (const dir of dirs.reverse()) {
    const status = await readStatus(dir);
    if (status?.state !== 'done') continue;
    try {
      await fs.access(path.join(dir, PREDICTIONS_FILE));
      return { id: path.basename(dir), dir };
    } catch {
      // done without predictions (should not happen): look further back
    }
  }
  return null;
}
