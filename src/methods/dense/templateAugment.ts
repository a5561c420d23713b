/**
 * Template augmentation for C-ATD (METHODS §4), on the device: random similarity transforms
 * (shift, scale, rotation), an optional smooth elastic displacement, and intensity jitter (gain,
 * bias, gamma), applied with affine_grid + grid_sample; the landmarks are carried through the SAME
 * mapping exactly (the elastic part by a fixed-point inversion of the displacement field).
 *
 * Coordinates: normalised [-1, 1] with align_corners=false (pixel centre j at (2j+1)/S − 1). The
 * warp is output → input, as grid_sample reads it:
 *   in = A·(out − t) + d(out),   A = R(−angle)/scale
 * where d is a displacement field given on a k×k control grid and upsampled bilinearly
 * (align_corners=true) to the image grid. A landmark p of the input lands at the `out` that solves
 * A·(out − t) + d(out) = p; d is smooth and small, so out ← t + A⁻¹(p − d(out)) converges fast.
 */
import { F, Tensor, tidy } from '../../engine';
import { random } from '../../engine';
import type { Point } from '../../data/types';
import { augmentTheta, drawAugment, type Augment } from '../shared/augment';

export interface TemplateAugConfig {
  /** Augmented template copies in every batch (METHODS §4: these copies join every batch). */
  copies: number;
  /** Shift, ± fraction of the image side. */
  shift: number;
  /** Scale jitter, ± fraction (0.05 = 0.95..1.05). */
  scale: number;
  rotationDeg: number;
  /** Intensity: additive ±brightness, multiplicative ±contrast, gamma in [1/(1+g), 1+g]. */
  brightness: number;
  contrast: number;
  gamma: number;
  /** Optional elastic part: control points per side and their max displacement (fraction of the side). */
  elastic: { grid: number; alpha: number } | null;
}

/** FM-OSD's template augmentation (shift ±2%, scale ±1%, rotation ±5°) plus mild intensity jitter. */
export const FMOSD_TEMPLATE_AUG: TemplateAugConfig = {
  copies: 2,
  shift: 0.02,
  scale: 0.01,
  rotationDeg: 5,
  brightness: 0.1,
  contrast: 0.15,
  gamma: 0.2,
  elastic: null,
};

/** One drawn transform: the heatmap stages' similarity + intensity jitter, and more. */
export interface TemplateWarp extends Augment {
  gamma: number;
  /** Control-grid displacements (normalised units), [k*k] each for x and y; null = none. */
  elastic: { k: number; dx: Float32Array; dy: Float32Array } | null;
}

export function drawWarp(c: TemplateAugConfig): TemplateWarp {
  const u = (r: number) => (2 * random() - 1) * r;
  let elastic: TemplateWarp['elastic'] = null;
  if (c.elastic && c.elastic.alpha > 0) {
    const k = Math.max(2, Math.round(c.elastic.grid));
    const dx = new Float32Array(k * k);
    const dy = new Float32Array(k * k);
    // alpha is a fraction of the side; the normalised span is 2.
    for (let i = 0; i < k * k; i++) {
      dx[i] = 2 * u(c.elastic.alpha);
      dy[i] = 2 * u(c.elastic.alpha);
    }
    elastic = { k, dx, dy };
  }
  const g = 1 + Math.abs(c.gamma);
  // The draws keep their order: elastic field, the similarity + intensity jitter, then gamma.
  const similarity = drawAugment(c);
  return { ...similarity, gamma: c.gamma > 0 ? Math.exp(u(Math.log(g))) : 1, elastic };
}

/** The displacement at a normalised output position, exactly as the upsampled field gives it. */
function displacementAt(w: TemplateWarp, ox: number, oy: number, size: number): [number, number] {
  const e = w.elastic;
  if (!e) return [0, 0];
  const k = e.k;
  // Pixel index of the position, then its place on the control grid (align_corners=true upsampling).
  const toCtrl = (o: number) => {
    const j = ((o + 1) * size - 1) / 2;
    return Math.max(0, Math.min(k - 1, (j * (k - 1)) / (size - 1)));
  };
  const u = toCtrl(ox);
  const v = toCtrl(oy);
  const u0 = Math.min(k - 2, Math.floor(u));
  const v0 = Math.min(k - 2, Math.floor(v));
  const fu = u - u0;
  const fv = v - v0;
  const at = (a: Float32Array) =>
    (1 - fv) * ((1 - fu) * a[v0 * k + u0] + fu * a[v0 * k + u0 + 1]) +
    fv * ((1 - fu) * a[(v0 + 1) * k + u0] + fu * a[(v0 + 1) * k + u0 + 1]);
  return [at(e.dx), at(e.dy)];
}

/** Where input grid point p (pixels of an S×S grid) appears in the warped image. */
export function warpPoint(w: TemplateWarp, p: Point, size: number): Point {
  const px = (2 * p.x + 1) / size - 1;
  const py = (2 * p.y + 1) / size - 1;
  // A⁻¹ = scale·R(angle).
  const c = Math.cos(w.angle) * w.scale;
  const s = Math.sin(w.angle) * w.scale;
  const solve = (dx: number, dy: number): [number, number] => {
    const qx = px - dx;
    const qy = py - dy;
    return [c * qx - s * qy + w.tx, s * qx + c * qy + w.ty];
  };
  let [ox, oy] = solve(0, 0);
  if (w.elastic) {
    for (let it = 0; it < 100; it++) {
      const [dx, dy] = displacementAt(w, ox, oy, size);
      const [nx, ny] = solve(dx, dy);
      const moved = Math.abs(nx - ox) + Math.abs(ny - oy);
      ox = nx;
      oy = ny;
      if (moved < 1e-9) break;
    }
  }
  return { x: ((ox + 1) * size - 1) / 2, y: ((oy + 1) * size - 1) / 2 };
}

/**
 * Warps `image` (1, C, S, S) into `warps.length` augmented copies (B, C, S, S) on its device, and
 * returns their landmarks (null stays null).
 */
export function augmentTemplate(
  image: Tensor,
  points: (Point | null)[],
  warps: TemplateWarp[],
): { images: Tensor; points: (Point | null)[][] } {
  const [, C, H, W] = image.shape;
  if (H !== W) throw new Error(`augmentTemplate: expects a square image, got ${W}x${H}`);
  const B = warps.length;
  const dev = image.device;
  const images = tidy(() => {
    const th = new Float32Array(B * 6);
    warps.forEach((w, i) => th.set(augmentTheta(w), 6 * i));
    let grid = F.affineGrid(Tensor.from(th, [B, 2, 3], { device: dev }), [B, C, H, W], false);
    const k = warps.find((w) => w.elastic)?.elastic?.k;
    if (k !== undefined) {
      const ctrl = new Float32Array(B * 2 * k * k);
      warps.forEach((w, i) => {
        if (!w.elastic) return;
        if (w.elastic.k !== k)
          throw new Error('augmentTemplate: every elastic warp of a batch needs the same grid');
        ctrl.set(w.elastic.dx, 2 * i * k * k);
        ctrl.set(w.elastic.dy, (2 * i + 1) * k * k);
      });
      const field = F.interpolate(Tensor.from(ctrl, [B, 2, k, k], { device: dev }), {
        size: [H, W],
        mode: 'bilinear',
        alignCorners: true,
      });
      grid = grid.add(field.permute([0, 2, 3, 1]));
    }
    const src = image.expand([B, C, H, W]);
    const warped = F.gridSample(src, grid, { mode: 'bilinear', paddingMode: 'zeros', alignCorners: false });
    const gain = Tensor.from(Float32Array.from(warps.map((w) => w.gain)), [B, 1, 1, 1], { device: dev });
    const bias = Tensor.from(Float32Array.from(warps.map((w) => w.bias)), [B, 1, 1, 1], { device: dev });
    const gamma = Tensor.from(Float32Array.from(warps.map((w) => w.gamma)), [B, 1, 1, 1], { device: dev });
    // Gamma on [0,1] intensities (clamped first so pow stays real), then gain and bias.
    return warped.clamp(0, 1).pow(gamma).mul(gain).add(bias).clamp(0, 1);
  });
  return { images, points: warps.map((w) => points.map((p) => (p ? warpPoint(w, p, H) : null))) };
}
