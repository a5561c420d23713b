/**
 * The API's view of cluster training (src/cluster): whether sbatch is here, and the parts of a
 * job's run. Read-only; submitting and following a Slurm job is src/api/service/cluster-job.ts. The answer is cached briefly because the training panel
 * asks on every visit and sinfo can take a second on a busy login node.
 */
import * as fs from 'node:fs';
import path from 'node:path';
import { ClusterLayout } from '../../cluster/plan';
import { partitions, slurmAvailable } from '../../cluster/slurm';
import { runStatus } from '../../cluster/status';
import { requireSafeFileStem } from '../../data/safeName';
import { clusterJobSummaries } from './cluster-job';
import { MODEL_DIR } from '../disk/job-files';
import { RUNS_DIR } from '../disk/project-file';
import type { ClusterInfo } from '../contract/types';

let cached: { at: number; value: Omit<ClusterInfo, 'run'> } | undefined;
const CACHE_MS = 30_000;

async function availability(): Promise<Omit<ClusterInfo, 'run'>> {
  if (cached && Date.now() - cached.at < CACHE_MS) return cached.value;
  const a = await slurmAvailable();
  const value = {
    sbatch: a.sbatch,
    ...(a.version ? { slurmVersion: a.version } : {}),
    partitions: a.sbatch ? await partitions() : [],
  };
  cached = { at: Date.now(), value };
  return value;
}

/** `projectPath` must already be checked against the path policy (the service does). */
export async function clusterInfoOf(job?: { projectPath: string; jobId: unknown }): Promise<ClusterInfo> {
  const info: ClusterInfo = { ...(await availability()) };
  if (!job) return info;
  const id = requireSafeFileStem(job.jobId, 'clusterInfo(request.jobId)', 'job id');
  const runDir = path.join(job.projectPath, RUNS_DIR, id, MODEL_DIR);
  if (!fs.existsSync(new ClusterLayout(runDir).plan)) return info;
  const s = await runStatus(runDir);
  info.run = {
    backend: s.backend,
    method: s.method,
    parts: s.parts,
    jobs: clusterJobSummaries(s),
  };
  return info;
}
