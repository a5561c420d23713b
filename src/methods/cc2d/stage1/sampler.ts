/**
 * Stage-1 samples (METHODS §1): a random patch of each training image, a point inside it, and the
 * point's position in the whole image. The patch is cut, rotated and scaled on the device with
 * affine_grid/grid_sample; JavaScript only draws a few scalars per sample and carries the point
 * through the same transform, so the tracked point stays on the same image content.
 */
import { F, Tensor } from '../../../engine';
import { random } from '../../../engine';
import type { Point } from '../../../data/types';
import type { Stage1Config } from '../config';

/** The draws behind one sample, all in pixel units of the training grid. */
export interface PatchParams {
  /** Image index in the stack. */
  index: number;
  /** Patch centre in image pixels (pixel centres at integers). */
  cx: number;
  cy: number;
  /** Rotation in radians (patch frame → image frame) and scale (patch pixel → image pixels). */
  angle: number;
  scale: number;
  /** The point in patch pixels. */
  u: number;
  v: number;
  /** Intensity jitter: out = in·(1 + contrast) + brightness. */
  brightness: number;
  contrast: number;
}

export interface Stage1Batch {
  /** (B, 1, S, S) whole images. */
  images: Tensor;
  /** (B, 1, P, P) augmented patches. */
  patches: Tensor;
  /** The points in patch pixels, k per sample, sample by sample. */
  patchPoints: Point[];
  /** The same points in image pixels. */
  imagePoints: Point[];
  params: PatchParams[];
}

const uniform = (a: number, b: number) => a + (b - a) * random();

/** Patch pixel → image pixel under a sample's transform. */
export function patchToImage(p: PatchParams, patch: number, u: number, v: number): Point {
  const ox = (u - (patch - 1) / 2) * p.scale;
  const oy = (v - (patch - 1) / 2) * p.scale;
  const c = Math.cos(p.angle);
  const s = Math.sin(p.angle);
  return { x: p.cx + c * ox - s * oy, y: p.cy + s * ox + c * oy };
}

/**
 * Draws one sample's parameters. The point is redrawn (a few times at most) until its image
 * position lies inside the image: a rotated patch near the border can carry it outside, and a
 * target outside the map has no class to train.
 */
export function drawPatchParams(index: number, cfg: Stage1Config): PatchParams {
  const S = cfg.size;
  const P = cfg.patch;
  const x0 = Math.floor(random() * (S - P + 1));
  const y0 = Math.floor(random() * (S - P + 1));
  const deg = cfg.rotationDeg;
  const p: PatchParams = {
    index,
    cx: x0 + (P - 1) / 2,
    cy: y0 + (P - 1) / 2,
    angle: (uniform(-deg, deg) * Math.PI) / 180,
    scale: 1 + uniform(-cfg.scaleJitter, cfg.scaleJitter),
    u: 0,
    v: 0,
    brightness: uniform(-cfg.brightness, cfg.brightness),
    contrast: uniform(-cfg.contrast, cfg.contrast),
  };
  for (let tries = 0; ; tries++) {
    p.u = Math.floor(uniform(0.1 * P, 0.9 * P));
    p.v = Math.floor(uniform(0.1 * P, 0.9 * P));
    const q = patchToImage(p, P, p.u, p.v);
    if ((q.x >= 0 && q.y >= 0 && q.x <= S - 1 && q.y <= S - 1) || tries >= 20) {
      if (tries >= 20) {
        // Extremely unlikely; an unrotated patch always contains its point.
        p.angle = 0;
        p.scale = 1;
      }
      return p;
    }
  }
}

/**
 * theta for affine_grid (alignCorners=false): output normalised coords o ∈ [-1, 1] of the P×P
 * patch → input normalised coords of the S×S image. A patch pixel u sits at o·P/2 from the patch
 * centre, so the image position is c + scale·R·(o·P/2), i.e. x_n = c_n + (P/S)·scale·R·o.
 */
export function patchTheta(p: PatchParams, size: number, patch: number): number[] {
  const k = (patch / size) * p.scale;
  const c = Math.cos(p.angle);
  const s = Math.sin(p.angle);
  const cxn = (2 * p.cx + 1) / size - 1;
  const cyn = (2 * p.cy + 1) / size - 1;
  return [k * c, -k * s, cxn, k * s, k * c, cyn];
}

/** Cuts and augments the patches of `params` from `images` (B,1,S,S, one row per param). */
export function cutPatches(images: Tensor, params: PatchParams[], size: number, patch: number): Tensor {
  const B = params.length;
  const theta = new Float32Array(B * 6);
  const gain = new Float32Array(B);
  const bias = new Float32Array(B);
  params.forEach((p, i) => {
    theta.set(patchTheta(p, size, patch), i * 6);
    gain[i] = 1 + p.contrast;
    bias[i] = p.brightness;
  });
  const th = Tensor.from(theta, [B, 2, 3], { device: images.device });
  const grid = F.affineGrid(th, [B, images.shape[1], patch, patch], false);
  const cut = F.gridSample(images, grid, { mode: 'bilinear', paddingMode: 'zeros', alignCorners: false });
  const g = Tensor.from(gain, [B, 1, 1, 1], { device: images.device });
  const b = Tensor.from(bias, [B, 1, 1, 1], { device: images.device });
  return cut.mul(g).add(b).clamp(0, 1);
}

/**
 * `k` points of one patch (its drawn point first), each inside the image after the transform.
 * Extra points share the patch's forward pass: more supervision per pass at a tiny cost.
 */
export function patchPoints(
  p: PatchParams,
  cfg: Stage1Config,
  k: number,
): { patch: Point[]; image: Point[] } {
  const P = cfg.patch;
  const S = cfg.size;
  const patch: Point[] = [{ x: p.u, y: p.v }];
  const image: Point[] = [patchToImage(p, P, p.u, p.v)];
  while (patch.length < k) {
    let u = p.u;
    let v = p.v;
    for (let tries = 0; tries < 20; tries++) {
      const cu = Math.floor(uniform(0.1 * P, 0.9 * P));
      const cv = Math.floor(uniform(0.1 * P, 0.9 * P));
      const q = patchToImage(p, P, cu, cv);
      if (q.x >= 0 && q.y >= 0 && q.x <= S - 1 && q.y <= S - 1) {
        u = cu;
        v = cv;
        break;
      }
    }
    patch.push({ x: u, y: v });
    image.push(patchToImage(p, P, u, v));
  }
  return { patch, image };
}

/** Builds a stage-1 batch from an image stack (N,1,S,S) on the device, `k` points per patch. */
export function sampleStage1Batch(stack: Tensor, indices: number[], cfg: Stage1Config, k = 1): Stage1Batch {
  const params = indices.map((i) => drawPatchParams(i, cfg));
  const pts = params.map((p) => patchPoints(p, cfg, k));
  const idx = Tensor.from(Int32Array.from(indices), [indices.length], { device: stack.device }).long();
  const images = stack.indexSelect(0, idx);
  const patches = cutPatches(images, params, cfg.size, cfg.patch);
  return {
    images,
    patches,
    patchPoints: pts.flatMap((q) => q.patch),
    imagePoints: pts.flatMap((q) => q.image),
    params,
  };
}
