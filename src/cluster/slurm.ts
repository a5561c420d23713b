/**
 * The Slurm client commands OneMark uses (sbatch, squeue, sacct, scancel, scontrol), each run as a
 * child process with its output parsed into typed values. Commands are found on PATH; SLURM_CONF
 * from the environment picks the cluster (scripts/slurm-local.sh prints it for the test cluster).
 */
import { execFile } from 'node:child_process';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCommand(cmd: string, args: readonly string[], timeoutMs = 30_000): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(cmd, [...args], { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
      const code = e ? (typeof e.code === 'number' ? e.code : e.code === 'ENOENT' ? 127 : 1) : 0;
      resolve({
        code,
        stdout: String(stdout),
        stderr: e?.code === 'ENOENT' ? `${cmd}: not found on PATH` : String(stderr),
      });
    });
  });
}

/** A problem the user can act on (sbatch's answer, a job in the way, no GPU for --devices). */
export class ClusterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterError';
  }
}

/** Whether sbatch is on PATH, and Slurm's version when it answers. */
export async function slurmAvailable(): Promise<{ sbatch: boolean; version?: string }> {
  const r = await runCommand('sbatch', ['--version'], 10_000);
  if (r.code !== 0) return { sbatch: false };
  return { sbatch: true, version: r.stdout.trim().replace(/^slurm(-wlm)?\s*/, '') };
}

/** Partition names (sinfo), default first; empty when sinfo fails. */
export async function partitions(): Promise<string[]> {
  const r = await runCommand('sinfo', ['-h', '-o', '%P'], 10_000);
  if (r.code !== 0) return [];
  const names = [
    ...new Set(
      r.stdout
        .split('\n')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  return [...names.filter((n) => n.endsWith('*')), ...names.filter((n) => !n.endsWith('*'))].map((n) =>
    n.replace(/\*$/, ''),
  );
}

/** Submits a script; returns the job id (`sbatch --parsable` prints "id" or "id;cluster"). */
export async function sbatch(args: readonly string[], script: string): Promise<string> {
  const r = await runCommand('sbatch', ['--parsable', ...args.filter((a) => a !== '--parsable'), script]);
  const id = r.stdout.trim().split(';')[0];
  if (r.code !== 0 || !/^\d+$/.test(id ?? ''))
    throw new ClusterError(`sbatch ${script}: ${(r.stderr || r.stdout).trim() || `exit code ${r.code}`}`);
  return id!;
}

export async function scancel(ids: readonly string[]): Promise<void> {
  if (!ids.length) return;
  const r = await runCommand('scancel', [...ids]);
  if (r.code !== 0)
    throw new ClusterError(`scancel ${ids.join(' ')}: ${r.stderr.trim() || `exit code ${r.code}`}`);
}

/** One job (or array task) as Slurm reports it. */
export interface SlurmJobState {
  /** "123" for a plain job, "123_4" for task 4 of array 123. */
  id: string;
  arrayJobId?: string;
  arrayTask?: number;
  /** PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, REQUEUED, ... */
  state: string;
  /** Why it is pending (e.g. Dependency, Resources), or None. */
  reason?: string;
  exitCode?: string;
}

/** "1-3,5" (squeue's pending array tasks, "%2" throttle dropped) as [1, 2, 3, 5]. */
export function expandTaskRange(text: string): number[] {
  const out: number[] = [];
  for (const part of text.replace(/%\d+$/, '').split(',')) {
    const m = /^(\d+)(?:-(\d+))?(?::(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const a = Number(m[1]);
    const b = m[2] ? Number(m[2]) : a;
    const step = m[3] ? Number(m[3]) : 1;
    for (let k = a; k <= b; k += step) out.push(k);
  }
  return out;
}

/** One line of `squeue -o '%i|%T|%r'` or `sacct -P -o JobID,State,ExitCode` as one or more states. */
export function parseJobLine(id: string, state: string, reason?: string, exitCode?: string): SlurmJobState[] {
  const st = state.trim().split(/\s+/)[0]!.replace(/\+$/, ''); // sacct: "CANCELLED by 0", "RUNNING+"
  const arr = /^(\d+)_\[(.+)\]$/.exec(id);
  if (arr)
    return expandTaskRange(arr[2]!).map((k) => ({
      id: `${arr[1]}_${k}`,
      arrayJobId: arr[1],
      arrayTask: k,
      state: st,
      reason,
      exitCode,
    }));
  const one = /^(\d+)_(\d+)$/.exec(id);
  if (one) return [{ id, arrayJobId: one[1], arrayTask: Number(one[2]), state: st, reason, exitCode }];
  return [{ id, state: st, reason, exitCode }];
}

/**
 * States of jobs by id (array ids expand to their tasks): squeue first (it also lists jobs that
 * ended within MinJobAge), then sacct for the rest when accounting is on. Jobs neither knows are
 * left out: the caller falls back on the run's own files.
 */
export async function jobStates(ids: readonly string[]): Promise<Map<string, SlurmJobState>> {
  const out = new Map<string, SlurmJobState>();
  if (!ids.length) return out;
  const q = await runCommand('squeue', ['-h', '--states=all', '-o', '%i|%T|%r', '-j', ids.join(',')]);
  if (q.code === 0) {
    for (const line of q.stdout.split('\n')) {
      const [id, state, reason] = line.split('|');
      if (id && state) for (const s of parseJobLine(id.trim(), state, reason?.trim())) out.set(s.id, s);
    }
  }
  const missing = ids.filter((id) => ![...out.values()].some((s) => s.id === id || s.arrayJobId === id));
  if (missing.length) {
    const a = await runCommand('sacct', [
      '-n',
      '-P',
      '-X',
      '-o',
      'JobID,State,ExitCode',
      '-j',
      missing.join(','),
    ]);
    if (a.code === 0) {
      for (const line of a.stdout.split('\n')) {
        const [id, state, exitCode] = line.split('|');
        if (id && state)
          for (const s of parseJobLine(id.trim(), state, undefined, exitCode)) out.set(s.id, s);
      }
    }
  }
  return out;
}
