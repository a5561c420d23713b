/**
 * The sbatch scripts of a parted run: stage 1, the array of parts, the merge. Pure text from the
 * plan, so `--dry-run` and the tests see exactly what would be submitted. Dependencies are not in
 * the scripts (job ids exist only once submitted): they go on the sbatch command line, see
 * sbatchCommands.
 */
import { ClusterLayout, type ClusterPlan } from './plan';

/** Single-quotes a word for bash when it needs it. */
export function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

function words(ws: readonly string[]): string {
  return ws.map(shellQuote).join(' ');
}

export interface JobScripts {
  stage1: string;
  parts: string;
  merge: string;
}

/** Shared #SBATCH lines: partition, time, CPUs, GPUs and the user's extra options. */
function header(plan: ClusterPlan, name: string, log: string, gpus: boolean): string[] {
  const s = plan.slurm;
  const runName = plan.runDir.split('/').filter(Boolean).pop() ?? 'run';
  const lines = [
    '#!/bin/bash',
    `#SBATCH --job-name=${shellQuote(`onemark-${runName}-${name}`)}`,
    `#SBATCH --output=${shellQuote(log)}`,
    '#SBATCH --open-mode=append',
    '#SBATCH --ntasks=1',
    `#SBATCH --cpus-per-task=${plan.threads}`,
  ];
  if (s?.partition) lines.push(`#SBATCH --partition=${shellQuote(s.partition)}`);
  if (s?.time) lines.push(`#SBATCH --time=${shellQuote(s.time)}`);
  if (gpus && s?.gpusPerTask) lines.push(`#SBATCH --gpus-per-task=${s.gpusPerTask}`);
  for (const a of s?.sbatchArgs ?? []) lines.push(`#SBATCH ${a}`);
  return lines;
}

/**
 * Runs a resumable onemark command so that a signal makes it checkpoint and stop: USR1 (sent by
 * Slurm --signal before the time limit) stops it and requeues the job, which resumes from the
 * checkpoint; TERM (scancel, preemption) stops it without a requeue, since a cancel must stay
 * cancelled and Slurm requeues a preempted job itself. `done` is the file that exists once the job's
 * work is finished.
 */
function resumableBody(command: readonly string[], done: string): string[] {
  return [
    'requeue=0',
    `${words(command)} &`,
    'child=$!',
    `trap 'requeue=1; kill -TERM "$child" 2>/dev/null' USR1`,
    `trap 'kill -TERM "$child" 2>/dev/null' TERM`,
    // wait returns early (status > 128) when a trapped signal arrives; wait again for the checkpoint.
    'while :; do',
    '  wait "$child"; rc=$?',
    '  kill -0 "$child" 2>/dev/null || break',
    'done',
    `if [ "$requeue" = 1 ] && [ ! -e ${done} ]; then`,
    '  echo "onemark: stopped before the time limit with a checkpoint; requeueing $SLURM_JOB_ID"',
    '  scontrol requeue "$SLURM_JOB_ID"',
    'fi',
    'exit "$rc"',
  ];
}

export function jobScripts(plan: ClusterPlan): JobScripts {
  const l = new ClusterLayout(plan.runDir);
  const n = plan.parts;
  const onemark = plan.command;
  const run = plan.runDir;
  const gpu = (plan.slurm?.gpusPerTask ?? 0) > 0;
  const lead = plan.slurm?.signalLeadSec ?? 120;
  const cd = [`cd ${shellQuote(plan.cwd)}`];

  const stage1 = [
    ...header(plan, 'stage1', `${l.logs}/stage1-%j.out`, gpu),
    '#SBATCH --requeue',
    `#SBATCH --signal=B:USR1@${lead}`,
    '# Stage 1: the shared CC2D stage 1 and its pseudo-labels (RUN/cc2d), which every part reads.',
    'set -u',
    ...cd,
    ...resumableBody(
      [
        ...onemark,
        'train',
        ...plan.trainArgs,
        '--out',
        run,
        '--parts',
        String(n),
        '--stage1-only',
        '--resume',
      ],
      shellQuote(plan.stage1Done),
    ),
  ];

  const partFinal = `${shellQuote(run)}/${plan.method}-part-"$K"-of-${n}/final.safetensors`;
  const parts = [
    ...header(plan, 'part', `${l.logs}/part-%a.out`, gpu),
    `#SBATCH --array=1-${n}`,
    '#SBATCH --requeue',
    `#SBATCH --signal=B:USR1@${lead}`,
    `# Part K of ${n} (K = the array index): landmarks j with j mod ${n} = K-1. --resume: a requeued`,
    '# or resubmitted part continues from its newest checkpoint.',
    'set -u',
    ...cd,
    'K="$SLURM_ARRAY_TASK_ID"',
    ...resumableBody(
      [...onemark, 'train', ...plan.trainArgs, '--out', run, '--part', `__K__/${n}`, '--resume'],
      partFinal,
    ).map((line) => line.replace('__K__', '"$K"')),
  ];

  const merge = [
    ...header(plan, 'merge', `${l.logs}/merge-%j.out`, gpu),
    '# Merge: predict reads every part (it refuses while one has not finished) and writes the',
    '# landmarks of the training images.',
    'set -eu',
    ...cd,
    `exec ${words([...onemark, 'predict', '--run', run, '--images', plan.predictImages, '--out', l.predictions, '--threads', String(plan.threads), '--quiet'])}`,
  ];
  return { stage1: stage1.join('\n') + '\n', parts: parts.join('\n') + '\n', merge: merge.join('\n') + '\n' };
}

export interface SbatchCall {
  role: 'stage1' | 'parts' | 'merge';
  /** sbatch options; `{stage1}` and `{parts}` stand for the job ids of earlier calls. */
  args: string[];
  script: string;
}

/** The three submissions, in order, with their dependencies. */
export function sbatchCommands(plan: ClusterPlan): SbatchCall[] {
  const l = new ClusterLayout(plan.runDir);
  return [
    { role: 'stage1', args: ['--parsable'], script: l.script('stage1') },
    // A failed dependency cancels the jobs waiting on it instead of leaving them pending forever.
    {
      role: 'parts',
      args: ['--parsable', '--dependency=afterok:{stage1}', '--kill-on-invalid-dep=yes'],
      script: l.script('parts'),
    },
    {
      role: 'merge',
      args: ['--parsable', '--dependency=afterok:{parts}', '--kill-on-invalid-dep=yes'],
      script: l.script('merge'),
    },
  ];
}

/** What --dry-run prints: the sbatch command lines, then each script. */
export function dryRunText(plan: ClusterPlan): string {
  const s = jobScripts(plan);
  const calls = sbatchCommands(plan);
  const out = [
    `# onemark: ${plan.parts} part(s) of ${plan.method} in ${plan.runDir}; nothing submitted (--dry-run)`,
    ...calls.map((c) => `sbatch ${words(c.args)} ${shellQuote(c.script)}`),
  ];
  for (const c of calls) out.push('', `# ---- ${c.script}`, s[c.role].trimEnd());
  return out.join('\n') + '\n';
}
