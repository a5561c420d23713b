/**
 * A tiny sla run in 3 parts, for real: on a one-node Slurm cluster (Debian's slurmctld + slurmd +
 * munge, started by scripts/slurm-local.sh) and as local processes (--devices), each compared with
 * the same parts trained one after another in this process (same seed, one thread each).
 *
 * On Slurm, part 1 gets the time-limit signal mid-way (USR1, what --signal=B:USR1@lead sends) and
 * must checkpoint, requeue itself and resume; part 2 is cancelled mid-way (scancel) and resubmitted
 * with `onemark resubmit`, and must resume from its checkpoint. The merged predictions must still
 * equal the reference, and `onemark status` must have shown the states as they changed.
 *
 * The Slurm test skips, saying why, only when the daemons cannot start here.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLandmarks } from '../../src/data/formats';
import type { RunStatus } from '../../src/cluster/status';
import {
  REPO,
  runInProcess,
  tempDir,
  tinyTrainArgs,
  writeSyntheticFolder,
  type SyntheticFolder,
} from '../cli/helpers';

const ITERATIONS = ['--stage1-iterations', '40', '--stage2-iterations', '300'];

let tmp: { dir: string; cleanup: () => Promise<void> };
let data: SyntheticFolder;
let reference: string;
const cluster = { ok: false, reason: '', startedHere: false };

function sh(cmd: string, args: string[], timeoutMs = 600_000): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: REPO, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

function trainArgs(): string[] {
  return ['--method', 'sla', ...tinyTrainArgs(data), ...ITERATIONS];
}

/** (image, landmark) → point, from a predictions file. */
async function points(file: string): Promise<Map<string, { x: number; y: number }>> {
  const set = await readLandmarks(file);
  const m = new Map<string, { x: number; y: number }>();
  for (const im of set.images)
    for (const l of im.landmarks) if (l.point) m.set(`${im.imageId}/${l.id}`, l.point);
  return m;
}

async function maxDifference(a: string, b: string): Promise<number> {
  const pa = await points(a);
  const pb = await points(b);
  expect([...pb.keys()].sort()).toEqual([...pa.keys()].sort());
  let max = 0;
  for (const [k, p] of pa) max = Math.max(max, Math.hypot(p.x - pb.get(k)!.x, p.y - pb.get(k)!.y));
  return max;
}

beforeAll(async () => {
  tmp = await tempDir('onemark-cluster-run-');
  data = await writeSyntheticFolder(tmp.dir, { n: 8, size: 64, seed: 2, maxShift: 0.15 });

  const before = await sh('bash', ['scripts/slurm-local.sh', 'status']);
  const running = /slurmctld: running/.test(before.out) && /slurmd: running/.test(before.out);
  const start = await sh('bash', ['scripts/slurm-local.sh', 'start']);
  const conf = /export SLURM_CONF=(\S+)/.exec(start.out)?.[1];
  if (start.code === 0 && conf) {
    process.env.SLURM_CONF = conf;
    cluster.ok = true;
    cluster.startedHere = !running;
  } else {
    cluster.reason = `the one-node Slurm cluster did not start (bash scripts/slurm-local.sh start, exit ${start.code}): ${start.out.trim().split('\n').slice(-3).join(' | ')}`;
    console.warn(`cluster tests: ${cluster.reason}`);
  }

  // The reference: the same three parts, one after another in this process.
  const ref = path.join(tmp.dir, 'ref');
  for (const k of [1, 2, 3]) {
    const r = await runInProcess(['train', ...trainArgs(), '--out', ref, '--part', `${k}/3`, '--quiet']);
    expect(r.code, r.err).toBe(0);
  }
  reference = path.join(tmp.dir, 'ref.csv');
  const p = await runInProcess([
    'predict',
    '--run',
    ref,
    '--images',
    data.images,
    '--out',
    reference,
    '--threads',
    '1',
    '--quiet',
  ]);
  expect(p.code, p.err).toBe(0);
}, 900_000);

afterAll(async () => {
  if (cluster.ok) {
    const run = path.join(tmp.dir, 'slurm');
    if (fs.existsSync(run)) await runInProcess(['cancel', run]);
    if (cluster.startedHere) await sh('bash', ['scripts/slurm-local.sh', 'stop']);
  }
  await tmp?.cleanup();
}, 120_000);

describe('a parted run', () => {
  it('--parts 3 --devices cpu,cpu: parts in parallel processes here, merged as in one process', async () => {
    const run = path.join(tmp.dir, 'local');
    const r = await runInProcess([
      'train',
      ...trainArgs(),
      '--out',
      run,
      '--parts',
      '3',
      '--devices',
      'cpu,cpu',
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/part 3: started on cpu/);
    const diff = await maxDifference(reference, path.join(run, 'predictions.csv'));
    console.log(`cluster local: max difference to the one-process run ${diff.toExponential(2)} px`);
    expect(diff).toBeLessThan(0.01);
    const st = await runInProcess(['status', run, '--json']);
    const s = JSON.parse(st.out) as RunStatus;
    expect(s.backend).toBe('local');
    expect(s.jobs.map((j) => j.state)).toEqual(['done', 'done', 'done', 'done', 'done']);
  }, 300_000);

  it('on Slurm: stage 1 → array → merge; a signalled part requeues, a cancelled part is resubmitted; same predictions', async (ctx) => {
    if (!cluster.ok) {
      console.warn(`skipped: ${cluster.reason}`);
      ctx.skip();
    }
    const run = path.join(tmp.dir, 'slurm');
    const sub = await runInProcess([
      'train',
      ...trainArgs(),
      '--out',
      run,
      '--parts',
      '3',
      '--slurm',
      '--time',
      '10:00',
    ]);
    expect(sub.code, sub.err).toBe(0);
    expect(sub.out).toMatch(
      /submitted sla in 3 parts to Slurm: stage 1 job \d+, parts array \d+ \(tasks 1-3\), merge job \d+/,
    );
    const jobs = JSON.parse(fs.readFileSync(path.join(run, 'cluster', 'jobs.json'), 'utf8')) as {
      jobs: { role: string; dependency?: string; id: string }[];
    };
    const [s1, arr, merge] = jobs.jobs;
    expect(arr!.dependency).toBe(`afterok:${s1!.id}`);
    expect(merge!.dependency).toBe(`afterok:${arr!.id}`);

    const seen = new Map<string, string[]>();
    let signalled = false;
    let cancelled = false;
    let resubmitted = false;
    const deadline = Date.now() + 360_000;
    let last: RunStatus | undefined;
    while (Date.now() < deadline) {
      const st = await runInProcess(['status', run, '--json']);
      expect(st.code, st.err).toBe(0);
      const s = JSON.parse(st.out) as RunStatus;
      last = s;
      for (const j of s.jobs) {
        const list = seen.get(j.name) ?? [];
        if (list[list.length - 1] !== j.state) list.push(j.state);
        seen.set(j.name, list);
      }
      const p1 = s.jobs[1]!;
      const p2 = s.jobs[2]!;
      if (!signalled && p1.state === 'running' && (p1.step ?? 0) >= 30) {
        // What Slurm sends before the time limit (--signal=B:USR1@lead), now.
        expect((await sh('scancel', ['-s', 'USR1', '-b', p1.job!])).code).toBe(0);
        signalled = true;
      }
      if (!cancelled && p2.state === 'running' && (p2.step ?? 0) >= 30) {
        expect((await sh('scancel', [p2.job!])).code).toBe(0);
        cancelled = true;
      }
      const log2 = path.join(run, 'cluster', 'logs', 'part-2.out');
      if (
        cancelled &&
        !resubmitted &&
        p2.state === 'cancelled' &&
        /train: stopped/.test(fs.readFileSync(log2, 'utf8'))
      ) {
        const r = await runInProcess(['resubmit', run, '--part', '2']);
        expect(r.code, r.err).toBe(0);
        expect(r.out).toMatch(/^resubmit: part 2 \d+_2, merge \d+/);
        resubmitted = true;
      }
      if (s.predictions) break;
      if (s.jobs.some((j) => j.state === 'failed')) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const text = await runInProcess(['status', run]);
    console.log(`cluster slurm: states seen ${JSON.stringify(Object.fromEntries(seen))}\n${text.out}`);
    expect(last?.predictions, text.out).toBeDefined();
    expect(signalled && cancelled && resubmitted).toBe(true);
    expect(seen.get('part 3')).toEqual(expect.arrayContaining(['pending', 'running', 'done']));
    expect(seen.get('part 2')).toEqual(expect.arrayContaining(['running', 'cancelled', 'done']));
    expect(seen.get('merge')).toEqual(expect.arrayContaining(['pending', 'done']));

    // Part 1 requeued itself and resumed; part 2 resumed after its resubmission.
    const log1 = fs.readFileSync(path.join(run, 'cluster', 'logs', 'part-1.out'), 'utf8');
    const log2 = fs.readFileSync(path.join(run, 'cluster', 'logs', 'part-2.out'), 'utf8');
    expect(log1).toMatch(/requeueing/);
    const r1 = Number(/sla-part-1-of-3 landmark 1 \(L1\): resumed at step (\d+)/.exec(log1)?.[1]);
    const r2 = Number(/sla-part-2-of-3 landmark 2 \(L2\): resumed at step (\d+)/.exec(log2)?.[1]);
    console.log(`cluster slurm: part 1 resumed at step ${r1}, part 2 at step ${r2}`);
    expect(r1).toBeGreaterThanOrEqual(30);
    expect(r2).toBeGreaterThanOrEqual(30);
    expect(text.out).toMatch(/part 2 .*done\s+300\/300\s+resumed at step \d+/);

    const diff = await maxDifference(reference, path.join(run, 'predictions.csv'));
    console.log(`cluster slurm: max difference to the one-process run ${diff.toExponential(2)} px`);
    expect(diff).toBeLessThan(0.01);
  }, 420_000);
});
