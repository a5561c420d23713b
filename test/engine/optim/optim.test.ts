import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { F, Tensor, seed, tidy } from '../../../src/engine';
import { BatchNorm2d, Conv2d, Module, Parameter, ReLU, Sequential } from '../../../src/engine/nn';
import {
  Adam,
  AdamW,
  LRScheduler,
  SGD,
  clipGradNorm,
  clipGradValue,
  cosineLR,
  linearWarmup,
  multiStepLR,
  stepLR,
  type Optimizer,
} from '../../../src/engine/optim';
import { loadTrainingState, saveTrainingState } from '../../../src/engine/io/trainingState';

const C = [0.5, -1];
const P0 = [1, -2];

/** Runs `steps` updates of loss = sum(p * C): the gradient is C (plus what the optimiser adds). */
function run(make: (p: Tensor) => Optimizer<any>, steps: number): number[] {
  const p = Parameter(Tensor.from(P0, [2]));
  const opt = make(p);
  const c = Tensor.from(C, [2]);
  for (let i = 0; i < steps; i++) {
    opt.zeroGrad();
    tidy(() => p.mul(c).sum().backward());
    opt.step();
  }
  return Array.from(p.toFloat32Array());
}

function expectClose(a: number[], b: number[], tol = 1e-6) {
  a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThan(tol));
}

/** Adam for one scalar, written from Kingma & Ba (Algorithm 1) with L2 weight decay on the gradient. */
function adamRef(
  p: number,
  c: number,
  steps: number,
  lr: number,
  wd: number,
  b1 = 0.9,
  b2 = 0.999,
  eps = 1e-8,
): number {
  let m = 0;
  let v = 0;
  for (let t = 1; t <= steps; t++) {
    const g = c + wd * p;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    const mhat = m / (1 - b1 ** t);
    const vhat = v / (1 - b2 ** t);
    p -= (lr * mhat) / (Math.sqrt(vhat) + eps);
  }
  return p;
}

describe('optimisers match hand-computed updates (2 steps)', () => {
  it('Adam without weight decay moves by lr * sign(grad) each step', () => {
    expectClose(
      run((p) => new Adam([p], { lr: 0.1 }), 2),
      [0.8, -1.8],
    );
  });
  it('Adam with L2 weight decay', () => {
    const got = run((p) => new Adam([p], { lr: 0.1, weightDecay: 0.1 }), 2);
    expectClose(got, [adamRef(1, 0.5, 2, 0.1, 0.1), adamRef(-2, -1, 2, 0.1, 0.1)]);
    // first step: g = [0.6, -1.2] -> p1 = [0.9, -1.9]; second: g = [0.59, -1.19]
    expect(adamRef(1, 0.5, 1, 0.1, 0.1)).toBeCloseTo(0.9, 6);
  });
  it('AdamW decays the weights directly: p <- p(1 - lr wd) - lr * mhat/sqrt(vhat)', () => {
    expectClose(
      run((p) => new AdamW([p], { lr: 0.1, weightDecay: 0.5 }), 2),
      [0.7075, -1.61],
    );
  });
  it('SGD plain, momentum, dampening and Nesterov', () => {
    expectClose(
      run((p) => new SGD([p], { lr: 0.1 }), 2),
      [1 - 0.2 * 0.5, -2 + 0.2],
    );
    // momentum 0.9: buf1 = g, buf2 = 1.9 g -> p2 = p0 - 0.29 g
    expectClose(
      run((p) => new SGD([p], { lr: 0.1, momentum: 0.9 }), 2),
      [1 - 0.29 * 0.5, -2 + 0.29],
    );
    // dampening 0.5: buf2 = 0.9 g + 0.5 g -> p2 = p0 - 0.24 g
    expectClose(
      run((p) => new SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.5 }), 2),
      [1 - 0.24 * 0.5, -2 + 0.24],
    );
    // Nesterov: d1 = 1.9 g, d2 = g + 0.9 * 1.9 g = 2.71 g -> p2 = p0 - 0.461 g
    expectClose(
      run((p) => new SGD([p], { lr: 0.1, momentum: 0.9, nesterov: true }), 2),
      [1 - 0.461 * 0.5, -2 + 0.461],
    );
    // weight decay 0.1, no momentum: p1 = p0 - 0.1 (g + 0.1 p0)
    const p1 = P0.map((p, i) => p - 0.1 * (C[i] + 0.1 * p));
    expectClose(
      run((p) => new SGD([p], { lr: 0.1, weightDecay: 0.1 }), 1),
      p1,
    );
  });
  it('skips parameters without gradients and counts their steps separately', () => {
    const a = Parameter(Tensor.from([1], [1]));
    const b = Parameter(Tensor.from([1], [1]));
    const opt = new Adam([a, b], { lr: 0.1 });
    tidy(() => a.mul(2).sum().backward());
    opt.step();
    expect(b.item()).toBe(1);
    expect(opt.state.get(a)!.step).toBe(1);
    expect(opt.state.get(b)!.step).toBe(0);
  });
  it('param groups carry their own hyper-parameters', () => {
    const a = Parameter(Tensor.from([1], [1]));
    const b = Parameter(Tensor.from([1], [1]));
    const opt = new SGD([{ params: [a] }, { params: [b], lr: 1 }], { lr: 0.1 });
    tidy(() => a.add(b).sum().backward());
    opt.step();
    expect(a.item()).toBeCloseTo(0.9, 6);
    expect(b.item()).toBeCloseTo(0, 6);
  });
});

describe('schedules', () => {
  const at = (s: (t: number, b: number) => number, n: number) => Array.from({ length: n }, (_, t) => s(t, 1));
  it('step, multistep, cosine and warm-up follow their closed forms', () => {
    expectClose(at(stepLR(2, 0.5), 6), [1, 1, 0.5, 0.5, 0.25, 0.25]);
    expectClose(at(multiStepLR([2, 5], 0.1), 7), [1, 1, 0.1, 0.1, 0.1, 0.01, 0.01]);
    const c = Math.cos(Math.PI / 4);
    expectClose(at(cosineLR(4), 6), [1, (1 + c) / 2, 0.5, (1 - c) / 2, 0, 0]);
    expectClose(at(linearWarmup(2, stepLR(1, 0.5)), 5), [0, 0.5, 1, 0.5, 0.25]);
    expectClose(at(linearWarmup(4, undefined, 0.2), 5), [0.2, 0.4, 0.6, 0.8, 1]);
  });
  it('LRScheduler drives every group and resumes from its state', () => {
    const opt = new SGD(
      [{ params: [Parameter(Tensor.zeros([1]))] }, { params: [Parameter(Tensor.zeros([1]))], lr: 0.5 }],
      { lr: 0.1 },
    );
    const s = new LRScheduler(opt, stepLR(1, 0.1));
    s.step();
    s.step();
    expectClose(s.lrs, [0.001, 0.005], 1e-12);
    const opt2 = new SGD(
      [{ params: [Parameter(Tensor.zeros([1]))] }, { params: [Parameter(Tensor.zeros([1]))], lr: 0.5 }],
      { lr: 0.1 },
    );
    const s2 = new LRScheduler(opt2, stepLR(1, 0.1));
    s2.loadStateDict(s.stateDict());
    expectClose(s2.lrs, [0.001, 0.005], 1e-12);
  });
});

describe('gradient clipping', () => {
  it('clips by total norm and by value', () => {
    const a = Parameter(Tensor.from([0, 0], [2]));
    tidy(() =>
      a
        .mul(Tensor.from([3, 4], [2]))
        .sum()
        .backward(),
    );
    expect(clipGradNorm([a], 1)).toBeCloseTo(5, 5);
    expectClose(Array.from(a.grad!.toFloat32Array()), [0.6, 0.8], 1e-5);
    expect(clipGradNorm([a], 10)).toBeCloseTo(1, 4); // under the limit: unchanged
    expectClose(Array.from(a.grad!.toFloat32Array()), [0.6, 0.8], 1e-5);
    clipGradValue([a], 0.7);
    expectClose(Array.from(a.grad!.toFloat32Array()), [0.6, 0.7], 1e-6);
  });
});

class Small extends Module {
  body = new Sequential(
    new Conv2d(1, 4, 3, { padding: 1 }),
    new BatchNorm2d(4),
    new ReLU(),
    new Conv2d(4, 1, 3, { padding: 1 }),
  );
  forward(x: Tensor): Tensor {
    return this.body.forward(x);
  }
}

describe('resume', () => {
  it('optimiser + scheduler state round trip through a checkpoint gives identical training', async () => {
    seed(11);
    const data = Array.from({ length: 6 }, () => [Tensor.rand([2, 1, 8, 8]), Tensor.rand([2, 1, 8, 8])]);
    const train = (m: Small, opt: Optimizer<any>, s: LRScheduler, from: number, to: number) => {
      for (let i = from; i < to; i++) {
        opt.zeroGrad();
        tidy(() => F.mseLoss(m.forward(data[i][0]), data[i][1]).backward());
        opt.step();
        s.step();
      }
    };
    const dir = mkdtempSync(path.join(tmpdir(), 'onemark-ckpt-'));
    try {
      for (const make of [
        (ps: Tensor[]) => new Adam(ps, { lr: 1e-2, weightDecay: 1e-4 }),
        (ps: Tensor[]) => new SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true }),
      ]) {
        seed(1);
        const a = new Small();
        const optA = make(a.parameters());
        const sA = new LRScheduler(optA, stepLR(2, 0.5));
        train(a, optA, sA, 0, 3);
        await saveTrainingState(dir, {
          model: a,
          config: { kind: 'small' },
          seed: 1,
          step: 3,
          optimizer: optA,
          scheduler: sA,
        });
        train(a, optA, sA, 3, 6);

        seed(2);
        const b = new Small();
        const optB = make(b.parameters());
        const sB = new LRScheduler(optB, stepLR(2, 0.5));
        const meta = loadTrainingState<{ kind: string }>(dir, { model: b, optimizer: optB, scheduler: sB });
        expect(meta.config.kind).toBe('small');
        expect(meta.step).toBe(3);
        expect(meta.seed).toBe(1);
        expect(meta.device).toBe('cpu');
        expect(Date.parse(meta.createdAt)).toBeGreaterThan(Date.parse('2020-01-01'));
        expect(typeof meta.engine.libtorch).toBe('string');
        train(b, optB, sB, 3, 6);
        expect([...a.stateDict().keys()]).toEqual([...b.stateDict().keys()]);
        const sa = [...a.stateDict().values()];
        const sb = [...b.stateDict().values()];
        sa.forEach((t, i) => expect(t.equal(sb[i]), `tensor ${i}`).toBe(true));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
