/**
 * The multi-scale windowed cosine cross-entropy of CC2D stage 1 (METHODS §1).
 *
 * Per scale: the patch embedding at the sampled point is compared (cosine) with every embedding of
 * the whole image's map; × temperature, softmax cross-entropy to the point's true cell. The coarsest
 * scale uses the whole map, finer ones a (2·window+1)² window around the true cell; a distance
 * margin min(a·d, m) (× temperature) raises non-target logits so near misses still cost.
 * Windows and targets are index arithmetic done in JavaScript (a few hundred numbers per sample);
 * all per-pixel work stays on the device.
 */
import { F, Tensor } from '../../../engine';
import type { Point } from '../../../data/types';

export interface LossShape {
  temperature: number;
  window: number;
  marginPerPixel: number;
  marginMax: number;
  softTarget: boolean;
}

/** Feature-grid coordinate of an input-pixel coordinate at `stride` (pixel centres at integers). */
export function featureCoord(v: number, stride: number): number {
  return (v + 0.5) / stride - 0.5;
}

/** JS-side description of one scale's classification problem for a batch. */
export interface ScaleProblem {
  /** Classes per sample (map cells, or window cells). */
  classes: number;
  /** (B·classes) flat indices into the H·W map, or null when the whole map is used. */
  index: Int32Array | null;
  /** (B·classes) target probabilities (rows sum to 1). */
  target: Float32Array;
  /** (B·classes) margins in cosine units (not yet × temperature). */
  margin: Float32Array;
}

/**
 * Targets, windows and margins for points given in feature-grid coordinates on an H×W map.
 * `whole` selects the full map (coarsest scale) instead of a window.
 */
export function scaleProblem(
  points: Point[],
  H: number,
  W: number,
  whole: boolean,
  shape: LossShape,
): ScaleProblem {
  const B = points.length;
  const wh = whole ? H : Math.min(2 * shape.window + 1, H);
  const ww = whole ? W : Math.min(2 * shape.window + 1, W);
  const classes = wh * ww;
  const index = whole ? null : new Int32Array(B * classes);
  const target = new Float32Array(B * classes);
  const margin = new Float32Array(B * classes);
  const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));
  for (let b = 0; b < B; b++) {
    const tx = clamp(points[b].x, 0, W - 1);
    const ty = clamp(points[b].y, 0, H - 1);
    const x0 = whole ? 0 : clamp(Math.round(tx) - shape.window, 0, W - ww);
    const y0 = whole ? 0 : clamp(Math.round(ty) - shape.window, 0, H - wh);
    const base = b * classes;
    // Target mass: the nearest cell, or bilinear weights over the 4 cells around (tx, ty).
    const put = (cx: number, cy: number, w: number) => {
      const lx = cx - x0;
      const ly = cy - y0;
      if (w <= 0 || lx < 0 || ly < 0 || lx >= ww || ly >= wh) return;
      target[base + ly * ww + lx] += w;
    };
    if (shape.softTarget) {
      const fx = Math.min(Math.floor(tx), W - 1);
      const fy = Math.min(Math.floor(ty), H - 1);
      const ax = tx - fx;
      const ay = ty - fy;
      put(fx, fy, (1 - ax) * (1 - ay));
      put(Math.min(fx + 1, W - 1), fy, ax * (1 - ay));
      put(fx, Math.min(fy + 1, H - 1), (1 - ax) * ay);
      put(Math.min(fx + 1, W - 1), Math.min(fy + 1, H - 1), ax * ay);
    } else {
      put(Math.round(tx), Math.round(ty), 1);
    }
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += target[base + k];
    for (let k = 0; k < classes; k++) target[base + k] /= sum;
    for (let ly = 0; ly < wh; ly++) {
      for (let lx = 0; lx < ww; lx++) {
        const k = base + ly * ww + lx;
        if (index) index[k] = (y0 + ly) * W + (x0 + lx);
        if (target[k] > 0) continue;
        const d = Math.hypot(x0 + lx - tx, y0 + ly - ty);
        margin[k] = Math.min(shape.marginPerPixel * d, shape.marginMax);
      }
    }
  }
  return { classes, index, target, margin };
}

/**
 * Cosine similarity of k query vectors per sample with every cell of that sample's map.
 * query: (B·k, C), map: (B, C, H, W) → (B·k, H·W).
 */
export function cosineToMap(query: Tensor, map: Tensor, k = 1): Tensor {
  const [B, C, H, W] = map.shape;
  const q = F.normalize(query, { p: 2, dim: 1, eps: 1e-8 }).reshape([B, k, C]);
  const m = F.normalize(map, { p: 2, dim: 1, eps: 1e-8 }).reshape([B, C, H * W]);
  return q.bmm(m).reshape([B * k, H * W]);
}

/**
 * Embeddings of `map` (B,C,h,w) at k input-pixel points per sample (`points` holds B·k, sample
 * by sample) of a `size`-pixel input, bilinear → (B·k, C).
 */
export function embeddingsAt(map: Tensor, points: Point[], size: number, k = 1): Tensor {
  const [B, C] = map.shape;
  const g = new Float32Array(B * k * 2);
  points.forEach((p, i) => {
    // grid_sample's normalised coordinate is stride-independent with alignCorners=false.
    g[2 * i] = (2 * p.x + 1) / size - 1;
    g[2 * i + 1] = (2 * p.y + 1) / size - 1;
  });
  const grid = Tensor.from(g, [B, k, 1, 2], { device: map.device, dtype: map.dtype });
  const out = F.gridSample(map, grid, { mode: 'bilinear', paddingMode: 'border', alignCorners: false }); // (B, C, k, 1)
  return k === 1
    ? out.reshape([B, C])
    : out
        .reshape([B, C, k])
        .permute([0, 2, 1])
        .reshape([B * k, C]);
}

/** Soft-target cross-entropy of one scale: mean over the batch. */
export function scaleLoss(sim: Tensor, problem: ScaleProblem, temperature: number): Tensor {
  const B = sim.shape[0];
  const K = problem.classes;
  const dev = sim.device;
  const picked = problem.index
    ? sim.gather(1, Tensor.from(problem.index, [B, K], { device: dev }).long())
    : sim;
  const margin = Tensor.from(problem.margin, [B, K], { device: dev });
  const target = Tensor.from(problem.target, [B, K], { device: dev });
  const logits = picked.float().add(margin).mul(temperature);
  return F.logSoftmax(logits, 1).mul(target).sum([1]).mean().neg();
}

/**
 * The stage-1 loss: sum over scales. `imageMaps`/`patchMaps` are the embedding maps (coarsest
 * first) of the whole images (input `size`) and of the patches (input `patch`); `strides` their
 * strides. `patchPoints`/`imagePoints` hold `k` points per sample, sample by sample: several
 * points per patch share one forward/backward pass (the loss is their mean).
 */
export function cascadeLoss(
  imageMaps: Tensor[],
  patchMaps: Tensor[],
  strides: number[],
  patchPoints: Point[],
  imagePoints: Point[],
  patchSize: number,
  shape: LossShape,
  k = 1,
): { total: Tensor; perScale: Tensor[] } {
  const perScale: Tensor[] = [];
  for (let i = 0; i < imageMaps.length; i++) {
    const map = imageMaps[i];
    const [, , H, W] = map.shape;
    const s = strides[i];
    const query = embeddingsAt(patchMaps[i], patchPoints, patchSize, k);
    const sim = cosineToMap(query, map, k);
    const pts = imagePoints.map((p) => ({ x: featureCoord(p.x, s), y: featureCoord(p.y, s) }));
    const problem = scaleProblem(pts, H, W, i === 0, shape);
    perScale.push(scaleLoss(sim, problem, shape.temperature));
  }
  let total = perScale[0];
  for (let i = 1; i < perScale.length; i++) total = total.add(perScale[i]);
  return { total, perScale };
}
