/**
 * What `onemark train --parts N --slurm` would submit, without Slurm: the dry run's sbatch lines
 * and scripts (dependencies, array, requeue, signal, the user's options), the flag checks, and the
 * parsers status relies on (squeue/sacct lines, events, the filesystem check).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signalLead, slurmTimeSeconds } from '../../src/cluster/launch';
import { ClusterLayout, type ClusterPlan } from '../../src/cluster/plan';
import { jobScripts } from '../../src/cluster/scripts';
import { filesystemOf, sharedFsWarning } from '../../src/cluster/sharedfs';
import { expandTaskRange, parseJobLine } from '../../src/cluster/slurm';
import { readProgress, stateOf } from '../../src/cluster/status';
import {
  runInProcess,
  tempDir,
  tinyTrainArgs,
  writeSyntheticFolder,
  type SyntheticFolder,
} from '../cli/helpers';

let tmp: { dir: string; cleanup: () => Promise<void> };
let data: SyntheticFolder;

beforeAll(async () => {
  tmp = await tempDir('onemark-cluster-dry-');
  data = await writeSyntheticFolder(tmp.dir, { n: 4, size: 64, seed: 2 });
});
afterAll(() => tmp?.cleanup());

describe('onemark train --parts 3 --slurm --dry-run', () => {
  it('prints stage 1 → array (afterok stage 1) → merge (afterok array) with the given options, and writes nothing', async () => {
    const run = path.join(tmp.dir, 'run');
    const r = await runInProcess([
      'train',
      '--method',
      'sla',
      ...tinyTrainArgs(data),
      '--out',
      run,
      '--parts',
      '3',
      '--slurm',
      '--partition',
      'gpu',
      '--gpus-per-task',
      '1',
      '--time',
      '2:00:00',
      '--sbatch-arg=--account=lab',
      '--sbatch-arg=--qos=short',
      '--dry-run',
    ]);
    expect(r.code, r.err).toBe(0);
    const l = new ClusterLayout(run);
    const lines = r.out.split('\n');
    expect(lines.filter((s) => s.startsWith('sbatch '))).toEqual([
      `sbatch --parsable ${l.script('stage1')}`,
      `sbatch --parsable '--dependency=afterok:{stage1}' --kill-on-invalid-dep=yes ${l.script('parts')}`,
      `sbatch --parsable '--dependency=afterok:{parts}' --kill-on-invalid-dep=yes ${l.script('merge')}`,
    ]);
    const script = (name: string) => {
      const start = r.out.indexOf(`# ---- ${l.script(name)}`);
      const end = r.out.indexOf('# ---- ', start + 1);
      return r.out.slice(start, end < 0 ? undefined : end);
    };
    for (const name of ['stage1', 'parts', 'merge']) {
      const s = script(name);
      for (const o of [
        '--partition=gpu',
        '--gpus-per-task=1',
        '--time=2:00:00',
        '--account=lab',
        '--qos=short',
        '--cpus-per-task=1',
      ])
        expect(s, `${name}: ${o}`).toContain(`#SBATCH ${o}`);
    }
    const parts = script('parts');
    expect(parts).toContain('#SBATCH --array=1-3');
    expect(parts).toContain('#SBATCH --requeue');
    expect(parts).toMatch(/#SBATCH --signal=B:USR1@\d+/);
    expect(parts).toContain(`#SBATCH --output=${l.logs}/part-%a.out`);
    // Each task trains its own part and resumes from its checkpoint when requeued or resubmitted.
    expect(parts).toMatch(
      /train --method sla .*--device cuda --threads 1 .*--out \S+ --part "\$K"\/3 --resume &/,
    );
    expect(parts).toContain('scontrol requeue "$SLURM_JOB_ID"');
    expect(script('stage1')).toMatch(/--parts 3 --stage1-only --resume &/);
    expect(script('merge')).toMatch(
      new RegExp(`exec \\S+ \\S+ predict --run ${run} --images ${data.images} --out ${l.predictions}`),
    );
    expect(fs.existsSync(run)).toBe(false);
  });

  it('refuses cluster flags that do not fit, naming the flag', async () => {
    const base = ['train', ...tinyTrainArgs(data), '--out', path.join(tmp.dir, 'bad')];
    const cases: [string[], RegExp][] = [
      [['--method', 'cc2d', '--parts', '2'], /apply to sla and atd.*not cc2d/],
      [['--method', 'sla', '--slurm'], /--slurm and --devices need --parts N/],
      [['--method', 'sla', '--parts', '2', '--partition', 'x'], /--partition applies to --slurm only/],
      [['--method', 'sla', '--parts', '2', '--part', '1/2'], /give one of the two/],
      [['--method', 'sla', '--parts', '0'], /--parts: expected a positive integer/],
      [['--method', 'sla', '--parts', '2', '--devices', '0,x'], /--devices: expected GPU indices/],
      [['--method', 'sla', '--parts', '2', '--devices', '0,99'], /--devices: GPU (0, )?99 not found/],
      [
        ['--method', 'sla', '--parts', '2', '--slurm', '--sbatch-arg', 'account'],
        /--sbatch-arg: expected an sbatch option/,
      ],
    ];
    for (const [extra, msg] of cases) {
      const r = await runInProcess([...base, ...extra]);
      expect(r.code, extra.join(' ')).not.toBe(0);
      expect(r.err, extra.join(' ')).toMatch(msg);
    }
  });
});

describe('parsing what Slurm and the run say', () => {
  it('expands array tasks as squeue and sacct print them', () => {
    expect(expandTaskRange('1-3')).toEqual([1, 2, 3]);
    expect(expandTaskRange('2,4-5%2')).toEqual([2, 4, 5]);
    expect(
      parseJobLine('12_[2-3]', 'PENDING', 'Dependency').map((s) => [s.id, s.arrayTask, s.state]),
    ).toEqual([
      ['12_2', 2, 'PENDING'],
      ['12_3', 3, 'PENDING'],
    ]);
    expect(parseJobLine('12_1', 'CANCELLED by 0')[0]).toMatchObject({
      id: '12_1',
      arrayJobId: '12',
      state: 'CANCELLED',
    });
    expect(parseJobLine('13', 'RUNNING')[0]).toEqual({
      id: '13',
      state: 'RUNNING',
      reason: undefined,
      exitCode: undefined,
    });
  });

  it("reads Slurm's --time forms and signals short jobs proportionally earlier", () => {
    expect(slurmTimeSeconds('30')).toBe(1800);
    expect(slurmTimeSeconds('10:00')).toBe(600);
    expect(slurmTimeSeconds('2:00:00')).toBe(7200);
    expect(slurmTimeSeconds('1-12')).toBe(129600);
    expect(slurmTimeSeconds('1-0:30:05')).toBe(88205);
    expect(slurmTimeSeconds('soon')).toBeUndefined();
    expect(signalLead('2:00:00')).toBe(120);
    expect(signalLead(undefined)).toBe(120);
    expect(signalLead('10:00')).toBe(60);
    expect(signalLead('1')).toBe(10);
  });

  it('maps scheduler states, trusting a finished part on disk over a forgotten job', () => {
    expect(stateOf('PENDING', false)).toBe('pending');
    expect(stateOf('REQUEUED', false)).toBe('pending');
    expect(stateOf('RUNNING', false)).toBe('running');
    expect(stateOf('TIMEOUT', false)).toBe('failed');
    expect(stateOf('CANCELLED', false)).toBe('cancelled');
    expect(stateOf('COMPLETED', false)).toBe('stopped');
    expect(stateOf(undefined, true)).toBe('done');
    expect(stateOf(undefined, false)).toBe('unknown');
  });

  it('reads steps, ETA and the resume note from events.jsonl, skipping a half-written line', () => {
    const f = path.join(tmp.dir, 'events.jsonl');
    const ev = (o: object) => JSON.stringify({ t: 'x', itPerSec: 1, etaSec: 0, ...o });
    fs.writeFileSync(
      f,
      [
        ev({ stage: 'sla-part-2-of-3', step: 40, total: 100, etaSec: 60 }),
        ev({ stage: 'sla-part-2-of-3', step: 43, total: 100, message: 'resumed at step 43' }),
        ev({ stage: 'sla-part-2-of-3', step: 50, total: 100, etaSec: 25 }),
        '{"stage":"sla-part-2-of',
      ].join('\n'),
    );
    expect(readProgress(f).get('sla-part-2-of-3')).toEqual({
      step: 50,
      total: 100,
      etaSec: 25,
      resumedAt: 43,
    });
  });

  it('tells shared from node-local filesystems', () => {
    const mounts = [
      { mount: '/', type: 'ext4' },
      { mount: '/home', type: 'nfs4' },
      { mount: '/scratch', type: 'lustre' },
    ];
    expect(filesystemOf('/home/me/runs/x', mounts)).toMatchObject({ mount: '/home', shared: true });
    expect(filesystemOf('/scratch/x', mounts).shared).toBe(true);
    const local = filesystemOf('/tmp/x', mounts);
    expect(local).toMatchObject({ mount: '/', type: 'ext4', shared: false });
    expect(sharedFsWarning('/tmp/x', local)).toMatch(/^\/tmp\/x: on ext4 \(\/\), which does not look shared/);
  });

  it('a plan without Slurm options still gives runnable scripts (CPU, no partition)', () => {
    const plan: ClusterPlan = {
      version: 1,
      backend: 'slurm',
      runDir: '/shared/runs/a b',
      method: 'atd',
      parts: 2,
      trainArgs: ['--method', 'atd'],
      predictImages: 'imgs',
      threads: 2,
      command: ['node', '/opt/onemark/bin/onemark.mjs'],
      cwd: '/shared',
      stage1Done: '/shared/runs/a b/cc2d/stage1/pseudo-labels.json',
      slurm: { sbatchArgs: [], signalLeadSec: 120 },
    };
    const s = jobScripts(plan);
    expect(s.parts).not.toContain('--partition');
    expect(s.parts).not.toContain('--gpus-per-task');
    expect(s.parts).toContain('--out \'/shared/runs/a b\' --part "$K"/2 --resume &');
    expect(s.parts).toContain(`'/shared/runs/a b'/atd-part-"$K"-of-2/final.safetensors`);
  });
});
