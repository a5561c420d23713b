import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Tensor, liveTensors, setNumThreads } from '../../src/engine';
import { presetConfig } from '../../src/methods/cc2d/config';
import { trainStage1 } from '../../src/methods/cc2d/stage1/train';
import { trainStage2 } from '../../src/methods/cc2d/stage2/train';
import { buildStack, memoryRef } from '../../src/runs/imageStack';
import { RunLayout } from '../../src/runs/layout';
import { loadCheckpoint, disposeGroups } from '../../src/runs/checkpoint';
import { syntheticSet } from '../methods/cc2d/synthetic';

// One thread: deterministic reductions, and no OpenMP spinning against other jobs on the cores.
setNumThreads(1);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'onemark-runs-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function tinyConfig() {
  const c = presetConfig('tiny', { seed: 42 });
  c.stage1.iterations = 8;
  c.checkpointEvery = 3;
  return c;
}

async function tinyStack() {
  const set = syntheticSet(6, 64, { seed: 5 });
  return buildStack(
    set.images.map((im, i) => memoryRef(set.ids[i], im)),
    64,
  );
}

function paramsOf(net: { module: { stateDict(): Map<string, Tensor> } }): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [k, t] of net.module.stateDict()) if (t.dtype === 'float32') out.set(k, t.toFloat32Array());
  return out;
}

describe('stage loop: checkpoints and resume', () => {
  it('resuming after a kill reproduces the uninterrupted run exactly', async () => {
    const stack = await tinyStack();
    const straight = await trainStage1({
      config: tinyConfig(),
      stack: stack.tensor,
      layout: new RunLayout(path.join(tmp, 'a')),
    });
    const want = paramsOf(straight.net);
    straight.net.dispose();

    const layout = new RunLayout(path.join(tmp, 'b'));
    // "Kill" after 5 steps: only the periodic checkpoint of step 3 is on disk.
    const first = await trainStage1({ config: tinyConfig(), stack: stack.tensor, layout, stopAfter: 5 });
    expect(first.result.aborted).toBe(true);
    expect(layout.hasFinal('stage1')).toBe(false);
    expect(layout.stepCheckpoints('stage1').map((c) => c.step)).toEqual([3]);
    first.net.dispose();

    const second = await trainStage1({ config: tinyConfig(), stack: stack.tensor, layout });
    expect(second.result.startedAt).toBe(3);
    expect(second.result.ran).toBe(5);
    const got = paramsOf(second.net);
    second.net.dispose();
    stack.tensor.dispose();
    expect([...got.keys()]).toEqual([...want.keys()]);
    for (const [k, v] of want) expect(Array.from(got.get(k)!), k).toEqual(Array.from(v));
  });

  it('a finished stage is not retrained and its final checkpoint holds model, optimiser and step', async () => {
    const stack = await tinyStack();
    const layout = new RunLayout(path.join(tmp, 'a'));
    const again = await trainStage1({ config: tinyConfig(), stack: stack.tensor, layout });
    expect(again.result.ran).toBe(0);
    again.net.dispose();
    stack.tensor.dispose();
    const ck = loadCheckpoint(layout.finalCheckpoint('stage1'));
    expect(ck.meta).toMatchObject({ stage: 'stage1', step: 8, final: true });
    expect(Object.keys(ck.groups.model).length).toBeGreaterThan(10);
    expect(Object.keys(ck.groups.optim).some((k) => k.endsWith('exp_avg') || k.includes('exp'))).toBe(true);
    expect((ck.meta.extra?.numbers as any)?.optim?.lr).toBeGreaterThan(0);
    disposeGroups(ck.groups);
  });

  it('keeps the live-tensor count flat over training steps', async () => {
    const stack = await tinyStack();
    const counts: number[] = [];
    const c = tinyConfig();
    c.stage1.iterations = 12;
    const r = await trainStage1({ config: c, stack: stack.tensor, onLive: (_s, live) => counts.push(live) });
    r.net.dispose();
    stack.tensor.dispose();
    // Adam's state appears after the first step; from then on nothing may accumulate.
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(counts.length).toBe(12);
  });

  it('stage 2 (frozen encoder too) keeps the live-tensor count flat and trains only what it should', async () => {
    const stack = await tinyStack();
    const c = tinyConfig();
    c.stage2.iterations = 6;
    c.stage2.freezeEncoder = true;
    const labels = Array.from({ length: 6 }, () => [{ x: 20, y: 30 }, null]);
    const counts: number[] = [];
    const r = await trainStage2({
      config: c,
      stack: stack.tensor,
      labels,
      templateIndex: 0,
      onLive: (_s, l) => counts.push(l),
    });
    expect(new Set(counts.slice(1)).size).toBe(1);
    const p = r.net.module.namedParameters();
    expect(p.filter(([k]) => k.startsWith('encoder.')).every(([, t]) => !t.requiresGrad)).toBe(true);
    expect(p.filter(([k]) => k.startsWith('dense_head.')).every(([, t]) => t.requiresGrad)).toBe(true);
    r.net.dispose();
    stack.tensor.dispose();
  });

  it('leaves no tensors behind after a run', async () => {
    const before = liveTensors();
    const stack = await tinyStack();
    const c = tinyConfig();
    c.stage1.iterations = 2;
    const r = await trainStage1({ config: c, stack: stack.tensor });
    r.net.dispose();
    stack.tensor.dispose();
    expect(liveTensors()).toBe(before);
  });
});
