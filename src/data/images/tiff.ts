/** TIFF (8/16-bit grey or RGB, float; uncompressed, LZW, Deflate, PackBits) via the pure-JS `tiff` package. */
import { decode } from 'tiff';
import { DataError } from '../errors';
import { toGray } from './pixels';
import type { RawGray } from './raw';

export function decodeTiffGray(bytes: Uint8Array, path: string): RawGray {
  let ifds;
  try {
    ifds = decode(bytes, { pages: [0] });
  } catch (e) {
    throw new DataError(path, `not a readable TIFF: ${(e as Error).message}`, { cause: e });
  }
  const ifd = ifds[0];
  if (!ifd) throw new DataError(path, 'TIFF has no image');
  const { width, height } = ifd;
  const pixels = width * height;
  const channels = ifd.samplesPerPixel || 1;
  const bits = ifd.bitsPerSample;
  const src = ifd.data;
  if (!src || src.length < pixels * channels)
    throw new DataError(path, 'TIFF pixel data is shorter than its header says (truncated?)');
  let data: Float32Array | Uint16Array | Uint8Array;
  if (src instanceof Float32Array || src instanceof Float64Array) {
    const f = new Float32Array(pixels);
    for (let i = 0; i < pixels; i++) f[i] = src[i * channels]!;
    data = f;
  } else if (ifd.palette) {
    const rgb = new Uint16Array(pixels * 3);
    for (let i = 0; i < pixels; i++) {
      const c = ifd.palette[src[i]!] ?? [0, 0, 0];
      rgb[i * 3] = c[0] >> 8;
      rgb[i * 3 + 1] = c[1] >> 8;
      rgb[i * 3 + 2] = c[2] >> 8;
    }
    data = Uint8Array.from(toGray(rgb, 3, pixels));
  } else {
    data = toGray(src as Uint8Array | Uint16Array, channels, pixels);
  }
  // WhiteIsZero (photometric 0) is inverted by the decoder already: bright = dense, as elsewhere.
  const bitsStored = data instanceof Float32Array ? 32 : ifd.palette ? 8 : bits;
  return { width, height, data, bitsStored };
}
