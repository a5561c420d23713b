/**
 * A parted run on this machine: stage 1, then the parts in parallel, one process per part on each
 * device slot (`--devices 0,1`: part k waits for a free GPU; CUDA_VISIBLE_DEVICES gives each process
 * its own), then the same merge as on Slurm. The jobs are the very commands the Slurm scripts run,
 * recorded in RUN/cluster/jobs.json so `onemark status` and `cancel` work the same way.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ClusterLayout, writeJobs, writePlan, type ClusterPlan, type JobRecord, type JobRole } from './plan';

export interface LocalRunResult {
  ok: boolean;
  /** Parts that failed (1-based) and the stage that stopped the run, if any. */
  failed: string[];
  stopped: boolean;
}

interface Job {
  role: JobRole;
  part?: number;
  args: string[];
  log: string;
  /** Exists once the job's work is finished (exit 0 without it: stopped with a checkpoint). */
  done: string;
}

/** CUDA_VISIBLE_DEVICES for a slot: a GPU index, none for "cpu", unchanged for "all". */
function envFor(device: string): NodeJS.ProcessEnv {
  if (device === 'all') return process.env;
  return { ...process.env, CUDA_VISIBLE_DEVICES: device === 'cpu' ? '' : device };
}

export async function runLocal(
  plan: ClusterPlan,
  o: { signal?: AbortSignal; log?: (line: string) => void } = {},
): Promise<LocalRunResult> {
  const l = new ClusterLayout(plan.runDir);
  const say = o.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  fs.mkdirSync(l.logs, { recursive: true });
  writePlan({ ...plan, launcherPid: process.pid });
  const records: JobRecord[] = [];
  const save = () => writeJobs(plan.runDir, records);
  const live = new Set<number>();
  const onAbort = () => {
    for (const pid of live) {
      try {
        process.kill(pid, 'SIGTERM'); // each part checkpoints and stops
      } catch {
        // already gone
      }
    }
  };
  o.signal?.addEventListener('abort', onAbort);

  const start = (job: Job, device: string): Promise<number | null> =>
    new Promise((resolve) => {
      const out = fs.openSync(job.log, 'a');
      const child = spawn(plan.command[0]!, [...plan.command.slice(1), ...job.args], {
        cwd: plan.cwd,
        env: envFor(device),
        stdio: ['ignore', out, out],
      });
      fs.closeSync(out);
      const rec: JobRecord = {
        role: job.role,
        id: String(child.pid ?? 0),
        ...(job.part !== undefined ? { part: job.part } : {}),
        submitted: new Date().toISOString(),
        device,
      };
      records.push(rec);
      save();
      if (child.pid) live.add(child.pid);
      say(
        `${job.role}${job.part ? ` ${job.part}` : ''}: started${device === 'all' ? '' : ` on ${device}`} (pid ${child.pid}, log ${path.relative(plan.cwd, job.log) || job.log})`,
      );
      const done = (code: number | null) => {
        if (child.pid) live.delete(child.pid);
        rec.exitCode = code;
        save();
        say(
          `${job.role}${job.part ? ` ${job.part}` : ''}: ${code !== 0 ? `exited with ${code}` : fs.existsSync(job.done) ? 'finished' : 'stopped (checkpoint written)'}`,
        );
        resolve(code);
      };
      child.on('error', () => done(127));
      child.on('exit', (code, sig) => done(code ?? (sig ? 128 : null)));
    });

  const devices = plan.devices?.length ? plan.devices : ['all'];
  const train = (extra: string[]) => ['train', ...plan.trainArgs, '--out', plan.runDir, ...extra];
  try {
    const s1 = await start(
      {
        role: 'stage1',
        args: train(['--parts', String(plan.parts), '--stage1-only', '--resume']),
        log: path.join(l.logs, 'stage1.out'),
        done: plan.stage1Done,
      },
      devices[0]!,
    );
    if (s1 !== 0 || !fs.existsSync(plan.stage1Done))
      return { ok: false, failed: ['stage1'], stopped: !!o.signal?.aborted };
    const queue = Array.from({ length: plan.parts }, (_, i) => i + 1).filter(
      (k) => !fs.existsSync(l.partFinal(plan.method, k, plan.parts)),
    );
    const failed: string[] = [];
    // One worker per device slot, each taking the next part when its previous one ends.
    await Promise.all(
      devices.map(async (device) => {
        for (let k = queue.shift(); k !== undefined && !o.signal?.aborted; k = queue.shift()) {
          const code = await start(
            {
              role: 'part',
              part: k,
              args: train(['--part', `${k}/${plan.parts}`, '--resume']),
              log: path.join(l.logs, `part-${k}.out`),
              done: l.partFinal(plan.method, k, plan.parts),
            },
            device,
          );
          if (code !== 0 || !fs.existsSync(l.partFinal(plan.method, k, plan.parts))) failed.push(`part ${k}`);
        }
      }),
    );
    if (failed.length || o.signal?.aborted) return { ok: false, failed, stopped: !!o.signal?.aborted };
    const m = await start(
      {
        role: 'merge',
        args: [
          'predict',
          '--run',
          plan.runDir,
          '--images',
          plan.predictImages,
          '--out',
          l.predictions,
          '--threads',
          String(plan.threads),
          '--quiet',
        ],
        log: path.join(l.logs, 'merge.out'),
        done: l.predictions,
      },
      devices[0]!,
    );
    return { ok: m === 0, failed: m === 0 ? [] : ['merge'], stopped: false };
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
}
