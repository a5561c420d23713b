/**
 * Crops for C-F2's fine stage, cut on the device with affine_grid/grid_sample from an image at
 * original resolution: a P×P crop centred at c (original pixels), `scale` original pixels per crop
 * pixel, optionally rotated. Crop pixel (u, v) shows original position
 *   c + scale·R(angle)·((u, v) − (P−1)/2)
 * and `toCrop`/`fromCrop` map points exactly both ways.
 */
import type { Device } from '../../engine';
import { F, Tensor, tidy } from '../../engine';
import { normalizeGray } from '../../data/images/normalize';
import type { ImageRef } from '../../runs/imageStack';
import type { Point } from '../../data/types';

export interface CropSpec {
  center: Point;
  /** Original pixels per crop pixel. */
  scale: number;
  angle: number;
}

export function fromCrop(s: CropSpec, p: Point, P: number): Point {
  const u = p.x - (P - 1) / 2;
  const v = p.y - (P - 1) / 2;
  const c = Math.cos(s.angle) * s.scale;
  const n = Math.sin(s.angle) * s.scale;
  return { x: s.center.x + c * u - n * v, y: s.center.y + n * u + c * v };
}

export function toCrop(s: CropSpec, q: Point, P: number): Point {
  const dx = q.x - s.center.x;
  const dy = q.y - s.center.y;
  const c = Math.cos(s.angle) / s.scale;
  const n = Math.sin(s.angle) / s.scale;
  // R(−angle)/scale
  return { x: c * dx + n * dy + (P - 1) / 2, y: -n * dx + c * dy + (P - 1) / 2 };
}

/** theta (crop → image, normalised, align_corners=false) for affine_grid. */
function cropTheta(s: CropSpec, P: number, W: number, H: number): number[] {
  const c = Math.cos(s.angle) * s.scale;
  const n = Math.sin(s.angle) * s.scale;
  // x_img = cx + c·u' − n·v' with u' = o_x·P/2 (crop normalised o), x_n = (2x+1)/W − 1.
  return [
    (c * P) / W,
    (-n * P) / W,
    (2 * s.center.x + 1) / W - 1,
    (n * P) / H,
    (c * P) / H,
    (2 * s.center.y + 1) / H - 1,
  ];
}

/**
 * Cuts crops (B, 1, P, P) from images. `image` is (1, 1, H, W) shared by all crops, or (B, 1, H, W)
 * one per crop. Outside the image the crop is 0.
 */
export function cutCrops(image: Tensor, specs: CropSpec[], P: number): Tensor {
  return tidy(() => {
    const [n, C, H, W] = image.shape;
    const B = specs.length;
    const th = new Float32Array(B * 6);
    specs.forEach((s, i) => th.set(cropTheta(s, P, W, H), 6 * i));
    const grid = F.affineGrid(Tensor.from(th, [B, 2, 3], { device: image.device }), [B, C, P, P], false);
    const src = n === B ? image : image.expand([B, C, H, W]);
    return F.gridSample(src, grid, { mode: 'bilinear', paddingMode: 'zeros', alignCorners: false });
  });
}

/** An image at original resolution as (1, 1, H, W) in [0, 1], and its size. */
export async function loadOriginal(
  ref: ImageRef,
  device: Device = 'cpu',
): Promise<{ tensor: Tensor; width: number; height: number }> {
  // The loader resizes to a long side; asking for the original's long side gives the original grid.
  const probe = await ref.load(64);
  const width = probe.original?.width ?? probe.width;
  const height = probe.original?.height ?? probe.height;
  const long = Math.max(width, height);
  const full = probe.width === width && probe.height === height ? probe : await ref.load(long);
  if (full.width !== width || full.height !== height) {
    throw new Error(
      `image ${ref.id}: loaded at ${full.width}x${full.height}, expected its original ${width}x${height}`,
    );
  }
  // The same [0, 1] normalisation as the training stacks (runs/imageStack), without the resize.
  const data = normalizeGray(full);
  let t = Tensor.from(data, [1, 1, height, width]);
  if (device !== 'cpu') {
    const m = t.to(device);
    t.dispose();
    t = m;
  }
  return { tensor: t, width, height };
}
