/**
 * The job runner with a stand-in engine (a small Node script, no libtorch): progress from the
 * engine's files reaches listeners, a killed engine is restarted (the real one resumes from its
 * checkpoint), cancel stops it, and a new runner finds jobs left by an old one.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobRunner, type SpawnEngine } from '../../src/api/service/job-runner';
import { JobRegistry } from '../../src/api/service/jobs';
import type { JobEvent, JobSummary } from '../../src/api/contract/types';

const FAKE_ENGINE = `
const fs = require('fs'), path = require('path');
const dir = process.argv[1], mode = process.argv[2];
const starts = Number(fs.existsSync(path.join(dir, 'starts')) ? fs.readFileSync(path.join(dir, 'starts'), 'utf8') : 0) + 1;
fs.writeFileSync(path.join(dir, 'starts'), String(starts));
const status = (state, message) => fs.writeFileSync(path.join(dir, 'status.json'), JSON.stringify({ state, message, updatedAt: '' }));
status('running');
console.log('fake engine start ' + starts);
process.on('SIGTERM', () => { status('cancelled', 'cancelled by the user'); process.exit(0); });
let step = 0;
setInterval(() => {
  step++;
  fs.appendFileSync(path.join(dir, 'progress.jsonl'), JSON.stringify({ t: '', stage: 'stage1', step, total: 10, overall: step / 10, loss: 1 / step }) + '\\n');
  if (mode === 'crash' && starts === 1 && step === 3) process.kill(process.pid, 'SIGKILL');
  if (step === 10 && mode !== 'hang') { status('done'); process.exit(0); }
}, mode === 'hang' ? 200 : 15);
`;

function fakeSpawner(mode: 'ok' | 'crash' | 'hang'): SpawnEngine {
  return (dir, logFile) => {
    const out = openSync(logFile, 'a');
    const child = spawn(process.execPath, ['-e', FAKE_ENGINE, dir, mode], {
      stdio: ['ignore', out, out],
      detached: true,
    });
    closeSync(out);
    child.unref();
    return child.pid!;
  };
}

let tmp: string;
let runners: JobRunner[] = [];
beforeEach(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'onemark-runner-'));
});
afterEach(async () => {
  runners.forEach((r) => r.dispose());
  runners = [];
  await rm(tmp, { recursive: true, force: true });
});

function make(mode: 'ok' | 'crash' | 'hang', registry = new JobRegistry()) {
  const runner = new JobRunner({ registry, spawnEngine: fakeSpawner(mode), pollMs: 20 });
  runners.push(runner);
  return { runner, registry };
}

async function until(registry: JobRegistry, id: string, states: string[], ms = 10_000): Promise<JobSummary> {
  const end = Date.now() + ms;
  for (;;) {
    const j = registry.list().find((x) => x.id === id);
    if (j && states.includes(j.state)) return j;
    if (Date.now() > end) throw new Error(`job ${id} stayed ${j?.state}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const request = { method: 'cc2d' as const, preset: 'tiny' as const, device: 'cpu' as const };

describe('job runner', () => {
  it('publishes progress and the final state from the engine files', async () => {
    const { runner, registry } = make('ok');
    const events: JobEvent[] = [];
    registry.subscribe((e) => events.push(e));
    const job = await runner.start(tmp, request);
    expect(job.state).toBe('running');
    const done = await until(registry, job.id, ['done']);
    expect(done.progress).toBe(1);
    const progress = events.filter((e) => e.type === 'progress');
    expect(progress.length).toBe(10);
    expect(progress.at(-1)).toMatchObject({ step: 10, totalSteps: 10, stage: 'stage1', loss: 0.1 });
    expect(events.at(-1)).toEqual({ type: 'state', jobId: job.id, state: 'done' });
    const log = await runner.log(job.id);
    expect(log[0]).toMatch(/starting the engine process \(attempt 1\)/);
    expect(log).toContain('fake engine start 1');
  });

  it('restarts an engine that died mid-run', async () => {
    const { runner, registry } = make('crash');
    const job = await runner.start(tmp, request);
    const done = await until(registry, job.id, ['done', 'failed']);
    expect(done.state).toBe('done');
    expect(done.attempts).toBe(2);
    expect(
      (await runner.log(job.id)).some((l) => l.includes('resuming from the last checkpoint (attempt 2)')),
    ).toBe(true);
    const saved = JSON.parse(await readFile(path.join(tmp, 'runs', job.id, 'job.json'), 'utf8'));
    expect(saved.attempts).toBe(2);
  });

  it('cancels a running job', async () => {
    const { runner, registry } = make('hang');
    const job = await runner.start(tmp, request);
    await new Promise((r) => setTimeout(r, 300));
    await runner.cancel(job.id);
    const j = await until(registry, job.id, ['cancelled', 'failed', 'done']);
    expect(j.state).toBe('cancelled');
  });

  it('a new runner reattaches to a job an old one started', async () => {
    const first = make('hang');
    const job = await first.runner.start(tmp, request);
    first.runner.dispose();
    const second = make('hang');
    await second.runner.attachProject(tmp);
    const seen = await until(second.registry, job.id, ['running']);
    expect(seen.pid).toBe(job.pid);
    await second.runner.cancel(job.id);
    await until(second.registry, job.id, ['cancelled']);
  });

  it('restarts a job whose engine died while no runner watched it (crash, reboot)', async () => {
    const first = make('hang');
    const job = await first.runner.start(tmp, request);
    first.runner.dispose();
    process.kill(job.pid!, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    const second = make('hang');
    await second.runner.attachProject(tmp);
    const end = Date.now() + 5000;
    let seen = second.registry.list().find((j) => j.id === job.id);
    while ((seen?.attempts ?? 0) < 2 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 20));
      seen = second.registry.list().find((j) => j.id === job.id);
    }
    expect(seen).toMatchObject({ state: 'running', attempts: 2 });
    expect(seen!.pid).not.toBe(job.pid);
    await second.runner.cancel(job.id);
    await until(second.registry, job.id, ['cancelled']);
  });
});
