import { describe, expect, it } from 'vitest';
import { Tensor, seed, tidy } from '../../../src/engine';
import { logBin, logBinChannels, logBinOffsets } from '../../../src/methods/f2/logBin';

/** The reference's loops (dino-vit-features `_log_bin`), written out over plain arrays. */
function referenceLogBin(
  x: Float32Array,
  B: number,
  C: number,
  H: number,
  W: number,
  hierarchy: number,
): Float64Array {
  const at = (b: number, c: number, i: number, j: number) => x[((b * C + c) * H + i) * W + j]!;
  const avg = (k: number, b: number, c: number, i: number, j: number) => {
    const r = Math.floor(3 ** k / 2);
    let s = 0;
    let n = 0;
    for (let y = i - r; y <= i + r; y++)
      for (let z = j - r; z <= j + r; z++)
        if (y >= 0 && y < H && z >= 0 && z < W) {
          s += at(b, c, y, z);
          n++;
        }
    return s / n;
  };
  const bins = 1 + 8 * hierarchy;
  const out = new Float64Array(B * C * bins * H * W);
  for (let b = 0; b < B; b++)
    for (let y = 0; y < H; y++)
      for (let xx = 0; xx < W; xx++) {
        let part = 0;
        for (let k = 0; k < hierarchy; k++) {
          const ks = 3 ** k;
          for (let i = y - ks; i <= y + ks; i += ks)
            for (let j = xx - ks; j <= xx + ks; j += ks) {
              if (i === y && j === xx && k !== 0) continue;
              const ti = Math.max(0, Math.min(i, H - 1));
              const tj = Math.max(0, Math.min(j, W - 1));
              for (let c = 0; c < C; c++)
                out[((b * C * bins + part * C + c) * H + y) * W + xx] = avg(k, b, c, ti, tj);
              part++;
            }
        }
      }
  return out;
}

describe('logBin', () => {
  it('has 1 + 8·hierarchy bins: 6528-d for ViT-S keys with hierarchy 2, as FM-OSD', () => {
    expect(logBinOffsets(2)).toHaveLength(17);
    expect(logBinOffsets(3)).toHaveLength(25);
    expect(logBinChannels(384, 2)).toBe(6528);
  });

  it('equals the reference loops, borders included', () =>
    tidy(() => {
      seed(3);
      for (const [B, C, H, W, h] of [
        [2, 3, 5, 7, 2],
        [1, 2, 11, 9, 3],
      ] as const) {
        const x = Tensor.randn([B, C, H, W]);
        const got = logBin(x, h);
        expect(got.shape).toEqual([B, C * (1 + 8 * h), H, W]);
        const ref = referenceLogBin(x.toFloat32Array(), B, C, H, W, h);
        const g = got.toFloat32Array();
        let maxErr = 0;
        for (let i = 0; i < ref.length; i++) maxErr = Math.max(maxErr, Math.abs(g[i]! - ref[i]!));
        expect(maxErr).toBeLessThan(1e-5);
      }
    }));

  it('keeps a constant map constant and the first bin equal to the input', () =>
    tidy(() => {
      const x = Tensor.full([1, 4, 6, 6], 0.25);
      const y = logBin(x, 2);
      expect(y.sub(0.25).abs().max().item()).toBeLessThan(1e-7);
      seed(1);
      const r = Tensor.randn([1, 4, 6, 6]);
      // Bin 0 is level 0 at offset (-1, -1); bin 4 is the centre itself.
      expect(
        logBin(r, 2)
          .narrow(1, 4 * 4, 4)
          .sub(r)
          .abs()
          .max()
          .item(),
      ).toBe(0);
    }));
});
