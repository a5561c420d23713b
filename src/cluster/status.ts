/**
 * The state of every job of a parted run: stage 1, each part, the merge. Slurm (or, locally, the
 * recorded processes) says pending/running/ended; the run's own files say what was achieved (a
 * part with a final checkpoint is done whatever the scheduler remembers: without an accounting
 * database Slurm forgets finished jobs after MinJobAge), and its progress events give steps and ETA.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ClusterLayout, readJobs, readPlan, type ClusterPlan, type JobRecord } from './plan';
import { jobStates, type SlurmJobState } from './slurm';

export type JobState = 'pending' | 'running' | 'done' | 'failed' | 'cancelled' | 'stopped' | 'unknown';

export interface JobStatus {
  /** "stage1", "part 2", "merge". */
  name: string;
  part?: number;
  /** Slurm job id ("12_2" for an array task) or local process id. */
  job?: string;
  state: JobState;
  /** The scheduler's own word (PENDING, RUNNING, CANCELLED...) and reason, when it has one. */
  schedulerState?: string;
  reason?: string;
  step?: number;
  total?: number;
  etaSec?: number;
  /** The step a requeued or resubmitted job continued from (its latest "resumed at step" note). */
  resumedAt?: number;
}

export interface RunStatus {
  runDir: string;
  backend: ClusterPlan['backend'];
  method: string;
  parts: number;
  jobs: JobStatus[];
  /** The merged predictions, once written. */
  predictions?: string;
}

interface StageProgress {
  step?: number;
  total?: number;
  etaSec?: number;
  resumedAt?: number;
}

/** Latest step, total, ETA and resume note per stage, from an events.jsonl. */
export function readProgress(file: string): Map<string, StageProgress> {
  const out = new Map<string, StageProgress>();
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let e: { stage?: string; step?: number; total?: number; etaSec?: number; message?: string };
    try {
      e = JSON.parse(line);
    } catch {
      continue; // a line being appended by a running job
    }
    if (!e.stage) continue;
    const p = out.get(e.stage) ?? {};
    const resumed = e.message ? /resumed at step (\d+)/.exec(e.message) : null;
    if (resumed) p.resumedAt = Number(resumed[1]);
    if (typeof e.step === 'number' && (p.step === undefined || e.step >= p.step || resumed)) {
      p.step = e.step;
      p.total = e.total;
      p.etaSec = e.message ? undefined : e.etaSec;
    }
    out.set(e.stage, p);
  }
  return out;
}

const PENDING = new Set([
  'PENDING',
  'REQUEUED',
  'REQUEUE_HOLD',
  'REQUEUE_FED',
  'CONFIGURING',
  'SUSPENDED',
  'RESV_DEL_HOLD',
]);
const RUNNING = new Set(['RUNNING', 'COMPLETING', 'STAGE_OUT', 'SIGNALING', 'RESIZING']);
const FAILED = new Set([
  'FAILED',
  'TIMEOUT',
  'NODE_FAIL',
  'OUT_OF_MEMORY',
  'BOOT_FAIL',
  'DEADLINE',
  'PREEMPTED',
  'SPECIAL_EXIT',
]);

/** A job's state from the scheduler's word and whether its work is on disk. */
export function stateOf(scheduler: string | undefined, finished: boolean): JobState {
  if (finished) return 'done';
  if (!scheduler) return 'unknown';
  if (PENDING.has(scheduler)) return 'pending';
  if (RUNNING.has(scheduler)) return 'running';
  if (scheduler === 'CANCELLED') return 'cancelled';
  if (FAILED.has(scheduler)) return 'failed';
  // COMPLETED without its output: it stopped early (a signal) with a checkpoint.
  if (scheduler === 'COMPLETED') return 'stopped';
  return 'unknown';
}

function localState(rec: JobRecord | undefined, finished: boolean): { state: JobState; word?: string } {
  if (finished) return { state: 'done' };
  if (!rec) return { state: 'pending' };
  if (rec.exitCode === undefined || rec.exitCode === null) {
    try {
      process.kill(Number(rec.id), 0);
      return { state: 'running', word: 'RUNNING' };
    } catch {
      return { state: 'unknown', word: 'GONE' };
    }
  }
  return { state: rec.exitCode === 0 ? 'stopped' : 'failed', word: `EXIT ${rec.exitCode}` };
}

/** The job that stands for a role now: the latest record (a resubmission replaces the first). */
function latest(jobs: readonly JobRecord[], f: (j: JobRecord) => boolean): JobRecord | undefined {
  return [...jobs].reverse().find(f);
}

/** Job id of part k: its latest resubmission, else the array's task k. */
export function partJobId(jobs: readonly JobRecord[], k: number): string | undefined {
  const single = jobs.findLastIndex((j) => j.role === 'part' && j.part === k);
  const array = jobs.findLastIndex((j) => j.role === 'parts');
  if (single >= 0 && single > array) return jobs[single]!.id;
  return array >= 0 ? `${jobs[array]!.id}_${k}` : undefined;
}

export async function runStatus(runDir: string): Promise<RunStatus> {
  const plan = readPlan(runDir);
  const jobs = readJobs(runDir);
  const l = new ClusterLayout(runDir);
  const n = plan.parts;
  const progress = readProgress(path.join(runDir, 'events.jsonl'));
  const s1Progress = readProgress(path.join(runDir, 'cc2d', 'events.jsonl')).get('stage1');

  let slurm = new Map<string, SlurmJobState>();
  if (plan.backend === 'slurm') {
    const ids = [...new Set(jobs.map((j) => j.id))];
    slurm = await jobStates(ids);
  }
  const entry = (
    name: string,
    job: string | undefined,
    finished: boolean,
    rec: JobRecord | undefined,
    p: StageProgress | undefined,
    part?: number,
  ): JobStatus => {
    let state: JobState;
    let word: string | undefined;
    let reason: string | undefined;
    if (plan.backend === 'slurm') {
      // An array cancelled (or still pending) before Slurm split it has one record, under its own id.
      const s = job ? (slurm.get(job) ?? slurm.get(job.split('_')[0]!)) : undefined;
      word = s?.state;
      reason = s?.reason && s.reason !== 'None' ? s.reason : undefined;
      state = stateOf(word, finished);
    } else {
      ({ state, word } = localState(rec, finished));
    }
    return {
      name,
      ...(part !== undefined ? { part } : {}),
      ...(job ? { job } : {}),
      state,
      ...(word ? { schedulerState: word } : {}),
      ...(reason ? { reason } : {}),
      ...(p?.step !== undefined ? { step: p.step, total: p.total } : {}),
      ...(state === 'running' && p?.etaSec !== undefined ? { etaSec: Math.round(p.etaSec) } : {}),
      ...(p?.resumedAt !== undefined ? { resumedAt: p.resumedAt } : {}),
    };
  };

  const out: JobStatus[] = [];
  const s1 = latest(jobs, (j) => j.role === 'stage1');
  out.push(entry('stage1', s1?.id, fs.existsSync(plan.stage1Done), s1, s1Progress));
  for (let k = 1; k <= n; k++) {
    const rec = latest(jobs, (j) => j.role === 'part' && j.part === k);
    const id = plan.backend === 'slurm' ? partJobId(jobs, k) : rec?.id;
    const stage = l.partStage(plan.method, k, n);
    out.push(
      entry(`part ${k}`, id, fs.existsSync(l.partFinal(plan.method, k, n)), rec, progress.get(stage), k),
    );
  }
  const m = latest(jobs, (j) => j.role === 'merge');
  const predicted = fs.existsSync(l.predictions);
  out.push(entry('merge', m?.id, predicted, m, undefined));
  return {
    runDir,
    backend: plan.backend,
    method: plan.method,
    parts: n,
    jobs: out,
    ...(predicted ? { predictions: l.predictions } : {}),
  };
}

function eta(sec: number): string {
  if (sec < 90) return `${sec}s`;
  if (sec < 5400) return `${Math.round(sec / 60)} min`;
  return `${(sec / 3600).toFixed(1)} h`;
}

/** The table `onemark status` prints. */
export function formatStatus(s: RunStatus): string {
  const where = s.backend === 'slurm' ? 'on Slurm' : 'on this machine';
  const rows = s.jobs.map((j) => [
    j.name,
    j.job ?? '-',
    j.state + (j.reason ? ` (${j.reason})` : ''),
    j.step !== undefined ? `${j.step}/${j.total}` : '',
    [
      j.etaSec !== undefined ? `ETA ${eta(j.etaSec)}` : '',
      j.resumedAt !== undefined ? `resumed at step ${j.resumedAt}` : '',
    ]
      .filter(Boolean)
      .join(', '),
  ]);
  const head = ['JOB', s.backend === 'slurm' ? 'SLURM ID' : 'PID', 'STATE', 'STEPS', ''];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(w[i]!))
      .join('  ')
      .trimEnd();
  return (
    [
      `${s.runDir}: ${s.method} in ${s.parts} part(s) ${where}`,
      line(head),
      ...rows.map(line),
      ...(s.predictions ? [`predictions: ${s.predictions}`] : []),
    ].join('\n') + '\n'
  );
}
