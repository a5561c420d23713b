import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encode as encodePng } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { DataError, decodeImage, detectImageFormat, readImage, readImageInfo } from '../../../src/data';
import { encodeJpegBaseline } from '../helpers/codecs';
import { testPattern, withTempDir, writeBmp, writeTiff } from '../helpers/imageWriters';

const W = 29;
const H = 17;
const px8 = testPattern(W, H, 255);
const px16 = testPattern(W, H, 65535);

describe('PNG', () => {
  it('reads 8-bit grey exactly', async () => {
    const png = encodePng({ width: W, height: H, data: Uint8Array.from(px8), channels: 1, depth: 8 });
    const img = await decodeImage(png, 'a.png');
    expect(img.source.format).toBe('png');
    expect(img.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(img.data)).toEqual(px8);
    expect(img.bitsStored).toBe(8);
  });

  it('reads 16-bit grey exactly, as Uint16', async () => {
    const png = encodePng({ width: W, height: H, data: Uint16Array.from(px16), channels: 1, depth: 16 });
    const img = await decodeImage(png, 'a16.png');
    expect(img.data).toBeInstanceOf(Uint16Array);
    expect(img.bitsStored).toBe(16);
    expect(Array.from(img.data)).toEqual(px16);
  });

  it('reduces RGBA to grey (luma), equal channels unchanged', async () => {
    const rgba = new Uint8Array(W * H * 4);
    px8.forEach((v, i) => rgba.set([v, v, v, 255], i * 4));
    rgba.set([255, 0, 0, 255], 0); // one red pixel: luma 0.299 * 255
    const img = await decodeImage(
      encodePng({ width: W, height: H, data: rgba, channels: 4, depth: 8 }),
      'rgba.png',
    );
    expect(img.data[0]).toBe(76);
    expect(Array.from(img.data).slice(1)).toEqual(px8.slice(1));
  });

  it('reports a truncated PNG with the file name', async () => {
    const png = encodePng({ width: W, height: H, data: Uint8Array.from(px8), channels: 1, depth: 8 });
    await expect(decodeImage(png.subarray(0, 60), '/x/cut.png')).rejects.toThrow(/^\/x\/cut\.png: /);
  });
});

describe('TIFF', () => {
  it('reads 8-bit grey exactly', async () => {
    const img = await decodeImage(writeTiff(Uint8Array.from(px8), W, H), 'a.tif');
    expect(img.source.format).toBe('tiff');
    expect(Array.from(img.data)).toEqual(px8);
    expect(img.bitsStored).toBe(8);
  });

  it('reads 16-bit grey exactly, as Uint16', async () => {
    const img = await decodeImage(writeTiff(Uint16Array.from(px16), W, H), 'a16.tif');
    expect(img.data).toBeInstanceOf(Uint16Array);
    expect(img.bitsStored).toBe(16);
    expect(Array.from(img.data)).toEqual(px16);
  });
});

describe('BMP', () => {
  for (const [label, opts] of [
    ['24-bit bottom-up', { bpp: 24 }],
    ['24-bit top-down', { bpp: 24, topDown: true }],
    ['8-bit palette', { bpp: 8 }],
    ['32-bit', { bpp: 32 }],
  ] as const) {
    it(`reads ${label} exactly`, async () => {
      const img = await decodeImage(writeBmp(Uint8Array.from(px8), W, H, opts), 'a.bmp');
      expect(img.source.format).toBe('bmp');
      expect([img.width, img.height]).toEqual([W, H]);
      expect(Array.from(img.data)).toEqual(px8);
    });
  }

  it('reports a truncated BMP with sizes', async () => {
    const bmp = writeBmp(Uint8Array.from(px8), W, H);
    await expect(decodeImage(bmp.subarray(0, 200), 'cut.bmp')).rejects.toThrow(
      /cut\.bmp: BMP: file is truncated/,
    );
  });
});

describe('JPEG', () => {
  const SW = 64;
  const SH = 40;
  const smooth = Uint8Array.from({ length: SW * SH }, (_, i) =>
    Math.round(128 + 90 * Math.sin((i % SW) / 6) * Math.cos(Math.floor(i / SW) / 5)),
  );

  it('reads a grey JPEG close to its source', async () => {
    const jpeg = await encodeJpegBaseline(smooth, SW, SH, 1, 90);
    const img = await decodeImage(jpeg, 'a.jpg');
    expect(img.source.format).toBe('jpeg');
    expect([img.width, img.height, img.bitsStored]).toEqual([SW, SH, 8]);
    const mean = Array.from(img.data).reduce((s, v, i) => s + Math.abs(v - smooth[i]!), 0) / smooth.length;
    expect(mean).toBeLessThan(3);
  });

  it('a truncated JPEG is an error naming the file, not a grey-padded image', async () => {
    const jpeg = await encodeJpegBaseline(smooth, SW, SH, 1, 90);
    const err = await decodeImage(jpeg.subarray(0, Math.floor(jpeg.length * 0.7)), '/data/cut.jpg').catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toMatch(/^\/data\/cut\.jpg: truncated JPEG/);
  });

  it('a corrupt JPEG body is an error naming the file', async () => {
    const jpeg = await encodeJpegBaseline(smooth, SW, SH, 1, 90);
    const bad = jpeg.slice();
    bad.fill(0xff, 20, 200); // wreck the tables, keep SOI and EOI
    await expect(decodeImage(bad, 'bad.jpg')).rejects.toThrow(/bad\.jpg: /);
  });
});

describe('reading files', () => {
  it('sniffs the format from the bytes, not the extension', async () => {
    await withTempDir(async (dir) => {
      const f = join(dir, 'really-a-png.jpg');
      await writeFile(
        f,
        encodePng({ width: W, height: H, data: Uint8Array.from(px8), channels: 1, depth: 8 }),
      );
      const img = await readImage(f);
      expect(img.source).toEqual({ path: f, format: 'png' });
      expect(detectImageFormat(await readFile(f), f)).toBe('png');
    });
  });

  it('non-DICOM images have no spacing unless the caller gives one', async () => {
    const png = encodePng({ width: W, height: H, data: Uint8Array.from(px8), channels: 1, depth: 8 });
    expect((await decodeImage(png, 'a.png')).spacing).toEqual({ x: 1, y: 1, source: 'none' });
    expect(
      (await decodeImage(png, 'a.png', { spacing: { x: 0.1, y: 0.1, source: 'dataset' } })).spacing,
    ).toEqual({ x: 0.1, y: 0.1, source: 'dataset' });
  });

  it('missing file, empty file and unknown format give clear errors', async () => {
    await withTempDir(async (dir) => {
      await expect(readImage(join(dir, 'nope.png'))).rejects.toThrow(/nope\.png: file not found/);
      await writeFile(join(dir, 'empty.png'), '');
      await expect(readImage(join(dir, 'empty.png'))).rejects.toThrow(/empty\.png: file is empty/);
      await writeFile(join(dir, 'text.png'), 'hello there');
      await expect(readImage(join(dir, 'text.png'))).rejects.toThrow(/text\.png: unrecognised image format/);
    });
  });

  it('header-only info agrees with the decoded image for every format', async () => {
    await withTempDir(async (dir) => {
      const files: Array<[string, Uint8Array]> = [
        ['a.png', encodePng({ width: W, height: H, data: Uint16Array.from(px16), channels: 1, depth: 16 })],
        ['a.tif', writeTiff(Uint8Array.from(px8), W, H)],
        ['a.bmp', writeBmp(Uint8Array.from(px8), W, H)],
        [
          'a.jpg',
          await encodeJpegBaseline(
            Uint8Array.from({ length: 64 * 32 }, (_, i) => i % 200),
            64,
            32,
            1,
            75,
          ),
        ],
      ];
      for (const [name, bytes] of files) {
        const f = join(dir, name);
        await writeFile(f, bytes);
        const info = await readImageInfo(f);
        const img = await readImage(f);
        expect([info.width, info.height, info.bitsStored, info.format], name).toEqual([
          img.width,
          img.height,
          img.bitsStored,
          img.source.format,
        ]);
        expect(info.fileSize).toBe(bytes.length);
      }
    });
  });

  it('header-only info finds a truncated JPEG', async () => {
    await withTempDir(async (dir) => {
      const jpeg = await encodeJpegBaseline(
        Uint8Array.from({ length: 64 * 32 }, (_, i) => i % 200),
        64,
        32,
        1,
        75,
      );
      const f = join(dir, 'cut.jpg');
      await writeFile(f, jpeg.subarray(0, jpeg.length - 40));
      await expect(readImageInfo(f)).rejects.toThrow(/cut\.jpg: truncated JPEG/);
    });
  });
});
