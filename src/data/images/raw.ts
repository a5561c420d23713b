/** What each format decoder returns before spacing and provenance are attached. */
export interface RawGray {
  width: number;
  height: number;
  data: Float32Array | Uint16Array | Uint8Array;
  bitsStored: number;
}

/** Pixel count guard: a header that claims a 100k x 100k image is corrupt, not a radiograph. */
export const MAX_PIXELS = 30_000 * 30_000;

export function checkDims(width: number, height: number): string | null {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    return `invalid image size ${width} x ${height}`;
  }
  if (width * height > MAX_PIXELS) return `image size ${width} x ${height} is implausibly large`;
  return null;
}
