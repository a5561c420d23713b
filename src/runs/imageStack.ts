/**
 * Training images held in memory as one Float32 tensor stack (N, 1, S, S) at the training
 * resolution, values in [0, 1]. Each image is decoded and resized once (the data layer's disk
 * cache makes later runs skip the decode); 150 images at 384² are 88 MB.
 *
 * Images are squashed to S×S (aspect not kept), as CC2D does; the pixel-centre mapping
 * x_grid = (x + 0.5)·S/W − 0.5 relates the grid to original pixels (see methods/shared/geometry).
 */
import { Tensor, type Device } from '../engine';
import { normalizeGray } from '../data/images/normalize';
import { resizeGray } from '../data/images/resize';
import type { GrayImage, Spacing } from '../data/types';
import { prefetch } from './prefetch';

/** An image the run can load; no labels travel with it (the template's come separately). */
export interface ImageRef {
  id: string;
  /**
   * The image, optionally already downscaled so its long side is about `longSide`
   * (`original` then gives the full-resolution size the landmarks refer to).
   */
  load(
    longSide: number,
  ): Promise<GrayImage & { original?: { width: number; height: number; spacing?: Spacing } }>;
}

export interface SquareImage {
  id: string;
  /** Full-resolution size (the frame of landmark coordinates). */
  width: number;
  height: number;
  /** mm per original pixel, when the image knows it. */
  spacing?: Spacing;
  /** size×size intensities in [0, 1], row-major. */
  data: Float32Array;
}

/** Loads one image as a size×size [0, 1] array. */
export async function loadSquare(ref: ImageRef, size: number): Promise<SquareImage> {
  // A cached copy at twice the grid keeps the decode cheap and the area-averaged resize sharp.
  const img = await ref.load(2 * size);
  const width = img.original?.width ?? img.width;
  const height = img.original?.height ?? img.height;
  const sq = img.width === size && img.height === size ? img : resizeGray(img, size, size);
  const data = normalizeGray(sq);
  const spacing = img.original?.spacing ?? (img.original ? undefined : img.spacing);
  return { id: ref.id, width, height, spacing, data };
}

export interface ImageStack {
  ids: string[];
  /** Original sizes, per image. */
  sizes: { width: number; height: number }[];
  /** (N, 1, size, size) float32. */
  tensor: Tensor;
  size: number;
}

/** Builds the stack, decoding the next images while the current one is copied in. */
export async function buildStack(
  refs: readonly ImageRef[],
  size: number,
  opts: { device?: Device; onProgress?: (done: number, total: number) => void; depth?: number } = {},
): Promise<ImageStack> {
  const n = refs.length;
  const all = new Float32Array(n * size * size);
  const sizes: { width: number; height: number }[] = [];
  let i = 0;
  for await (const sq of prefetch(n, (k) => loadSquare(refs[k], size), opts.depth ?? 3)) {
    all.set(sq.data, i * size * size);
    sizes.push({ width: sq.width, height: sq.height });
    i++;
    opts.onProgress?.(i, n);
  }
  const cpu = Tensor.from(all, [n, 1, size, size]);
  const device = opts.device ?? 'cpu';
  let tensor = cpu;
  if (device !== 'cpu') {
    tensor = cpu.to(device);
    cpu.dispose();
  }
  return { ids: refs.map((r) => r.id), sizes, tensor, size };
}

/** Images from memory (synthetic data, tests): `load` ignores the long side. */
export function memoryRef(id: string, img: GrayImage): ImageRef {
  return { id, load: async () => img };
}
