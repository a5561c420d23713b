/** PNG (1-16 bit, grey, grey+alpha, RGB(A), palette) via fast-png, pure JS. */
import { decode } from 'fast-png';
import { DataError } from '../errors';
import { toGray } from './pixels';
import type { RawGray } from './raw';

/** Unpack 1/2/4-bit rows (each row byte-aligned) to one byte per sample. */
function unpackBits(
  data: Uint8Array,
  width: number,
  height: number,
  channels: number,
  depth: number,
): Uint8Array {
  const samplesPerRow = width * channels;
  const rowBytes = Math.ceil((samplesPerRow * depth) / 8);
  const out = new Uint8Array(samplesPerRow * height);
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let s = 0; s < samplesPerRow; s++) {
      const bit = s * depth;
      const byte = data[y * rowBytes + (bit >> 3)]!;
      out[y * samplesPerRow + s] = (byte >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

/**
 * What a decoder message means for the person holding the file: fast-png reports damage in
 * its own terms ("Error while decompressing the data:", "Unsupported filter: undefined",
 * "Invalid typed array length"), which say nothing about what to do.
 */
export function pngProblem(decoderMessage: string): string {
  const m = decoderMessage.trim();
  const damaged = 'the file is damaged or cut short: copy it again from its source or export it anew';
  if (/decompress|inflate|zlib|invalid (distance|code|block|stored)|unexpected end/i.test(m))
    return `PNG pixel data does not decompress (${m.replace(/:$/, '') || 'zlib error'}); ${damaged}`;
  if (/filter/i.test(m)) return `PNG rows carry an unknown filter type (${m}); ${damaged}`;
  if (/typed array length|out of (range|bounds)|offset|length/i.test(m))
    return `PNG pixel data does not match the size its header gives (${m}); ${damaged}`;
  if (/crc/i.test(m)) return `PNG checksum mismatch (${m}); ${damaged}`;
  if (/signature|not a png|wrong png/i.test(m)) return `not a PNG file (${m})`;
  return `not a readable PNG (${m}); ${damaged}`;
}

export function decodePngGray(bytes: Uint8Array, path: string): RawGray {
  let png;
  try {
    png = decode(bytes);
  } catch (e) {
    throw new DataError(path, pngProblem((e as Error).message), { cause: e });
  }
  const { width, height, depth } = png;
  let channels = png.channels;
  const pixels = width * height;
  let data: Uint8Array | Uint16Array =
    png.data instanceof Uint16Array
      ? png.data
      : new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength);
  if (depth < 8) data = unpackBits(data as Uint8Array, width, height, channels, depth);
  if (png.palette) {
    // Palette indices to RGB, then to grey like any colour image.
    const pal = png.palette;
    const rgb = new Uint8Array(pixels * 3);
    for (let i = 0; i < pixels; i++) {
      const c = pal[data[i]!] ?? [0, 0, 0];
      rgb[i * 3] = c[0]!;
      rgb[i * 3 + 1] = c[1]!;
      rgb[i * 3 + 2] = c[2]!;
    }
    data = rgb;
    channels = 3;
  }
  if (data.length < pixels * channels)
    throw new DataError(path, 'PNG pixel data is shorter than its header says (truncated?)');
  const gray = toGray(data, channels, pixels);
  // Low bit depths stay in their own range (e.g. 0..15 for 4 bit); bitsStored says so.
  return { width, height, data: gray, bitsStored: png.palette ? 8 : depth };
}
