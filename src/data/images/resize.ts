/**
 * Resampling grey images to training resolution, and the pixel-centre coordinate mapping between an
 * original image and its resized copy. Done once per image (then cached on disk), so it favours
 * quality (exact area averaging when shrinking) over the last millisecond.
 */
import type { GrayImage, Point, Spacing } from '../types';

export type ResizeMethod = 'area' | 'bilinear' | 'auto';

/** A resized copy that remembers the image it came from. */
export interface ScaledImage extends GrayImage {
  data: Float32Array;
  /** The full-resolution image's size and spacing; `spacing` above is per resized pixel. */
  original: { width: number; height: number; spacing: Spacing };
}

/** Per output index along one axis: first input index and the weights of consecutive inputs. */
interface AxisWeights {
  start: Int32Array;
  count: Int32Array;
  weights: Float32Array;
  /** Offset of each output's weights in `weights`. */
  offset: Int32Array;
}

function axisWeights(inSize: number, outSize: number, method: 'area' | 'bilinear'): AxisWeights {
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const offset = new Int32Array(outSize);
  const w: number[] = [];
  const scale = inSize / outSize;
  for (let j = 0; j < outSize; j++) {
    offset[j] = w.length;
    if (method === 'area') {
      // Output pixel j covers input interval [j*scale, (j+1)*scale): weight = overlap / scale.
      const a = j * scale;
      const b = Math.min(inSize, (j + 1) * scale);
      const i0 = Math.floor(a);
      const i1 = Math.min(inSize - 1, Math.ceil(b) - 1);
      start[j] = i0;
      count[j] = i1 - i0 + 1;
      for (let i = i0; i <= i1; i++) w.push((Math.min(b, i + 1) - Math.max(a, i)) / (b - a));
    } else {
      // Pixel centres: output j sits at input coordinate (j + 0.5) * scale - 0.5.
      let s = (j + 0.5) * scale - 0.5;
      s = Math.min(Math.max(s, 0), inSize - 1);
      const i0 = Math.min(Math.floor(s), Math.max(0, inSize - 2));
      const f = s - i0;
      start[j] = i0;
      if (inSize === 1) {
        count[j] = 1;
        w.push(1);
      } else {
        count[j] = 2;
        w.push(1 - f, f);
      }
    }
  }
  return { start, count, offset, weights: Float32Array.from(w) };
}

/**
 * Resize to `width` x `height`. 'auto' (default) averages areas along an axis that shrinks (no
 * aliasing) and interpolates bilinearly along one that grows. Returns Float32 intensities in the
 * source's units; `bitsStored` stays the source's (it describes the stored samples).
 */
export function resizeGray(
  img: GrayImage,
  width: number,
  height: number,
  opts: { method?: ResizeMethod } = {},
): ScaledImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`resizeGray: invalid target size ${width} x ${height}`);
  }
  const method = opts.method ?? 'auto';
  const pick = (inS: number, outS: number): 'area' | 'bilinear' =>
    method === 'auto' ? (outS < inS ? 'area' : 'bilinear') : method;
  const W = img.width;
  const H = img.height;
  const src = img.data;
  const xw = axisWeights(W, width, pick(W, width));
  const yw = axisWeights(H, height, pick(H, height));

  // Vertical pass first (height x W): its inner loop runs over contiguous rows, the fast direction,
  // and it shrinks the row count before the gather-style horizontal pass.
  const tmp = new Float32Array(height * W);
  for (let i = 0; i < height; i++) {
    const s = yw.start[i]!;
    const o = yw.offset[i]!;
    const n = yw.count[i]!;
    const trow = i * W;
    for (let k = 0; k < n; k++) {
      const wk = yw.weights[o + k]!;
      const srow = (s + k) * W;
      for (let x = 0; x < W; x++) tmp[trow + x] += src[srow + x]! * wk;
    }
  }
  // Horizontal pass: height x width.
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const trow = y * W;
    const orow = y * width;
    for (let j = 0; j < width; j++) {
      const s = trow + xw.start[j]!;
      const o = xw.offset[j]!;
      const n = xw.count[j]!;
      let acc = 0;
      for (let k = 0; k < n; k++) acc += tmp[s + k]! * xw.weights[o + k]!;
      out[orow + j] = acc;
    }
  }
  const sp = img.spacing;
  return {
    width,
    height,
    data: out,
    bitsStored: img.bitsStored,
    spacing: { x: (sp.x * W) / width, y: (sp.y * H) / height, source: sp.source },
    source: { ...img.source },
    original: { width: W, height: H, spacing: { ...sp } },
  };
}

/** Size with the long side set to `longSide`, aspect kept (each side at least 1). */
export function sizeForLongSide(
  width: number,
  height: number,
  longSide: number,
): { width: number; height: number } {
  if (!(longSide >= 1)) throw new Error(`invalid long side ${longSide}`);
  const s = longSide / Math.max(width, height);
  return width >= height
    ? { width: Math.round(longSide), height: Math.max(1, Math.round(height * s)) }
    : { width: Math.max(1, Math.round(width * s)), height: Math.round(longSide) };
}

export function resizeToLongSide(
  img: GrayImage,
  longSide: number,
  opts: { method?: ResizeMethod } = {},
): ScaledImage {
  const { width, height } = sizeForLongSide(img.width, img.height, longSide);
  return resizeGray(img, width, height, opts);
}

/** Original-pixel coordinates to the resized grid (pixel centres map to pixel centres). */
export function toScaledPoint(p: Point, scaled: Pick<ScaledImage, 'width' | 'height' | 'original'>): Point {
  return {
    x: ((p.x + 0.5) * scaled.width) / scaled.original.width - 0.5,
    y: ((p.y + 0.5) * scaled.height) / scaled.original.height - 0.5,
  };
}

/** Resized-grid coordinates back to original pixels. */
export function fromScaledPoint(p: Point, scaled: Pick<ScaledImage, 'width' | 'height' | 'original'>): Point {
  return {
    x: ((p.x + 0.5) * scaled.original.width) / scaled.width - 0.5,
    y: ((p.y + 0.5) * scaled.original.height) / scaled.height - 0.5,
  };
}
