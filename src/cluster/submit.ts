/**
 * Submitting a parted run to Slurm (stage 1 → array of parts → merge, chained with afterok),
 * resubmitting parts that failed or were cancelled, and cancelling a run's jobs.
 */
import * as fs from 'node:fs';
import {
  ClusterLayout,
  appendJobs,
  readJobs,
  readPlan,
  writeJobs,
  writePlan,
  type ClusterPlan,
  type JobRecord,
} from './plan';
import { jobScripts, sbatchCommands } from './scripts';
import { filesystemOf, sharedFsWarning } from './sharedfs';
import { ClusterError, jobStates, sbatch, scancel } from './slurm';
import { partJobId, runStatus } from './status';

export interface Submitted {
  jobs: JobRecord[];
  /** Non-empty when the run folder does not look shared between nodes. */
  warning: string;
}

const ACTIVE = new Set(['pending', 'running']);

/** `{dependency: 'afterok:…'}` from sbatch arguments, for the job record. */
function dependencyOf(args: readonly string[]): { dependency?: string } {
  const dep = args.find((a) => a.startsWith('--dependency='));
  return dep ? { dependency: dep.slice('--dependency='.length) } : {};
}

function now(): string {
  return new Date().toISOString();
}

/** Writes the scripts into RUN/cluster/scripts (as submitted, for the record and for resubmits). */
export function writeScripts(plan: ClusterPlan): void {
  const l = new ClusterLayout(plan.runDir);
  fs.mkdirSync(l.scripts, { recursive: true });
  fs.mkdirSync(l.logs, { recursive: true });
  const s = jobScripts(plan);
  fs.writeFileSync(l.script('stage1'), s.stage1, { mode: 0o755 });
  fs.writeFileSync(l.script('parts'), s.parts, { mode: 0o755 });
  fs.writeFileSync(l.script('merge'), s.merge, { mode: 0o755 });
}

/** Submits the three jobs; the run's config.json must already exist (written by the caller). */
export async function submitRun(plan: ClusterPlan): Promise<Submitted> {
  if (readJobs(plan.runDir).length) {
    // A resubmission (--resume) while the earlier jobs still run would train the same parts twice.
    const active = (await runStatus(plan.runDir)).jobs.filter((j) => ACTIVE.has(j.state));
    if (active.length)
      throw new ClusterError(
        `${plan.runDir}: ${active.map((j) => `${j.name} (job ${j.job}) is ${j.state}`).join(', ')}; ` +
          `cancel them first (onemark cancel ${plan.runDir}) or resubmit single parts (onemark resubmit)`,
      );
  }
  const warning = sharedFsWarning(plan.runDir, filesystemOf(plan.runDir));
  writePlan(plan);
  writeScripts(plan);
  const ids: Record<string, string> = {};
  // Earlier submissions of the run (a --resume) stay on record; status reads the latest of each role.
  const prior = readJobs(plan.runDir);
  const jobs: JobRecord[] = [];
  for (const call of sbatchCommands(plan)) {
    const args = call.args.map((a) => a.replace(/\{(\w+)\}/g, (_, k: string) => ids[k] ?? ''));
    const id = await sbatch(args, call.script);
    ids[call.role] = id;
    jobs.push({ role: call.role, id, submitted: now(), ...dependencyOf(args) });
    // Recorded as soon as submitted, so that cancel finds every job even if a later sbatch fails.
    writeJobs(plan.runDir, [...prior, ...jobs]);
  }
  return { jobs, warning };
}

/**
 * Resubmits parts (all that are neither done nor active, or the given ones) as single-task arrays
 * of the same script, which resume from their checkpoints, and replaces the merge job by one that
 * waits for every unfinished part. The old merge would wait forever on a cancelled task.
 */
export async function resubmitParts(runDir: string, only?: readonly number[]): Promise<JobRecord[]> {
  const plan = readPlan(runDir);
  if (plan.backend !== 'slurm')
    throw new ClusterError(
      `${new ClusterLayout(runDir).plan}: a ${plan.backend} run; rerun its train command to resume it`,
    );
  const l = new ClusterLayout(runDir);
  const status = await runStatus(runDir);
  for (const k of only ?? [])
    if (!(Number.isInteger(k) && k >= 1 && k <= plan.parts))
      throw new ClusterError(`--part ${k}: the run has parts 1 to ${plan.parts}`);
  const s1 = status.jobs.find((j) => j.name === 'stage1')!;
  if (s1.state !== 'done' && !ACTIVE.has(s1.state))
    throw new ClusterError(
      `${runDir}: stage 1 is ${s1.state}; submit the run again (onemark train --slurm --resume)`,
    );
  const parts = status.jobs.filter((j) => j.part !== undefined);
  const chosen = only?.length
    ? parts.filter((p) => only.includes(p.part!))
    : parts.filter((p) => p.state !== 'done' && !ACTIVE.has(p.state));
  for (const p of chosen)
    if (ACTIVE.has(p.state))
      throw new ClusterError(`part ${p.part}: job ${p.job} is ${p.state}; cancel it first`);
  if (!chosen.length) return [];
  const oldMerge = [...readJobs(runDir)].reverse().find((j) => j.role === 'merge');
  if (oldMerge) await scancel([oldMerge.id]).catch(() => undefined);

  const added: JobRecord[] = [];
  const s1Dep = s1.state === 'done' ? [] : [`--dependency=afterok:${s1.job}`, '--kill-on-invalid-dep=yes'];
  for (const p of chosen) {
    const id = await sbatch([`--array=${p.part}`, ...s1Dep], l.script('parts'));
    // A single-task array: Slurm names the task "<id>_<k>".
    added.push({
      role: 'part',
      part: p.part,
      id: `${id}_${p.part}`,
      submitted: now(),
      ...dependencyOf(s1Dep),
    });
  }
  const jobs = appendJobs(runDir, added);
  const waitFor = parts.filter((p) => p.state !== 'done').map((p) => partJobId(jobs, p.part!)!);
  const dep = waitFor.length
    ? [`--dependency=afterok:${waitFor.join(':')}`, '--kill-on-invalid-dep=yes']
    : [];
  const merge = await sbatch(dep, l.script('merge'));
  const mergeRec: JobRecord = {
    role: 'merge',
    id: merge,
    submitted: now(),
    ...dependencyOf(dep),
  };
  appendJobs(runDir, [mergeRec]);
  return [...added, mergeRec];
}

/** Cancels the run's jobs that are still pending or running (or only the given parts'). */
export async function cancelRun(runDir: string, only?: readonly number[]): Promise<string[]> {
  const plan = readPlan(runDir);
  const status = await runStatus(runDir);
  const targets = status.jobs.filter(
    (j) => j.job && ACTIVE.has(j.state) && (!only?.length || (j.part !== undefined && only.includes(j.part))),
  );
  const ids = targets.map((j) => j.job!);
  if (plan.backend === 'slurm') {
    // Array tasks still pending are listed by squeue under the array id; scancel takes "id_k".
    await scancel(ids);
  } else {
    // The launcher first: it stops starting parts, then forwards TERM to the running ones.
    if (!only?.length && plan.launcherPid) ids.unshift(String(plan.launcherPid));
    for (const id of ids) {
      try {
        // TERM: the part writes a checkpoint and stops, as with Ctrl-C.
        process.kill(Number(id), 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
  return ids;
}

/** For tests and the status poller: the scheduler's states of a run's recorded jobs. */
export async function schedulerStates(runDir: string): Promise<Map<string, string>> {
  const ids = [...new Set(readJobs(runDir).map((j) => j.id))];
  const m = await jobStates(ids);
  return new Map([...m].map(([k, v]) => [k, v.state]));
}
