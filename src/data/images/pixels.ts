/** Pixel-array helpers shared by the readers: channel reduction to grayscale and typed-array picks. */

export type GrayData = Float32Array | Uint16Array | Uint8Array;

/**
 * Interleaved samples (`channels` per pixel) to one grey channel. One or two channels (grey + alpha)
 * take the first; three or more use Rec. 601 luma in integer arithmetic, so images whose channels are
 * identical (ISBI's JPEGs are stored that way) come back exactly unchanged.
 */
export function toGray(
  data: Uint8Array | Uint16Array,
  channels: number,
  pixels: number,
): Uint8Array | Uint16Array {
  if (channels === 1) return data.length === pixels ? data : data.subarray(0, pixels);
  const out = data instanceof Uint16Array ? new Uint16Array(pixels) : new Uint8Array(pixels);
  if (channels === 2) {
    for (let i = 0, j = 0; i < pixels; i++, j += 2) out[i] = data[j]!;
    return out;
  }
  for (let i = 0, j = 0; i < pixels; i++, j += channels) {
    const r = data[j]!;
    const g = data[j + 1]!;
    const b = data[j + 2]!;
    // (299 + 587 + 114) = 1000, so equal channels give r back exactly.
    out[i] = r === g && g === b ? r : ((299 * r + 587 * g + 114 * b + 500) / 1000) | 0;
  }
  return out;
}

/** Planar (RRR..GGG..BBB..) to interleaved, for DICOM's PlanarConfiguration = 1. */
export function planarToInterleaved<T extends Uint8Array | Uint16Array>(
  data: T,
  channels: number,
  pixels: number,
): T {
  const out = new (data.constructor as new (n: number) => T)(pixels * channels);
  for (let c = 0; c < channels; c++) {
    const base = c * pixels;
    for (let i = 0; i < pixels; i++) out[i * channels + c] = data[base + i]!;
  }
  return out;
}

/** Min and max of the finite samples (NaN-free input assumed for integer arrays). */
export function minMax(data: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === Infinity) return { min: 0, max: 0 };
  return { min, max };
}
