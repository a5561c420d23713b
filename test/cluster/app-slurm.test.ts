/**
 * The app's "Run on: Slurm", through the service and a real one-node Slurm (scripts/slurm-local.sh):
 * startTraining with backend 'slurm' prepares the job folder (image links, the template's
 * landmarks), submits through the CLI (stage 1 → array of 2 parts → merge), clusterRunStatus shows
 * every part as it changes, and once the merge job has written its predictions the review shows
 * them for every image, as a local run's. Then a second run is cancelled (scancel) from the API.
 *
 * The Slurm part skips, saying why, only when the daemons cannot start here. The request checks
 * run without Slurm.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobStateOf } from '../../src/api/service/cluster-job';
import { JobRunner } from '../../src/api/service/job-runner';
import { JobRegistry } from '../../src/api/service/jobs';
import { createApiService } from '../../src/api/service/service';
import type { ClusterRunStatus, OneMarkApi, TrainingRequest } from '../../src/api/contract/types';
import type { RunStatus } from '../../src/cluster/status';
import { REPO, writeSyntheticFolder, type SyntheticFolder } from '../cli/helpers';

let tmp: string;
let data: SyntheticFolder;
let api: OneMarkApi;
let runner: JobRunner;
let project: string;
const jobs = new JobRegistry();
const cluster = { ok: false, reason: '', startedHere: false };
const savedThreads = process.env.ONEMARK_THREADS;

function sh(cmd: string, args: string[], timeoutMs = 600_000): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: REPO, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

function request(extra: Partial<TrainingRequest> = {}): TrainingRequest {
  return {
    projectPath: project,
    method: 'sla',
    preset: 'tiny',
    device: 'cpu',
    seed: 3,
    // Tiny on purpose: two shared cores run stage 1, two parts and the merge.
    stage1Iterations: 20,
    stage2Iterations: 40,
    backend: 'slurm',
    parts: 2,
    time: '10:00',
    ...extra,
  };
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'onemark-app-slurm-'));
  data = await writeSyntheticFolder(path.join(tmp, 'scans'), { n: 5, size: 64, seed: 2, maxShift: 0.15 });
  // One thread per job (--threads 1, Slurm --cpus-per-task=1): the test cluster has 3 CPUs.
  process.env.ONEMARK_THREADS = '1';
  runner = new JobRunner({ registry: jobs, pollMs: 100, clusterPollMs: 300 });
  api = createApiService({ stateDir: path.join(tmp, 'state'), jobs, runner });
  project = path.join(tmp, 'project');
  await api.createProject({ path: project, name: 'synthetic', landmarkSet: data.landmarkSet });
  await api.importImages(project, { paths: [data.images], mode: 'reference' });
  await api.setTemplate(project, 's000');
  await api.saveAnnotations(project, {
    landmarkSet: data.landmarkSet,
    images: [{ imageId: 's000', landmarks: data.set.landmarks[0].map((point, j) => ({ id: j + 1, point })) }],
  });

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
    console.warn(`app slurm tests: ${cluster.reason}`);
  }
}, 600_000);

afterAll(async () => {
  runner?.dispose();
  if (cluster.ok) {
    for (const j of jobs.list())
      if (j.state === 'running') await api.cancelClusterRun(project, j.id).catch(() => {});
    if (cluster.startedHere) await sh('bash', ['scripts/slurm-local.sh', 'stop']);
  }
  if (savedThreads === undefined) delete process.env.ONEMARK_THREADS;
  else process.env.ONEMARK_THREADS = savedThreads;
  if (tmp) await rm(tmp, { recursive: true, force: true });
}, 120_000);

describe('startTraining with backend slurm: the request', () => {
  it('refuses what Slurm parts cannot do, naming the field', async () => {
    await expect(api.startTraining(request({ method: 'cc2d' }))).rejects.toThrow(/sla and atd/);
    await expect(api.startTraining(request({ parts: 0 }))).rejects.toThrow(/parts must be/);
    await expect(api.startTraining(request({ partition: 'gpu; rm -rf /' }))).rejects.toThrow(/partition/);
    await expect(api.startTraining(request({ time: 'soon' }))).rejects.toThrow(/time/);
    await expect(api.startTraining(request({ gpusPerTask: 1 }))).rejects.toThrow(/device 'cuda'/);
    await expect(
      api.startTraining({ ...request(), backend: 'local', parts: 2 } as TrainingRequest),
    ).rejects.toThrow(/backend 'slurm' only/);
    expect(jobs.list()).toEqual([]);
  });
});

describe('startTraining with backend slurm: without a cluster', () => {
  it("a refused submission fails the job with the CLI's words, after writing the inputs", async () => {
    const reg = new JobRegistry();
    // Stands in for `onemark train … --slurm` when sbatch refuses: its stderr and exit code.
    const fake = new JobRunner({
      registry: reg,
      onemarkCli: {
        command: process.execPath,
        args: [
          '-e',
          "process.stderr.write('onemark: sbatch x.sbatch: invalid partition specified: nope\\n'); process.exit(2)",
        ],
      },
    });
    try {
      const other = createApiService({ stateDir: path.join(tmp, 'state-fake'), jobs: reg, runner: fake });
      await expect(other.startTraining(request({ partition: 'nope' }))).rejects.toThrow(
        /Slurm submission failed: onemark: sbatch x.sbatch: invalid partition specified: nope/,
      );
      const [job] = reg.list(project);
      expect(job).toMatchObject({ state: 'failed', backend: 'slurm', parts: 2 });
      const dir = path.join(project, 'runs', job!.id);
      expect(fs.readdirSync(path.join(dir, 'inputs', 'images')).sort()).toEqual(
        data.set.ids.map((id) => `${id}.png`).sort(),
      );
      const template = JSON.parse(fs.readFileSync(path.join(dir, 'inputs', 'template.json'), 'utf8'));
      expect(template.images.map((a: { imageId: string }) => a.imageId)).toEqual(['s000']);
      expect(fs.readFileSync(path.join(dir, 'engine.log'), 'utf8')).toMatch(
        /--parts 2 --slurm --partition nope/,
      );
      await expect(other.clusterRunStatus(project, job!.id)).rejects.toThrow(/not trained in parts/);
      // Out of the way of the runs below (loadReview reads the newest finished job only).
      fs.rmSync(dir, { recursive: true });
    } finally {
      fake.dispose();
    }
  });

  it("maps the parts' states to the job's state and progress", () => {
    const st = (states: string[], steps: (number | undefined)[] = []): RunStatus => ({
      runDir: '/r',
      backend: 'slurm',
      method: 'sla',
      parts: 2,
      jobs: ['stage1', 'part 1', 'part 2', 'merge'].map((name, i) => ({
        name,
        ...(i === 1 || i === 2 ? { part: i } : {}),
        job: String(10 + i),
        state: states[i] as RunStatus['jobs'][number]['state'],
        ...(steps[i] !== undefined ? { step: steps[i], total: 40 } : {}),
      })),
    });
    expect(jobStateOf(st(['running', 'pending', 'pending', 'pending'], [20]))).toMatchObject({
      state: 'running',
      message: 'on Slurm: stage1 running',
      progress: 0.1,
    });
    expect(jobStateOf(st(['done', 'done', 'running', 'pending'], [20, 40, 20])).progress).toBeCloseTo(
      0.2 + 0.75 * 0.75,
    );
    expect(jobStateOf(st(['failed', 'cancelled', 'cancelled', 'cancelled'])).state).toBe('failed');
    expect(jobStateOf(st(['done', 'cancelled', 'done', 'pending'])).state).toBe('running');
    expect(jobStateOf(st(['done', 'cancelled', 'done', 'cancelled']))).toMatchObject({
      state: 'cancelled',
      message: 'part 1 (Slurm job 11) was cancelled',
    });
  });
});

describe('"Run on: Slurm" through the service, on a one-node Slurm', () => {
  it('submits stage 1 → 2 parts → merge, shows every part as it changes, and the review gets the predictions', async (ctx) => {
    if (!cluster.ok) {
      console.warn(`skipped: ${cluster.reason}`);
      ctx.skip();
    }
    const job = await api.startTraining(request());
    expect(job.backend).toBe('slurm');
    expect(job.parts).toBe(2);
    expect(job.state).toBe('running');
    expect(job.message).toMatch(
      /submitted to Slurm: stage 1 job \d+, parts array \d+ \(tasks 1-2\), merge job \d+/,
    );
    const dir = path.join(project, 'runs', job.id);
    // What the CLI in the jobs reads: links named by image id, and the template's landmarks.
    expect(fs.readdirSync(path.join(dir, 'inputs', 'images')).sort()).toEqual(
      data.set.ids.map((id) => `${id}.png`).sort(),
    );
    expect(fs.existsSync(path.join(dir, 'inputs', 'template.json'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'model', 'config.json'))).toBe(true);

    const seen = new Map<string, string[]>();
    let last: ClusterRunStatus | undefined;
    const deadline = Date.now() + 420_000;
    while (Date.now() < deadline) {
      last = await api.clusterRunStatus(project, job.id);
      for (const j of last.jobs) {
        const list = seen.get(j.name) ?? [];
        if (list[list.length - 1] !== j.state) list.push(j.state);
        seen.set(j.name, list);
      }
      if (last.state !== 'running') break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const log = fs.readFileSync(path.join(dir, 'engine.log'), 'utf8');
    const logs = path.join(dir, 'model', 'cluster', 'logs');
    const jobLogs = fs.existsSync(logs)
      ? fs
          .readdirSync(logs)
          .map((f) => `--- ${f}\n${fs.readFileSync(path.join(logs, f), 'utf8').slice(-1500)}`)
      : [];
    console.log(`app slurm: states seen ${JSON.stringify(Object.fromEntries(seen))}`);
    expect(last?.state, `${last?.message}\n${log}\n${jobLogs.join('\n')}`).toBe('done');
    expect(last!.predictions).toBe(true);
    expect(last!.jobIds.stage1).toMatch(/^\d+$/);
    expect(last!.jobIds.parts).toMatch(/^\d+$/);
    expect(last!.jobIds.merge).toMatch(/^\d+$/);
    expect(last!.jobs.map((j) => [j.name, j.state])).toEqual([
      ['stage1', 'done'],
      ['part 1', 'done'],
      ['part 2', 'done'],
      ['merge', 'done'],
    ]);
    expect(last!.jobs[1]).toMatchObject({ job: `${last!.jobIds.parts}_1`, step: 40, total: 40 });
    // Each part waited on stage 1 (afterok) before it ran.
    for (const name of ['part 1', 'part 2']) expect(seen.get(name)![0]).toMatch(/pending|running|done/);
    expect(seen.get('merge')).toContain('pending');
    expect(jobs.list().find((j) => j.id === job.id)?.state).toBe('done');

    const review = await api.loadReview(project);
    expect(review.runId).toBe(job.id);
    expect(review.predictions.images.map((a) => a.imageId).sort()).toEqual([...data.set.ids].sort());
    for (const a of review.predictions.images) {
      expect(a.landmarks.map((v) => v.id)).toEqual(data.landmarkSet.landmarks.map((l) => l.id));
      expect(a.landmarks.every((v) => v.point && v.source === 'prediction')).toBe(true);
    }
    expect(review.predictions.meta).toMatchObject({ job: job.id, method: 'sla', backend: 'slurm', parts: 2 });
  }, 600_000);

  it('cancelClusterRun scancels the jobs still pending or running; the job ends cancelled', async (ctx) => {
    if (!cluster.ok) {
      console.warn(`skipped: ${cluster.reason}`);
      ctx.skip();
    }
    const job = await api.startTraining(request({ stage1Iterations: 5000 }));
    const s = await api.clusterRunStatus(project, job.id);
    expect(s.jobs.map((j) => j.state)).toEqual(
      expect.arrayContaining([expect.stringMatching(/pending|running/)]),
    );
    await api.cancelClusterRun(project, job.id);
    expect(jobs.list().find((j) => j.id === job.id)?.state).toBe('cancelled');
    let after: ClusterRunStatus | undefined;
    for (let k = 0; k < 40; k++) {
      after = await api.clusterRunStatus(project, job.id);
      if (after.jobs.every((j) => j.state === 'cancelled')) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(after!.state).toBe('cancelled');
    expect(after!.jobs.map((j) => j.state)).toEqual(['cancelled', 'cancelled', 'cancelled', 'cancelled']);
    // The review still shows the finished run, not the cancelled one.
    expect((await api.loadReview(project)).runId).not.toBe(job.id);
  }, 180_000);
});
