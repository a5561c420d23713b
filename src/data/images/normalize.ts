/** Intensities to Float32 in [0, 1], the input range the methods train on. */
import type { GrayImage } from '../types';

/**
 * - 'bits': divide by 2^bitsStored - 1 (8-bit images: /255, as torchvision's ToTensor does);
 * - 'minmax': this image's min..max;
 * - 'percentile': this image's `low`..`high` percentiles (robust to burnt-in labels and collimator edges);
 * - 'auto': 'bits' for 8-bit non-DICOM images, 'minmax' otherwise (DICOM values after rescale, 12/16-bit
 *   data whose used range is far below 2^bits).
 */
export type NormalizeMode = 'auto' | 'bits' | 'minmax' | 'percentile';

export interface NormalizeOptions {
  mode?: NormalizeMode;
  /** Percentiles for 'percentile', in 0..100; default 0.5 and 99.5. */
  low?: number;
  high?: number;
}

function percentiles(data: ArrayLike<number>, lowPct: number, highPct: number): [number, number] {
  // Sample at most ~1M values: percentiles of a radiograph do not need every pixel.
  const step = Math.max(1, Math.floor(data.length / 1_000_000));
  const n = Math.ceil(data.length / step);
  const s = new Float32Array(n);
  for (let i = 0, k = 0; i < data.length; i += step, k++) s[k] = data[i]!;
  s.sort();
  const at = (p: number): number => s[Math.min(n - 1, Math.max(0, Math.round((p / 100) * (n - 1))))]!;
  return [at(lowPct), at(highPct)];
}

/** The [lo, hi] range a mode maps to [0, 1]. */
export function normalizationRange(img: GrayImage, opts: NormalizeOptions = {}): [number, number] {
  let mode = opts.mode ?? 'auto';
  if (mode === 'auto') mode = img.bitsStored <= 8 && img.source.format !== 'dicom' ? 'bits' : 'minmax';
  if (mode === 'bits') return [0, 2 ** Math.min(img.bitsStored, 31) - 1];
  if (mode === 'percentile') return percentiles(img.data, opts.low ?? 0.5, opts.high ?? 99.5);
  let lo = Infinity;
  let hi = -Infinity;
  const d = img.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo === Infinity ? [0, 1] : [lo, hi];
}

/** Float32 copy of the data mapped to [0, 1] (clamped); a constant image maps to 0. */
export function normalizeGray(img: GrayImage, opts: NormalizeOptions = {}): Float32Array {
  const [lo, hi] = normalizationRange(img, opts);
  const d = img.data;
  const out = new Float32Array(d.length);
  const span = hi - lo;
  if (!(span > 0)) return out;
  const inv = 1 / span;
  for (let i = 0; i < d.length; i++) {
    const v = (d[i]! - lo) * inv;
    out[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return out;
}
