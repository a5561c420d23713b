/** Tiny writers for BMP and TIFF test fixtures (uncompressed), and temp-folder helpers. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** 24-bit (rgb given) or 8-bit palette grey BMP, bottom-up unless topDown. */
export function writeBmp(
  gray: Uint8Array,
  width: number,
  height: number,
  opts: { bpp?: 8 | 24 | 32; topDown?: boolean } = {},
): Uint8Array {
  const bpp = opts.bpp ?? 24;
  const rowBytes = Math.ceil((width * bpp) / 32) * 4;
  const palette = bpp === 8 ? 256 * 4 : 0;
  const offset = 14 + 40 + palette;
  const size = offset + rowBytes * height;
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  b[0] = 0x42;
  b[1] = 0x4d;
  dv.setUint32(2, size, true);
  dv.setUint32(10, offset, true);
  dv.setUint32(14, 40, true);
  dv.setInt32(18, width, true);
  dv.setInt32(22, opts.topDown ? -height : height, true);
  dv.setUint16(26, 1, true);
  dv.setUint16(28, bpp, true);
  dv.setUint32(34, rowBytes * height, true);
  if (bpp === 8) {
    dv.setUint32(46, 256, true);
    for (let i = 0; i < 256; i++) b.set([i, i, i, 0], 54 + i * 4);
  }
  for (let y = 0; y < height; y++) {
    const row = offset + (opts.topDown ? y : height - 1 - y) * rowBytes;
    for (let x = 0; x < width; x++) {
      const v = gray[y * width + x]!;
      if (bpp === 8) b[row + x] = v;
      else if (bpp === 24) b.set([v, v, v], row + x * 3);
      else b.set([v, v, v, 255], row + x * 4);
    }
  }
  return b;
}

/** Uncompressed single-strip grey TIFF, 8 or 16 bit, little endian. */
export function writeTiff(gray: Uint8Array | Uint16Array, width: number, height: number): Uint8Array {
  const bits = gray instanceof Uint16Array ? 16 : 8;
  const dataBytes = width * height * (bits / 8);
  const entries: Array<[number, number, number, number]> = [
    // tag, type (3 SHORT, 4 LONG), count, value
    [256, 4, 1, width],
    [257, 4, 1, height],
    [258, 3, 1, bits],
    [259, 3, 1, 1],
    [262, 3, 1, 1],
    [273, 4, 1, 0], // strip offset, patched below
    [277, 3, 1, 1],
    [278, 4, 1, height],
    [279, 4, 1, dataBytes],
  ];
  const ifdOffset = 8;
  const ifdSize = 2 + entries.length * 12 + 4;
  const dataOffset = ifdOffset + ifdSize;
  entries[5]![3] = dataOffset;
  const b = new Uint8Array(dataOffset + dataBytes);
  const dv = new DataView(b.buffer);
  b.set([0x49, 0x49, 42, 0]);
  dv.setUint32(4, ifdOffset, true);
  dv.setUint16(ifdOffset, entries.length, true);
  entries.forEach(([tag, type, count, value], i) => {
    const o = ifdOffset + 2 + i * 12;
    dv.setUint16(o, tag, true);
    dv.setUint16(o + 2, type, true);
    dv.setUint32(o + 4, count, true);
    if (type === 3) dv.setUint16(o + 8, value, true);
    else dv.setUint32(o + 8, value, true);
  });
  if (bits === 8) b.set(gray as Uint8Array, dataOffset);
  else for (let i = 0; i < gray.length; i++) dv.setUint16(dataOffset + i * 2, gray[i]!, true);
  return b;
}

/** A gradient with some structure, deterministic. */
export function testPattern(width: number, height: number, max: number): number[] {
  const out: number[] = [];
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      out.push(Math.round((((x * 7 + y * 13 + ((x * y) % 17)) % 97) / 96) * max));
  return out;
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'onemark-data-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function makeTempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'onemark-data-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
