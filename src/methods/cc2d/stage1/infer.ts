/**
 * Stage-1 inference, the cascade (METHODS §1): the template's embeddings at its landmarks on every
 * scale; per query, cosine maps clamped to [0, 1], upsampled to the training grid and multiplied;
 * the argmax, refined to sub-pixel, is the landmark. Confidence is the product's peak taken to the
 * power 1/scales (the geometric mean of the scales' similarities there), so it stays in [0, 1].
 */
import { F, Tensor, noGrad, tidy } from '../../../engine';
import type { Point } from '../../../data/types';
import { argmax, refinePeak } from '../../shared/geometry';
import { embeddingsAt } from './loss';

export type EmbeddingFn = (x: Tensor) => Tensor[];

/** Template embeddings per scale, each (N, C), from the template image (1,1,S,S) and its grid points. */
export function templateEmbeddings(net: EmbeddingFn, template: Tensor, points: Point[]): Tensor[] {
  return noGrad(() =>
    tidy(() => {
      const size = template.shape[3];
      const maps = net(template);
      // One row per landmark: repeat the single map so embeddingsAt samples N points at once.
      return maps.map((m) => {
        const [, C, h, w] = m.shape;
        const rep = m.expand([points.length, C, h, w]).contiguous();
        return embeddingsAt(rep, points, size).float();
      });
    }),
  );
}

export interface CascadeResult {
  /** Per image, per landmark: grid position (sub-pixel) and confidence. */
  points: Point[][];
  confidence: number[][];
}

/**
 * Similarity product maps (B, N, S, S) for query images (B,1,S,S). Kept separate so tests and
 * stage 2 diagnostics can look at the maps themselves.
 */
export function cascadeMaps(net: EmbeddingFn, templ: Tensor[], images: Tensor): Tensor {
  return noGrad(() =>
    tidy(() => {
      const [B, , S, S2] = images.shape;
      const N = templ[0].shape[0];
      const maps = net(images);
      let prod: Tensor | null = null;
      for (let i = 0; i < maps.length; i++) {
        const m = maps[i].float();
        const [, C, h, w] = m.shape;
        const fm = F.normalize(m, { p: 2, dim: 1, eps: 1e-8 }).reshape([B, C, h * w]);
        const t = F.normalize(templ[i], { p: 2, dim: 1, eps: 1e-8 }).reshape([1, N, C]).expand([B, N, C]);
        const sim = t.bmm(fm).reshape([B, N, h, w]).clamp(0, 1);
        const up =
          h === S && w === S2
            ? sim
            : F.interpolate(sim, { size: [S, S2], mode: 'bilinear', alignCorners: false });
        prod = prod === null ? up : prod.mul(up);
      }
      return prod as Tensor;
    }),
  );
}

/** Runs the cascade on a batch of query images and finds each landmark's peak. */
export function cascadeInfer(net: EmbeddingFn, templ: Tensor[], images: Tensor): CascadeResult {
  const scales = templ.length;
  const [B, , S] = images.shape;
  const N = templ[0].shape[0];
  const prod = cascadeMaps(net, templ, images);
  const flat = prod.toFloat32Array();
  prod.dispose();
  const points: Point[][] = [];
  const confidence: number[][] = [];
  for (let b = 0; b < B; b++) {
    const pts: Point[] = [];
    const conf: number[] = [];
    for (let n = 0; n < N; n++) {
      const off = (b * N + n) * S * S;
      const { index, value } = argmax(flat, off, S * S);
      const x = index % S;
      const y = Math.floor(index / S);
      const view = flat.subarray(off, off + S * S);
      pts.push(refinePeak(view, S, S, x, y, true));
      conf.push(Math.pow(Math.max(value, 0), 1 / scales));
    }
    points.push(pts);
    confidence.push(conf);
  }
  return { points, confidence };
}
