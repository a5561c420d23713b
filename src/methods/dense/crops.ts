/**
 * Per-landmark crops: where a landmark's pixels become a training sample in the cascade form of
 * the dense methods. Every landmark gets its own W×W crop, cut from the image resized to a fine
 * square grid (`fineSize`, several times the whole-image grid), centred on the previous stage's
 * estimate: CC2D stage 1's pseudo-label while training (moved by a random offset, so the crop
 * centre never tells where the landmark is), its answer at prediction. The network therefore only
 * searches the crop around the previous stage's estimate: the cascade is the search rule.
 *
 * Geometry (align_corners=false, as in shared/augment.ts): crop pixel u maps to the fine-grid point
 *   x = c + R(angle)·(u − u0)/zoom,   u0 = (W − 1)/2,
 * and a fine-grid point p lands at u = u0 + zoom·R(−angle)·(p − c). One grid_sample call cuts all
 * N crops of an image: the N sampling grids are stacked along the output's height.
 */
import { F, Tensor, noGrad, random, tidy } from '../../engine';
import type { Point } from '../../data/types';
import { voteLandmarks } from '../shared/vote';
import type { DenseLandmarkNet } from './nets';
import type { ShapeCheckConfig } from './shapeCheck';

/** The crop input of a dense stage (null: the stage sees the whole image at `size`). */
export interface CropInput {
  /** Side of the square grid the crops are cut from (the whole-image grid is `size`). */
  fineSize: number;
  /**
   * Training crops are centred this far (± fraction of the crop side, uniform per axis) from the
   * label, so the network learns to find the landmark anywhere the previous stage may leave it.
   */
  jitter: number;
  /**
   * Prediction passes: each later pass re-centres every crop on the previous pass's answer (a
   * test-time refinement; 1 = the crop around stage 1's estimate only). Absent: 1.
   */
  passes?: number;
  /**
   * Prediction only: the vote is limited to a disk of this radius (fraction of the crop side)
   * around the crop's centre, i.e. around the previous stage's estimate. Training puts a label at
   * most `jitter` from the centre per axis, so corners of the crop are where the network has seen
   * landmarks least; a radius of `jitter` is the square's inscribed disk. Absent: the whole crop.
   */
  searchRadius?: number;
  /**
   * Prediction only: answers far from where the other landmarks put them are searched again around
   * that position (dense/shapeCheck.ts). Absent: none.
   */
  shapeCheck?: ShapeCheckConfig;
}

/** One crop's placement and intensity jitter. */
export interface CropDraw {
  /** Centre on the fine grid. */
  center: Point;
  angle: number;
  /** > 1 magnifies. */
  zoom: number;
  gain: number;
  bias: number;
  gamma: number;
}

export interface CropJitter {
  rotationDeg: number;
  scale: number;
  brightness: number;
  contrast: number;
  /** gamma in [1/(1+g), 1+g]; 0 = none. */
  gamma: number;
}

const NO_JITTER: CropJitter = { rotationDeg: 0, scale: 0, brightness: 0, contrast: 0, gamma: 0 };

/** A crop exactly on `center`: prediction, and Train-PL refreshes. */
export function centredCrop(center: Point): CropDraw {
  return { center, angle: 0, zoom: 1, gain: 1, bias: 0, gamma: 1 };
}

/**
 * A training crop for a landmark at `label` (fine grid): centre shifted by up to ±jitter·crop per
 * axis, then the similarity and intensity jitter. A missing label gives a crop of the grid centre.
 */
export function drawCrop(
  label: Point | null,
  fineSize: number,
  crop: number,
  jitter: number,
  ranges: CropJitter = NO_JITTER,
): CropDraw {
  const u = (r: number) => (2 * random() - 1) * r;
  const base = label ?? { x: (fineSize - 1) / 2, y: (fineSize - 1) / 2 };
  const center = { x: base.x + u(jitter * crop), y: base.y + u(jitter * crop) };
  const g = 1 + Math.abs(ranges.gamma);
  return {
    center,
    angle: (u(ranges.rotationDeg) * Math.PI) / 180,
    zoom: 1 + u(ranges.scale),
    gain: 1 + u(ranges.contrast),
    bias: u(ranges.brightness),
    gamma: ranges.gamma > 0 ? Math.exp(u(Math.log(g))) : 1,
  };
}

/** Where a fine-grid point lands in the crop. */
export function toCrop(p: Point, d: CropDraw, crop: number): Point {
  const u0 = (crop - 1) / 2;
  const c = Math.cos(-d.angle) * d.zoom;
  const s = Math.sin(-d.angle) * d.zoom;
  const dx = p.x - d.center.x;
  const dy = p.y - d.center.y;
  return { x: u0 + c * dx - s * dy, y: u0 + s * dx + c * dy };
}

/** Where a crop point lies on the fine grid. */
export function fromCrop(u: Point, d: CropDraw, crop: number): Point {
  const u0 = (crop - 1) / 2;
  const c = Math.cos(d.angle) / d.zoom;
  const s = Math.sin(d.angle) / d.zoom;
  const dx = u.x - u0;
  const dy = u.y - u0;
  return { x: d.center.x + c * dx - s * dy, y: d.center.y + s * dx + c * dy };
}

/** grid_sample's theta (crop → fine grid, normalised) for one crop. */
function cropTheta(d: CropDraw, fineSize: number, crop: number): number[] {
  const a = crop / fineSize / d.zoom;
  const cos = Math.cos(d.angle) * a;
  const sin = Math.sin(d.angle) * a;
  const cx = (2 * d.center.x + 1) / fineSize - 1;
  const cy = (2 * d.center.y + 1) / fineSize - 1;
  return [cos, -sin, cx, sin, cos, cy];
}

/**
 * Cuts `draws[b][n]` from `images` (B, 1, F, F): (B, N, W, W), landmark n's crop in channel n (the
 * group-major input of the per-landmark networks). Outside the image reads as 0.
 */
export function cutCrops(images: Tensor, draws: CropDraw[][], crop: number): Tensor {
  return tidy(() => {
    const [B, , fine] = images.shape;
    const N = draws[0]?.length ?? 0;
    const theta = new Float32Array(B * N * 6);
    const gain = new Float32Array(B * N);
    const bias = new Float32Array(B * N);
    const gamma = new Float32Array(B * N);
    draws.forEach((row, b) =>
      row.forEach((d, n) => {
        theta.set(cropTheta(d, fine, crop), (b * N + n) * 6);
        gain[b * N + n] = d.gain;
        bias[b * N + n] = d.bias;
        gamma[b * N + n] = d.gamma;
      }),
    );
    const dev = images.device;
    const grid = F.affineGrid(
      Tensor.from(theta, [B * N, 2, 3], { device: dev }),
      [B * N, 1, crop, crop],
      false,
    );
    const crops = F.gridSample(images, grid.reshape([B, N * crop, crop, 2]), {
      mode: 'bilinear',
      paddingMode: 'zeros',
      alignCorners: false,
    }).reshape([B, N, crop, crop]);
    const plain = draws.every((row) => row.every((d) => d.gain === 1 && d.bias === 0 && d.gamma === 1));
    if (plain) return crops;
    const shape = [B, N, 1, 1];
    return crops
      .clamp(0, 1)
      .pow(Tensor.from(gamma, shape, { device: dev }))
      .mul(Tensor.from(gain, shape, { device: dev }))
      .add(Tensor.from(bias, shape, { device: dev }))
      .clamp(0, 1);
  });
}

/**
 * Predicts landmark n of image m inside its crop around `centers[m][n]` (fine grid; null: the grid
 * centre) with the network in its current mode; points come back on the fine grid.
 */
export function predictCrops(
  net: DenseLandmarkNet,
  images: Tensor,
  centers: (Point | null)[][],
  crop: number,
  radius: number,
  batch = 4,
  searchRadius?: number,
): { points: Point[][]; confidence: number[][] } {
  const fine = images.shape[2];
  const mid = (crop - 1) / 2;
  const points: Point[][] = [];
  const confidence: number[][] = [];
  const M = images.shape[0];
  for (let s = 0; s < M; s += batch) {
    const n = Math.min(batch, M - s);
    const draws = centers
      .slice(s, s + n)
      .map((row) => row.map((c) => centredCrop(c ?? { x: (fine - 1) / 2, y: (fine - 1) / 2 })));
    const out = noGrad(() => tidy(() => net.forward(cutCrops(images.narrow(0, s, n), draws, crop))));
    const prior =
      searchRadius === undefined
        ? undefined
        : {
            points: draws.map((row) => row.map(() => ({ x: mid, y: mid }))),
            radius: searchRadius * crop,
          };
    const v = voteLandmarks(out, net.landmarks, radius, prior);
    out.dispose();
    v.points.forEach((row, b) => points.push(row.map((u, j) => fromCrop(u, draws[b][j], crop))));
    confidence.push(...v.confidence);
  }
  return { points, confidence };
}
