/**
 * Runs training jobs in engine processes and follows them through their files (job-files.ts).
 *
 * The engine process is started detached with its output in engine.log, so it survives the
 * window, the server, or the app quitting. The runner only watches files: reopening a project
 * (or restarting the app) re-reads runs/, reattaches to processes still alive, and restarts
 * those that died mid-run — the method resumes from its newest checkpoint.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from './package-root';
import {
  CANCEL_FILE,
  JOB_FILE,
  listRunDirs,
  LOG_FILE,
  PROGRESS_FILE,
  readJobFile,
  readStatus,
  runDir,
  writeStatus,
  type JobFile,
  type JobRequest,
  type ProgressLine,
} from '../disk/job-files';
import {
  adoptClusterPredictions,
  cancelClusterJobs,
  clusterRunStatusOf,
  defaultOnemarkCli,
  jobStateOf,
  submitClusterJob,
  writeClusterInputs,
  type OnemarkCli,
} from './cluster-job';
import type { JobRegistry } from './jobs';
import { readProject, RUNS_DIR, writeJsonAtomic } from '../disk/project-file';
import type { AnnotationSet, JobState, JobSummary, Project } from '../contract/types';
import { ApiInputError } from '../contract/errors';

/** Starts the engine process for a run folder; returns its pid. */
export type SpawnEngine = (runDir: string, logFile: string) => number;

/**
 * Starts `execPath ...args RUN` detached, output appended to the log. Inside Electron, execPath is
 * the app binary: ELECTRON_RUN_AS_NODE makes it plain Node.
 */
export function engineSpawner(opts: { args: string[]; cwd: string; env?: NodeJS.ProcessEnv }): SpawnEngine {
  return (dir, logFile) => {
    const out = openSync(logFile, 'a');
    try {
      const child = spawn(process.execPath, [...opts.args, dir], {
        cwd: opts.cwd,
        detached: true,
        stdio: ['ignore', out, out],
        env: { ...process.env, ...opts.env, ELECTRON_RUN_AS_NODE: '1' },
      });
      child.on('error', () => {});
      child.unref();
      if (child.pid === undefined) throw new Error(`cannot start the engine process (${process.execPath})`);
      return child.pid;
    } finally {
      closeSync(out);
    }
  };
}

/** From source: `node --import tsx src/api/worker/engine-worker.ts RUN` in the repository. */
export function tsxEngineSpawner(opts: { repoRoot?: string; env?: NodeJS.ProcessEnv } = {}): SpawnEngine {
  const repoRoot = opts.repoRoot ?? packageRoot();
  const worker = path.join(repoRoot, 'src', 'api', 'worker', 'engine-worker.ts');
  return engineSpawner({ args: ['--import', 'tsx', worker], cwd: repoRoot, env: opts.env });
}

export function isProcessAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // An engine orphaned by a previous server and then killed can linger as a zombie where PID 1
  // does not reap (containers): it answers signals but is dead.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS, Windows): trust the signal check
  }
}

const TERMINAL: readonly JobState[] = ['done', 'failed', 'cancelled'];

interface Watched {
  id: string;
  projectPath: string;
  dir: string;
  offset: number;
  partial: string;
  job: JobFile;
  state: JobState;
  busy: boolean;
  /** Slurm jobs: when squeue was last asked (it is asked every clusterPollMs, not every poll). */
  clusterPolledAt: number;
}

/** Runs fn with `w.busy` held, so no poll or restart touches the job meanwhile, and always lets go. */
async function whileBusy<T>(w: Watched, fn: () => Promise<T>): Promise<T> {
  w.busy = true;
  try {
    return await fn();
  } finally {
    w.busy = false;
  }
}

/** A job whose work runs on Slurm: no engine process of ours to watch or restart. */
function onSlurm(job: JobFile): boolean {
  return job.request.backend === 'slurm';
}

export interface JobRunnerOptions {
  registry: JobRegistry;
  spawnEngine?: SpawnEngine;
  pollMs?: number;
  /** Engine starts per job, first included, before a dying job is marked failed. */
  maxAttempts?: number;
  /** How Slurm jobs are submitted: the CLI (src/api/service/cluster-job.ts); default bin/onemark.mjs here. */
  onemarkCli?: OnemarkCli;
  /** How often a Slurm job's state is read from squeue/sacct and its files (default 3 s). */
  clusterPollMs?: number;
}

function newJobId(): string {
  const d = new Date();
  const stamp = d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}

export class JobRunner {
  private readonly watched = new Map<string, Watched>();
  private readonly registry: JobRegistry;
  private readonly spawnEngine: SpawnEngine;
  private readonly maxAttempts: number;
  private readonly timer: NodeJS.Timeout;
  private readonly onemarkCli: OnemarkCli;
  private readonly clusterPollMs: number;

  constructor(opts: JobRunnerOptions) {
    this.registry = opts.registry;
    this.spawnEngine = opts.spawnEngine ?? tsxEngineSpawner();
    this.maxAttempts = opts.maxAttempts ?? 3;
    this.onemarkCli = opts.onemarkCli ?? defaultOnemarkCli();
    this.clusterPollMs = opts.clusterPollMs ?? 3000;
    this.timer = setInterval(() => void this.pollAll(), opts.pollMs ?? 250);
    this.timer.unref();
  }

  /** Stops watching; engine processes keep running and are found again on the next attach. */
  dispose(): void {
    clearInterval(this.timer);
  }

  /** A new job's folder with its job.json and a 'queued' status; local and Slurm jobs alike. */
  private async createJob(
    projectPath: string,
    request: JobRequest,
    attempts: number,
  ): Promise<{ id: string; dir: string; job: JobFile }> {
    const id = newJobId();
    const dir = runDir(projectPath, id);
    await fs.mkdir(dir, { recursive: true });
    const job: JobFile = {
      format: 'onemark-job',
      version: 1,
      id,
      kind: 'train',
      request,
      createdAt: new Date().toISOString(),
      attempts,
    };
    await writeJsonAtomic(path.join(dir, JOB_FILE), job);
    await writeStatus(dir, 'queued');
    return { id, dir, job };
  }

  async start(projectPath: string, request: JobRequest): Promise<JobSummary> {
    const { id, dir, job } = await this.createJob(projectPath, request, 0);
    const w = this.track(projectPath, dir, job, 'queued');
    await whileBusy(w, () => this.launch(w, 'starting the engine process'));
    return this.registry.list().find((j) => j.id === id)!;
  }

  /**
   * A job on Slurm: writes its folder and inputs, then submits through the CLI. Answers once
   * sbatch accepted the jobs; a refused submission leaves the job 'failed' and throws the reason.
   */
  async startCluster(project: Project, annotations: AnnotationSet, request: JobRequest): Promise<JobSummary> {
    const { id, dir, job } = await this.createJob(project.path, request, 1);
    const w = this.track(project.path, dir, job, 'queued');
    await whileBusy(w, async () => {
      try {
        await this.note(w, `submitting ${request.method} in ${request.parts ?? 3} parts to Slurm`);
        const inputs = await writeClusterInputs(project, annotations, dir);
        const r = await submitClusterJob(this.onemarkCli, job, project.path, dir, inputs);
        if (r.warning) await this.note(w, `warning: ${r.warning}`);
        await this.note(w, r.message);
        await writeStatus(dir, 'running', r.message);
        this.setState(w, 'running', r.message);
        w.clusterPolledAt = Date.now();
      } catch (e) {
        const message = (e as Error).message;
        await writeStatus(dir, 'failed', message);
        this.setState(w, 'failed', message);
        throw e;
      }
    });
    return this.registry.list().find((j) => j.id === id)!;
  }

  /** Reads a Slurm job's state now (status asks before answering, so both agree). */
  async refreshCluster(jobId: string): Promise<void> {
    const w = this.watched.get(jobId);
    if (!w || !onSlurm(w.job)) return;
    while (w.busy) await new Promise((r) => setTimeout(r, 20));
    await whileBusy(w, () => this.pollCluster(w, true));
  }

  /** Registers the project's jobs; reattaches to live engines and restarts dead unfinished ones. */
  async attachProject(projectPath: string): Promise<void> {
    for (const dir of await listRunDirs(projectPath)) {
      const id = path.basename(dir);
      if (this.watched.has(id)) continue;
      let job: JobFile;
      try {
        job = await readJobFile(dir);
      } catch {
        continue; // not a job folder (or half-created): nothing to follow
      }
      const status = await readStatus(dir);
      const w = this.track(projectPath, dir, job, status?.state ?? 'queued', status?.message);
      await whileBusy(w, () => this.readProgress(w, false));
    }
  }

  async cancel(jobId: string): Promise<void> {
    const w = this.watched.get(jobId);
    if (!w) throw new ApiInputError(`cancelJob: no job ${jobId}`);
    if (TERMINAL.includes(w.state)) return;
    await fs.writeFile(path.join(w.dir, CANCEL_FILE), new Date().toISOString() + '\n');
    await this.note(w, 'cancel requested');
    if (onSlurm(w.job)) {
      const ids = await cancelClusterJobs(w.dir);
      await this.note(
        w,
        ids.length ? `scancel ${ids.join(' ')}` : 'no Slurm job was still pending or running',
      );
      await writeStatus(w.dir, 'cancelled', 'cancelled by the user');
      this.setState(w, 'cancelled', 'cancelled by the user');
      return;
    }
    if (isProcessAlive(w.job.pid)) process.kill(w.job.pid!, 'SIGTERM');
  }

  async log(jobId: string, limit = 200): Promise<string[]> {
    const w = this.watched.get(jobId);
    if (!w) throw new ApiInputError(`jobLog: no job ${jobId}`);
    let text = '';
    try {
      text = await fs.readFile(path.join(w.dir, LOG_FILE), 'utf8');
    } catch {
      return [];
    }
    const lines = text
      .split('\n')
      .filter((l) => l.length > 0)
      .map(formatLogLine);
    return lines.slice(-Math.max(1, Math.min(5000, limit)));
  }

  runDirOf(jobId: string): string | undefined {
    return this.watched.get(jobId)?.dir;
  }

  private track(projectPath: string, dir: string, job: JobFile, state: JobState, message?: string): Watched {
    const w: Watched = {
      id: job.id,
      projectPath,
      dir,
      offset: 0,
      partial: '',
      job,
      state,
      busy: false,
      clusterPolledAt: 0,
    };
    this.watched.set(job.id, w);
    const summary: JobSummary = {
      id: job.id,
      kind: job.kind,
      projectPath,
      state,
      createdAt: job.createdAt,
      method: job.request.method,
      preset: job.request.preset,
      device: job.request.device,
      attempts: job.attempts,
      ...(onSlurm(job) ? { backend: 'slurm' as const, parts: job.request.parts ?? 3 } : {}),
      ...(job.pid ? { pid: job.pid } : {}),
      ...(message ? { message } : {}),
    };
    if (this.registry.list().some((j) => j.id === job.id)) this.registry.update(summary);
    else this.registry.add(summary);
    return w;
  }

  private async note(w: Watched, message: string): Promise<void> {
    await fs.appendFile(path.join(w.dir, LOG_FILE), `[runner ${new Date().toISOString()}] ${message}\n`);
    this.registry.publish({ type: 'log', jobId: w.id, level: 'info', message });
  }

  /** Starts (or restarts) the engine; the caller holds `w.busy` so no poll sees it half-started. */
  private async launch(w: Watched, why: string): Promise<void> {
    await fs.rm(path.join(w.dir, CANCEL_FILE), { force: true });
    const job: JobFile = { ...w.job, attempts: w.job.attempts + 1 };
    await this.note(w, `${why} (attempt ${job.attempts})`);
    job.pid = this.spawnEngine(w.dir, path.join(w.dir, LOG_FILE));
    w.job = job;
    await writeJsonAtomic(path.join(w.dir, JOB_FILE), job);
    this.registry.update({ id: w.id, pid: job.pid, attempts: job.attempts });
    if (w.state !== 'running') this.setState(w, 'running');
  }

  private setState(w: Watched, state: JobState, message?: string): void {
    w.state = state;
    this.registry.update({ id: w.id, ...(message ? { message } : {}) });
    this.registry.publish({ type: 'state', jobId: w.id, state, ...(message ? { message } : {}) });
  }

  private async pollAll(): Promise<void> {
    for (const w of this.watched.values()) {
      if (w.busy || (TERMINAL.includes(w.state) && w.offset > 0)) continue;
      await whileBusy(w, () =>
        this.poll(w).catch((e: unknown) => console.warn(`job ${w.id}: ${(e as Error).message}`)),
      );
    }
  }

  private async poll(w: Watched): Promise<void> {
    if (!existsSync(w.dir)) return;
    if (onSlurm(w.job)) return this.pollCluster(w, false);
    // Status first, progress second: the engine writes its last progress line before its final
    // status, so every line is published before the state that ends the job.
    const status = await readStatus(w.dir);
    await this.readProgress(w, true);
    if (status && status.state !== w.state && status.state !== 'queued') {
      this.setState(w, status.state, status.message);
      return;
    }
    if (TERMINAL.includes(w.state)) return;
    if (isProcessAlive(w.job.pid)) return;
    // The engine is gone without a final state: a crash, a kill, a reboot.
    const again = await readStatus(w.dir);
    if (again && TERMINAL.includes(again.state)) return; // it finished just now: next poll reports it
    if (existsSync(path.join(w.dir, CANCEL_FILE))) {
      await writeStatus(w.dir, 'cancelled', 'cancelled by the user');
      this.setState(w, 'cancelled', 'cancelled by the user');
    } else if (w.job.attempts >= this.maxAttempts) {
      const message = `the engine process stopped ${w.job.attempts} times; see ${path.join(w.dir, LOG_FILE)}`;
      await writeStatus(w.dir, 'failed', message);
      this.setState(w, 'failed', message);
    } else {
      await this.launch(w, `engine process ${w.job.pid ?? '?'} is gone; resuming from the last checkpoint`);
    }
  }

  /**
   * A Slurm job: its state from the run's status (src/cluster/status.ts). Once the merge job has
   * written predictions they are taken into predictions.json and the job is done, as a local one.
   */
  private async pollCluster(w: Watched, now: boolean): Promise<void> {
    if (TERMINAL.includes(w.state) && w.state !== 'failed') return;
    // A failed job is read again only when asked (its status viewed): a part resubmitted from a
    // shell (onemark resubmit) brings it back; nobody else would, so no squeue every few seconds.
    if (w.state === 'failed' && !now) return;
    if (w.state === 'queued') return; // still being submitted
    if (!now && Date.now() - w.clusterPolledAt < this.clusterPollMs) return;
    w.clusterPolledAt = Date.now();
    let s;
    try {
      s = await clusterRunStatusOf(w.dir);
    } catch {
      return; // no plan yet (a failed submission): nothing to follow
    }
    if (s.predictions) {
      try {
        await adoptClusterPredictions(await readProject(w.projectPath), w.job, w.dir);
      } catch (e) {
        // Unreadable for now (e.g. the project file mid-write): the next poll tries again.
        console.warn(`job ${w.id}: ${(e as Error).message}`);
        return;
      }
      const message = 'merged predictions written';
      await writeStatus(w.dir, 'done', message);
      this.registry.publish({ type: 'progress', jobId: w.id, progress: 1, stage: 'merge' });
      this.setState(w, 'done', message);
      return;
    }
    // A failed job stays failed unless a part was resubmitted (onemark resubmit) and runs again.
    const next = jobStateOf(s);
    if (w.state === 'failed' && next.state !== 'running') return;
    if (next.progress > 0)
      this.registry.publish({ type: 'progress', jobId: w.id, progress: next.progress, stage: 'slurm' });
    const shown = this.registry.list().find((j) => j.id === w.id)?.message;
    if (next.state !== w.state) await writeStatus(w.dir, next.state, next.message);
    if (next.state !== w.state || (next.message && next.message !== shown))
      this.setState(w, next.state, next.message);
  }

  /** Publishes progress lines appended since the last read (`publish` false: only catch up). */
  private async readProgress(w: Watched, publish: boolean): Promise<void> {
    let handle;
    try {
      handle = await fs.open(path.join(w.dir, PROGRESS_FILE), 'r');
    } catch {
      return;
    }
    try {
      const { size } = await handle.stat();
      if (size <= w.offset) return;
      const buf = Buffer.alloc(size - w.offset);
      await handle.read(buf, 0, buf.length, w.offset);
      w.offset = size;
      const text = w.partial + buf.toString('utf8');
      const lines = text.split('\n');
      w.partial = lines.pop() ?? '';
      let last: ProgressLine | null = null;
      for (const raw of lines) {
        let line: ProgressLine;
        try {
          line = JSON.parse(raw) as ProgressLine;
        } catch {
          continue; // a torn line from a kill mid-write
        }
        last = line;
        if (publish) this.publishLine(w, line);
      }
      if (!publish && last) this.registry.update({ id: w.id, progress: last.overall });
    } finally {
      await handle.close();
    }
  }

  private publishLine(w: Watched, line: ProgressLine): void {
    if (line.message) {
      this.registry.publish({
        type: 'log',
        jobId: w.id,
        level: 'info',
        message: `${line.stage}: ${line.message}`,
      });
    }
    this.registry.publish({
      type: 'progress',
      jobId: w.id,
      progress: line.overall,
      step: line.step,
      totalSteps: line.total,
      stage: line.stage,
      ...(line.loss !== undefined ? { loss: line.loss } : {}),
      ...(line.etaSec !== undefined ? { etaSec: line.etaSec } : {}),
      ...(line.landmark !== undefined ? { landmark: line.landmark } : {}),
    });
  }
}

/** Engine log lines: progress JSON becomes "stage step/total loss"; other lines stay as they are. */
export function formatLogLine(raw: string): string {
  if (!raw.startsWith('{')) return raw;
  try {
    const l = JSON.parse(raw) as ProgressLine;
    const loss = l.loss !== undefined ? ` loss ${l.loss.toFixed(4)}` : '';
    return l.message ? `${l.stage}: ${l.message}` : `${l.stage} ${l.step}/${l.total}${loss}`;
  } catch {
    return raw;
  }
}

export { RUNS_DIR };
