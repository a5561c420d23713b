// Exact values for small hand-computed cases (PyTorch's conventions for each op).
import { describe, expect, it } from 'vitest';
import { F, Tensor, tidy } from '../../src/engine';

const close = (got: ArrayLike<number>, want: number[], tol = 1e-5) => {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++)
    expect(Math.abs(got[i] - want[i]), `element ${i}: got ${got[i]}, want ${want[i]}`).toBeLessThanOrEqual(
      tol,
    );
};
const vals = (t: Tensor) => Array.from(t.toFloat32Array());
const grid = (rows: number[][]) => Tensor.from(rows.flat(), [1, 1, rows.length, rows[0].length]);

describe('conv2d', () => {
  it('2x2 kernel [[1,0],[0,-1]] on 1..9 gives x[i,j] - x[i+1,j+1] = -4', () =>
    tidy(() => {
      const x = grid([
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
      ]);
      const w = Tensor.from([1, 0, 0, -1], [1, 1, 2, 2]);
      const y = F.conv2d(x, w);
      expect(y.shape).toEqual([1, 1, 2, 2]);
      close(vals(y), [-4, -4, -4, -4]);
    }));

  it('3x3 ones kernel, padding 1, stride 2, bias 0.5: neighbourhood sums', () =>
    tidy(() => {
      const x = grid([
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
      ]);
      const w = Tensor.ones([1, 1, 3, 3]);
      const y = F.conv2d(x, w, Tensor.from([0.5]), { padding: 1, stride: 2 });
      // corners: 1+2+4+5, 2+3+5+6, 4+5+7+8, 5+6+8+9
      close(vals(y), [12.5, 16.5, 24.5, 28.5]);
    }));

  it('dilation 2 picks every other pixel', () =>
    tidy(() => {
      const x = Tensor.arange(0, 25, 1, { dtype: 'float32' }).reshape([1, 1, 5, 5]);
      const w = Tensor.from([1, 0, 0, 0, 0, 0, 0, 0, 1], [1, 1, 3, 3]);
      const y = F.conv2d(x, w, null, { dilation: 2 });
      // top-left tap + bottom-right tap, 4 pixels apart each way: 0 + 24
      close(vals(y), [24]);
    }));

  it('grouped conv: each group sees only its own channels', () =>
    tidy(() => {
      const x = Tensor.from([1, 2, 3, 4, 10, 20, 30, 40], [1, 2, 2, 2]);
      const w = Tensor.from([2, 3], [2, 1, 1, 1]);
      const y = F.conv2d(x, w, null, { groups: 2 });
      close(vals(y), [2, 4, 6, 8, 30, 60, 90, 120]);
      // groups=2 with 4 in-channels and 2 out: out c sums in-channels 2c, 2c+1
      const x4 = Tensor.from([1, 2, 3, 4], [1, 4, 1, 1]);
      const w4 = Tensor.from([1, 1, 1, -1], [2, 2, 1, 1]);
      close(vals(F.conv2d(x4, w4, null, { groups: 2 })), [3, -1]);
    }));

  it('convTranspose2d stride 2 scatters each input pixel into a 2x2 block', () =>
    tidy(() => {
      const x = grid([
        [1, 2],
        [3, 4],
      ]);
      const w = Tensor.ones([1, 1, 2, 2]);
      const y = F.convTranspose2d(x, w, null, { stride: 2 });
      close(vals(y), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    }));
});

describe('interpolate', () => {
  const x = () =>
    grid([
      [1, 2],
      [3, 4],
    ]);
  it('bilinear alignCorners=true, 2x2 -> 3x3', () =>
    tidy(() =>
      close(
        vals(F.interpolate(x(), { size: [3, 3], mode: 'bilinear', alignCorners: true })),
        [1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4],
      ),
    ));
  it('bilinear alignCorners=false, 2x2 -> 4x4 (half-pixel centres, edge clamp)', () =>
    tidy(() =>
      close(
        vals(F.interpolate(x(), { size: [4, 4], mode: 'bilinear', alignCorners: false })),
        [1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4],
      ),
    ));
  it('bilinear by scaleFactor equals by size', () =>
    tidy(() => {
      const a = F.interpolate(x(), { scaleFactor: 2, mode: 'bilinear' });
      const b = F.interpolate(x(), { size: 4, mode: 'bilinear' });
      expect(a.equal(b)).toBe(true);
    }));
  it('nearest 2x2 -> 4x4 repeats pixels', () =>
    tidy(() =>
      close(vals(F.interpolate(x(), { scaleFactor: 2 })), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]),
    ));
  it('bicubic alignCorners=true keeps sample points and is exact on a ramp where all 4 taps are inside', () =>
    tidy(() => {
      const ramp = Tensor.arange(0, 4, 1, { dtype: 'float64' })
        .reshape([1, 1, 1, 4])
        .expand([1, 1, 4, 4])
        .contiguous();
      const y = F.interpolate(ramp, { size: [4, 7], mode: 'bicubic', alignCorners: true });
      const row = y.select(2, 0).flatten().toArray() as Float64Array;
      // source x = i * 0.5; i = 1 and 5 need a clamped tap outside the image, so they bend
      close(
        [0, 2, 3, 4, 6].map((i) => row[i]),
        [0, 1, 1.5, 2, 3],
        1e-9,
      );
      expect(Math.abs(row[1] - 0.5)).toBeGreaterThan(0.01);
    }));
  it('alignCorners with nearest is rejected', () =>
    tidy(() =>
      expect(() => F.interpolate(x(), { size: 4, mode: 'nearest', alignCorners: true })).toThrow(
        /alignCorners/,
      ),
    ));
});

describe('gridSample / affineGrid', () => {
  const x = () =>
    grid([
      [1, 2],
      [3, 4],
    ]);
  const pts = (p: number[][]) => Tensor.from(p.flat(), [1, 1, p.length, 2]);
  it('alignCorners=true: -1/+1 are pixel centres of the corners', () =>
    tidy(() =>
      close(
        vals(
          F.gridSample(
            x(),
            pts([
              [-1, -1],
              [1, 1],
              [1, -1],
              [0, 0],
            ]),
            { alignCorners: true },
          ),
        ),
        [1, 4, 2, 2.5],
      ),
    ));
  it('alignCorners=false: -1 is the outer edge, zeros padding blends in 0', () =>
    tidy(() =>
      close(
        vals(
          F.gridSample(
            x(),
            pts([
              [-1, -1],
              [0, 0],
              [-0.5, -0.5],
            ]),
            { alignCorners: false },
          ),
        ),
        [0.25, 2.5, 1],
      ),
    ));
  it('border padding clamps, nearest picks a pixel', () =>
    tidy(() => {
      close(
        vals(
          F.gridSample(
            x(),
            pts([
              [-3, -3],
              [3, 3],
            ]),
            { paddingMode: 'border', alignCorners: true },
          ),
        ),
        [1, 4],
      );
      close(vals(F.gridSample(x(), pts([[0.6, -0.6]]), { mode: 'nearest', alignCorners: true })), [2]);
    }));
  it('identity affine grid reproduces the image', () =>
    tidy(() => {
      const img = Tensor.randn([1, 2, 3, 5]);
      const theta = Tensor.from([1, 0, 0, 0, 1, 0], [1, 2, 3]);
      for (const ac of [true, false]) {
        const g = F.affineGrid(theta, [1, 2, 3, 5], ac);
        expect(g.shape).toEqual([1, 3, 5, 2]);
        expect(F.gridSample(img, g, { alignCorners: ac }).allclose(img, 1e-5, 1e-6)).toBe(true);
      }
    }));
});

describe('losses', () => {
  it('crossEntropy: uniform logits give ln 2; a 3-class case by hand', () =>
    tidy(() => {
      close(
        [F.crossEntropy(Tensor.zeros([1, 2]), Tensor.from(BigInt64Array.of(0n))).item()],
        [Math.LN2],
        1e-6,
      );
      const want = Math.log(1 + Math.exp(-1) + Math.exp(-2));
      close(
        [F.crossEntropy(Tensor.from([1, 2, 3], [1, 3]), Tensor.from(BigInt64Array.of(2n))).item()],
        [want],
        1e-6,
      );
    }));
  it('crossEntropy weight, ignoreIndex and labelSmoothing', () =>
    tidy(() => {
      const logits = Tensor.from([1, 2, 3, 0, 0, 0, 2, 0, 0], [3, 3]);
      const target = Tensor.from(BigInt64Array.of(2n, 1n, 0n));
      const l = (row: number[], k: number) => Math.log(row.reduce((s, v) => s + Math.exp(v), 0)) - row[k];
      const losses = [l([1, 2, 3], 2), l([0, 0, 0], 1), l([2, 0, 0], 0)];
      // weight: sum(w_y * loss) / sum(w_y)
      const w = [0.5, 2, 1];
      const weighted = (w[2] * losses[0] + w[1] * losses[1] + w[0] * losses[2]) / (w[2] + w[1] + w[0]);
      close([F.crossEntropy(logits, target, { weight: Tensor.from(w) }).item()], [weighted], 1e-6);
      // ignoreIndex drops sample 2 (target 1) from the mean
      close([F.crossEntropy(logits, target, { ignoreIndex: 1 }).item()], [(losses[0] + losses[2]) / 2], 1e-6);
      // labelSmoothing e: (1 - e) * nll + e * mean over classes of -log p
      const e = 0.1;
      const smooth = (row: number[], k: number) => {
        const lse = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
        const mean = row.reduce((s, v) => s + (lse - v), 0) / row.length;
        return (1 - e) * (lse - row[k]) + e * mean;
      };
      const wantSmooth = (smooth([1, 2, 3], 2) + smooth([0, 0, 0], 1) + smooth([2, 0, 0], 0)) / 3;
      close([F.crossEntropy(logits, target, { labelSmoothing: e }).item()], [wantSmooth], 1e-6);
      close(vals(F.crossEntropy(logits, target, { reduction: 'none' })), losses, 1e-6);
    }));
  it('bceWithLogits, mse, l1, smoothL1 by hand', () =>
    tidy(() => {
      const x = Tensor.from([0, 2]);
      const y = Tensor.from([1, 0]);
      const bce = (Math.log(2) + Math.log(1 + Math.exp(2))) / 2;
      close([F.binaryCrossEntropyWithLogits(x, y).item()], [bce], 1e-6);
      // posWeight 3 scales the positive term
      close(
        [F.binaryCrossEntropyWithLogits(x, y, { posWeight: Tensor.from([3, 3]) }).item()],
        [(3 * Math.log(2) + Math.log(1 + Math.exp(2))) / 2],
        1e-6,
      );
      close([F.mseLoss(x, y).item()], [(1 + 4) / 2]);
      close([F.l1Loss(x, y, { reduction: 'sum' }).item()], [3]);
      // smoothL1 beta 1: |d|<1 -> 0.5 d^2, else |d| - 0.5
      close(
        vals(F.smoothL1Loss(Tensor.from([0.5, 3]), Tensor.from([0, 0]), { reduction: 'none' })),
        [0.125, 2.5],
      );
    }));
});

describe('other ops by hand', () => {
  it('pools, pads, norms, softmax', () =>
    tidy(() => {
      const x = grid([
        [1, 2, 3, 4],
        [5, 6, 7, 8],
        [9, 10, 11, 12],
        [13, 14, 15, 16],
      ]);
      close(vals(F.maxPool2d(x, 2)), [6, 8, 14, 16]);
      close(vals(F.avgPool2d(x, 2)), [3.5, 5.5, 11.5, 13.5]);
      close(vals(F.adaptiveAvgPool2d(x, 1)), [8.5]);
      const r = Tensor.from([1, 2, 3], [1, 1, 3]);
      close(vals(F.pad(r, [2, 1], { mode: 'reflect' })), [3, 2, 1, 2, 3, 2]);
      close(vals(F.pad(r, [2, 1], { mode: 'replicate' })), [1, 1, 1, 2, 3, 3]);
      close(vals(F.pad(grid([[1, 2, 3]]), [1, 0, 1, 0], { value: 9 })), [9, 9, 9, 9, 9, 1, 2, 3]);
      close(vals(F.softmax(Tensor.from([0, Math.log(3)]), 0)), [0.25, 0.75]);
      close(vals(F.layerNorm(Tensor.from([1, 3]), [2])), [-1 + 5e-6, 1 - 5e-6], 1e-5);
      close(vals(F.normalize(Tensor.from([3, 4], [1, 2]))), [0.6, 0.8]);
      close(
        [F.cosineSimilarity(Tensor.from([1, 0], [1, 2]), Tensor.from([1, 1], [1, 2])).item()],
        [Math.SQRT1_2],
      );
    }));
  it('reductions and indexing', () =>
    tidy(() => {
      const t = Tensor.from([3, 1, 2, 9, 7, 8], [2, 3]);
      close(vals(t.sum(1)), [6, 24]);
      close(vals(t.mean(0)), [6, 4, 5]);
      const { values, indices } = t.max(1);
      close(vals(values), [3, 9]);
      expect(Array.from(indices.toArray() as BigInt64Array)).toEqual([0n, 0n]);
      close([t.std().item()], [Math.sqrt(((3 - 5) ** 2 + (1 - 5) ** 2 + (2 - 5) ** 2 + 16 + 4 + 9) / 5)]);
      close(vals(t.topk(2, 1).values), [3, 2, 9, 8]);
      close(vals(t.cumsum(1)), [3, 4, 6, 9, 16, 24]);
      close([t.norm(Infinity).item()], [9]);
      close(vals(t.slice(1, 0, null, 2)), [3, 2, 9, 8]);
      close(
        vals(t.index([Tensor.from(BigInt64Array.of(1n, 0n)), Tensor.from(BigInt64Array.of(2n, 2n))])),
        [8, 2],
      );
      expect(Tensor.arange(5).dtype).toBe('int64');
      expect(Tensor.arange(0, 1, 0.25).toList()).toEqual([0, 0.25, 0.5, 0.75]);
      expect(Tensor.from([1, 2, 3], [3], { dtype: 'int32' }).add(2).dtype).toBe('int32');
      expect(Tensor.from([1, 2, 3], [3], { dtype: 'int32' }).add(2.5).dtype).toBe('float32');
      expect(Tensor.where(Tensor.from([1, 0, 1]).gt(0), Tensor.from([1, 2, 3]), -1).toList()).toEqual([
        1, -1, 3,
      ]);
    }));
});
