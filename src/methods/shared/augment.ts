/**
 * The heatmap stages' image augmentation (CC2D stage 2, the dense methods): a similarity transform
 * and intensity jitter that warps whole images with affine_grid/grid_sample, and the exact
 * transform of a landmark under it.
 */
import { F, Tensor } from '../../engine';
import { random } from '../../engine';
import type { Point } from '../../data/types';

/** A random similarity transform + intensity jitter of one stage-2 image. */
export interface Augment {
  angle: number;
  scale: number;
  /** Shift in normalised units ([-1, 1] spans the grid). */
  tx: number;
  ty: number;
  gain: number;
  bias: number;
}

export const IDENTITY: Augment = { angle: 0, scale: 1, tx: 0, ty: 0, gain: 1, bias: 0 };

export function drawAugment(a: {
  rotationDeg: number;
  scale: number;
  shift: number;
  brightness: number;
  contrast: number;
}): Augment {
  const u = (r: number) => (2 * random() - 1) * r;
  return {
    angle: (u(a.rotationDeg) * Math.PI) / 180,
    scale: 1 + u(a.scale),
    tx: 2 * u(a.shift),
    ty: 2 * u(a.shift),
    gain: 1 + u(a.contrast),
    bias: u(a.brightness),
  };
}

/**
 * theta (output → input, normalised coordinates) for an augmentation: the output shows the input
 * rotated by `angle` and zoomed by `scale` about the centre, then shifted by (tx, ty).
 * Output o maps to input A·(o − t) with A = R(−angle)/scale.
 */
export function augmentTheta(a: Augment): number[] {
  const c = Math.cos(-a.angle) / a.scale;
  const s = Math.sin(-a.angle) / a.scale;
  // in = A·o − A·t
  const bx = -(c * a.tx - s * a.ty);
  const by = -(s * a.tx + c * a.ty);
  return [c, -s, bx, s, c, by];
}

/** Where a grid point of the input lands in the augmented output: o = A⁻¹·in + t. */
export function augmentPoint(a: Augment, p: Point, size: number): Point {
  const xn = (2 * p.x + 1) / size - 1;
  const yn = (2 * p.y + 1) / size - 1;
  const c = Math.cos(a.angle) * a.scale;
  const s = Math.sin(a.angle) * a.scale;
  const ox = c * xn - s * yn + a.tx;
  const oy = s * xn + c * yn + a.ty;
  return { x: ((ox + 1) * size - 1) / 2, y: ((oy + 1) * size - 1) / 2 };
}

/** Warps images (B,1,S,S) by per-image augmentations on the device. */
export function applyAugment(images: Tensor, augs: Augment[]): Tensor {
  const B = augs.length;
  if (
    augs.every(
      (a) => a.angle === 0 && a.scale === 1 && a.tx === 0 && a.ty === 0 && a.gain === 1 && a.bias === 0,
    )
  ) {
    return images;
  }
  const [, C, H, W] = images.shape;
  const theta = new Float32Array(B * 6);
  const gain = new Float32Array(B);
  const bias = new Float32Array(B);
  augs.forEach((a, i) => {
    theta.set(augmentTheta(a), 6 * i);
    gain[i] = a.gain;
    bias[i] = a.bias;
  });
  const dev = images.device;
  const grid = F.affineGrid(Tensor.from(theta, [B, 2, 3], { device: dev }), [B, C, H, W], false);
  const warped = F.gridSample(images, grid, { mode: 'bilinear', paddingMode: 'zeros', alignCorners: false });
  return warped
    .mul(Tensor.from(gain, [B, 1, 1, 1], { device: dev }))
    .add(Tensor.from(bias, [B, 1, 1, 1], { device: dev }))
    .clamp(0, 1);
}
