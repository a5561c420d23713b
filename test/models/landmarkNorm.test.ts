import { describe, expect, it } from 'vitest';
import { Tensor, noGrad, seed, tidy } from '../../src/engine';
import { BatchNorm2d } from '../../src/engine/nn';
import { LandmarkBatchNorm2d } from '../../src/models/landmarkNorm';
import { landmarkMapsDiff } from '../support/maps';
import { AdapterNet } from '../../src/models/adapterNet';

describe('LandmarkBatchNorm2d', () => {
  it("normalises each landmark's crops with their own statistics", () => {
    seed(3);
    const N = 3;
    const C = 2;
    const norm = new LandmarkBatchNorm2d(C, N);
    // Landmark j's crops get offset 10·j: one shared BatchNorm would leave the offsets in.
    const x = tidy(() => {
      const base = Tensor.randn([4, N, C, 5, 5]);
      const shift = Tensor.from([0, 10, 20], [1, N, 1, 1, 1]);
      return base.add(shift).reshape([4 * N, C, 5, 5]);
    });
    const y = noGrad(() => norm.forward(x));
    const perLandmarkMean = tidy(() => y.reshape([4, N, C, 25]).mean([0, 2, 3]).toFloat32Array());
    for (const m of perLandmarkMean) expect(Math.abs(m)).toBeLessThan(1e-5);
    const shared = new BatchNorm2d(C);
    const z = noGrad(() => shared.forward(x));
    const sharedMean = tidy(() => z.reshape([4, N, C, 25]).mean([0, 2, 3]).toFloat32Array());
    expect(sharedMean[0]).toBeLessThan(-1);
    expect(norm.weight!.shape).toEqual([N * C]);
    for (const t of [x, y, z]) t.dispose();
  });

  it('names the batch layout it needs when the batch does not fit', () => {
    const norm = new LandmarkBatchNorm2d(2, 3);
    const x = Tensor.zeros([4, 2, 3, 3]);
    expect(() => noGrad(() => norm.forward(x))).toThrow(/one crop per landmark/);
    x.dispose();
  });

  it("in AdapterNet, a landmark's norm changes only that landmark's maps, for crops and whole images", () => {
    seed(4);
    const N = 3;
    const net = new AdapterNet({
      landmarks: N,
      width: 1 / 16,
      levels: 3,
      features: 4,
      blocks: 1,
      landmarkNorms: true,
    });
    net.train(false);
    const firstNorm = [...net.backbone.namedModules()].find(
      ([, m]) => m instanceof LandmarkBatchNorm2d,
    )![1] as LandmarkBatchNorm2d;
    for (const x of [Tensor.rand([2, N, 16, 16]), Tensor.rand([2, 1, 16, 16])]) {
      const before = noGrad(() => net.forward(x));
      expect(before.shape).toEqual([2, 3 * N, 16, 16]);
      const C = firstNorm.channels;
      noGrad(() => tidy(() => void firstNorm.bias!.narrow(0, 2 * C, C).add_(0.5)));
      const after = noGrad(() => net.forward(x));
      const d = (j: number) => landmarkMapsDiff(after, before, j);
      expect(d(0)).toBe(0);
      expect(d(1)).toBe(0);
      expect(d(2)).toBeGreaterThan(0);
      noGrad(() => tidy(() => void firstNorm.bias!.narrow(0, 2 * C, C).sub_(0.5)));
      for (const t of [x, before, after]) t.dispose();
    }
    net.dispose();
  });
});
