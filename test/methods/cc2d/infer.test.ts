import { describe, expect, it } from 'vitest';
import { F, Tensor, tidy } from '../../../src/engine';
import { cascadeInfer, templateEmbeddings, type EmbeddingFn } from '../../../src/methods/cc2d/stage1/infer';
import { mulberry32 } from './synthetic';

/**
 * A hand-built, shift-equivariant "embedding network": at strides 4, 2 and 1 each position's
 * embedding is the 5×5 neighbourhood of the average-pooled image (unfold). A trained network is
 * not needed to test the cascade itself.
 */
const handNet: EmbeddingFn = (x) => {
  const [B, , H, W] = x.shape;
  return [4, 2, 1].map((s) => {
    const pooled = s === 1 ? x : F.avgPool2d(x, s, { stride: s });
    const h = H / s;
    const w = W / s;
    return F.unfold(pooled, 5, { padding: 2 }).reshape([B, 25, h, w]).sub(0.5);
  });
};

function texture(size: number, seed: number): Float32Array {
  const rnd = mulberry32(seed);
  const d = new Float32Array(size * size);
  // Smooth random texture: a few octaves of random values, bilinearly blended.
  for (const cell of [16, 8, 4, 2]) {
    const n = size / cell + 1;
    const g = Array.from({ length: n * n }, () => rnd());
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const gx = x / cell;
        const gy = y / cell;
        const i = Math.floor(gx);
        const j = Math.floor(gy);
        const fx = gx - i;
        const fy = gy - j;
        const v =
          g[j * n + i] * (1 - fx) * (1 - fy) +
          g[j * n + i + 1] * fx * (1 - fy) +
          g[(j + 1) * n + i] * (1 - fx) * fy +
          g[(j + 1) * n + i + 1] * fx * fy;
        d[y * size + x] += v / 4;
      }
  }
  return d;
}

/** The image content moved by (dx, dy) pixels: out(x, y) = in(x − dx, y − dy), edges replicated. */
function shifted(src: Float32Array, size: number, dx: number, dy: number): Float32Array {
  const out = new Float32Array(size * size);
  const c = (v: number) => Math.max(0, Math.min(size - 1, v));
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) out[y * size + x] = src[c(y - dy) * size + c(x - dx)];
  return out;
}

describe('stage-1 cascade inference', () => {
  it('finds a landmark moved by a known offset, to the pixel', () => {
    const S = 64;
    const a = texture(S, 4);
    const landmarks = [
      { x: 20, y: 24 },
      { x: 40, y: 30 },
      { x: 28, y: 44 },
    ];
    const cases = [
      [5, -3],
      [-7, 6],
      [0, 9],
    ];
    for (const [dx, dy] of cases) {
      const r = tidy(() => {
        const templ = templateEmbeddings(handNet, Tensor.from(a, [1, 1, S, S]), landmarks);
        const q = Tensor.from(shifted(a, S, dx, dy), [1, 1, S, S]);
        return cascadeInfer(handNet, templ, q);
      });
      r.points[0].forEach((p, i) => {
        expect(Math.abs(p.x - (landmarks[i].x + dx))).toBeLessThan(0.5);
        expect(Math.abs(p.y - (landmarks[i].y + dy))).toBeLessThan(0.5);
        // Coarse cells do not align with an odd shift, so the peak is high but below 1.
        expect(r.confidence[0][i]).toBeGreaterThan(0.8);
      });
    }
  });
});
