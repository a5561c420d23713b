/**
 * The app's view of cluster training (clusterInfo): Slurm's availability as sbatch answers here,
 * and the parts of a project's job when its run was trained in parts.
 */
import * as fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiService } from '../../src/api/service/service';
import type { OneMarkApi } from '../../src/api/contract/types';
import { writeJobs, writePlan, type ClusterPlan } from '../../src/cluster/plan';
import { slurmAvailable } from '../../src/cluster/slurm';

let tmp: string;
let api: OneMarkApi;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'onemark-api-cluster-'));
  api = createApiService({ stateDir: path.join(tmp, 'state') });
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('clusterInfo', () => {
  it('says whether sbatch is here, as sbatch itself answers', async () => {
    const info = await api.clusterInfo();
    expect(info.sbatch).toBe((await slurmAvailable()).sbatch);
    expect(Array.isArray(info.partitions)).toBe(true);
    expect(info.run).toBeUndefined();
  });

  it("lists the parts of a job's run trained in parts, from its files", async () => {
    const project = await api.createProject({ path: path.join(tmp, 'p'), name: 'P' });
    const runDir = path.join(project.path, 'runs', 'job1', 'model');
    const plan: ClusterPlan = {
      version: 1,
      backend: 'local',
      runDir,
      method: 'sla',
      parts: 2,
      trainArgs: [],
      predictImages: 'images',
      threads: 1,
      command: ['node', 'onemark'],
      cwd: tmp,
      stage1Done: path.join(runDir, 'cc2d', 'stage1', 'pseudo-labels.json'),
      devices: ['cpu'],
    };
    writePlan(plan);
    fs.mkdirSync(path.dirname(plan.stage1Done), { recursive: true });
    fs.writeFileSync(plan.stage1Done, '{}');
    fs.mkdirSync(path.join(runDir, 'sla-part-1-of-2'), { recursive: true });
    fs.writeFileSync(path.join(runDir, 'sla-part-1-of-2', 'final.safetensors'), '');
    // Part 2 ran as a process that exited with an error.
    writeJobs(runDir, [{ role: 'part', part: 2, id: '999999', submitted: 'x', exitCode: 1 }]);
    fs.writeFileSync(
      path.join(runDir, 'events.jsonl'),
      JSON.stringify({ stage: 'sla-part-2-of-2', step: 20, total: 50, itPerSec: 1, etaSec: 30 }) + '\n',
    );
    const info = await api.clusterInfo({ projectPath: project.path, jobId: 'job1' });
    expect(info.run?.parts).toBe(2);
    expect(info.run?.jobs.map((j) => [j.name, j.state, j.step ?? null])).toEqual([
      ['stage1', 'done', null],
      ['part 1', 'done', null],
      ['part 2', 'failed', 20],
      ['merge', 'pending', null],
    ]);
    expect((await api.clusterInfo({ projectPath: project.path, jobId: 'nojob' })).run).toBeUndefined();
    await expect(api.clusterInfo({ projectPath: project.path, jobId: '../x' })).rejects.toThrow(/job id/);
  });
});
