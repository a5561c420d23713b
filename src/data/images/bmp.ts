/**
 * BMP (Windows bitmap) decoder: 1/4/8-bit palette, 16/24/32-bit, bottom-up or top-down. The ISBI 2015
 * challenge ships 24-bit BMPs of 1935 x 2400, so this path is hot; it is written for speed.
 */
import { DataError } from '../errors';
import type { RawGray } from './raw';
import { checkDims } from './raw';

function maskShift(mask: number): { shift: number; max: number } {
  if (mask === 0) return { shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { shift, max: mask >>> shift };
}

export function decodeBmpGray(bytes: Uint8Array, path: string): RawGray {
  const fail = (why: string): never => {
    throw new DataError(path, `BMP: ${why}`);
  };
  if (bytes.length < 26 || bytes[0] !== 0x42 || bytes[1] !== 0x4d) fail('not a BMP file');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pixelOffset = dv.getUint32(10, true);
  const headerSize = dv.getUint32(14, true);
  let width: number;
  let heightSigned: number;
  let bpp: number;
  let compression = 0;
  let paletteCount = 0;
  if (headerSize === 12) {
    width = dv.getUint16(18, true);
    heightSigned = dv.getInt16(20, true);
    bpp = dv.getUint16(24, true);
  } else if (headerSize >= 40 && bytes.length >= 54) {
    width = dv.getInt32(18, true);
    heightSigned = dv.getInt32(22, true);
    bpp = dv.getUint16(28, true);
    compression = dv.getUint32(30, true);
    paletteCount = dv.getUint32(46, true);
  } else {
    return fail(`unsupported header size ${headerSize}`);
  }
  const topDown = heightSigned < 0;
  const height = Math.abs(heightSigned);
  const bad = checkDims(width, height);
  if (bad) fail(bad);
  if (compression !== 0 && compression !== 3 && compression !== 6) {
    fail(
      `compression ${compression} (RLE/JPEG/PNG in BMP) is not supported; save as uncompressed BMP or PNG`,
    );
  }
  const rowBytes = Math.ceil((width * bpp) / 32) * 4;
  if (pixelOffset + rowBytes * (height - 1) + Math.ceil((width * bpp) / 8) > bytes.length) {
    fail(
      `file is truncated: ${width} x ${height} at ${bpp} bit needs ${pixelOffset + rowBytes * height} bytes, found ${bytes.length}`,
    );
  }

  const pixels = width * height;
  const out = new Uint8Array(pixels);
  const rowStart = (y: number): number => pixelOffset + (topDown ? y : height - 1 - y) * rowBytes;
  const luma = (r: number, g: number, b: number): number =>
    r === g && g === b ? r : Math.floor((299 * r + 587 * g + 114 * b + 500) / 1000);

  if (bpp <= 8) {
    const entrySize = headerSize === 12 ? 3 : 4;
    const n = paletteCount || 1 << bpp;
    const palStart = 14 + headerSize + (compression === 3 && headerSize === 40 ? 12 : 0);
    const pal = new Uint8Array(256);
    for (let i = 0; i < Math.min(n, 256); i++) {
      const o = palStart + i * entrySize;
      if (o + 2 >= bytes.length) break;
      pal[i] = luma(bytes[o + 2]!, bytes[o + 1]!, bytes[o]!);
    }
    const mask = (1 << bpp) - 1;
    for (let y = 0; y < height; y++) {
      const rs = rowStart(y);
      const ro = y * width;
      if (bpp === 8) {
        for (let x = 0; x < width; x++) out[ro + x] = pal[bytes[rs + x]!]!;
      } else {
        for (let x = 0; x < width; x++) {
          const bit = x * bpp;
          const v = (bytes[rs + (bit >> 3)]! >> (8 - bpp - (bit & 7))) & mask;
          out[ro + x] = pal[v]!;
        }
      }
    }
  } else if (bpp === 24) {
    for (let y = 0; y < height; y++) {
      let s = rowStart(y);
      const ro = y * width;
      for (let x = 0; x < width; x++, s += 3) {
        const b = bytes[s]!;
        const g = bytes[s + 1]!;
        const r = bytes[s + 2]!;
        out[ro + x] = r === g && g === b ? r : Math.floor((299 * r + 587 * g + 114 * b + 500) / 1000);
      }
    }
  } else if (bpp === 16 || bpp === 32) {
    let rMask: number, gMask: number, bMask: number;
    if (compression === 3 || compression === 6) {
      rMask = dv.getUint32(54, true);
      gMask = dv.getUint32(58, true);
      bMask = dv.getUint32(62, true);
    } else if (bpp === 16) {
      rMask = 0x7c00;
      gMask = 0x03e0;
      bMask = 0x001f;
    } else {
      rMask = 0x00ff0000;
      gMask = 0x0000ff00;
      bMask = 0x000000ff;
    }
    const R = maskShift(rMask);
    const G = maskShift(gMask);
    const B = maskShift(bMask);
    const scale = (v: number, m: { max: number }): number => (m.max ? Math.round((v * 255) / m.max) : 0);
    const step = bpp / 8;
    for (let y = 0; y < height; y++) {
      let s = rowStart(y);
      const ro = y * width;
      for (let x = 0; x < width; x++, s += step) {
        const v = step === 2 ? dv.getUint16(s, true) : dv.getUint32(s, true);
        out[ro + x] = luma(
          scale((v & rMask) >>> R.shift, R),
          scale((v & gMask) >>> G.shift, G),
          scale((v & bMask) >>> B.shift, B),
        );
      }
    }
  } else {
    fail(`unsupported bit depth ${bpp}`);
  }
  return { width, height, data: out, bitsStored: 8 };
}
