import { describe, expect, it } from 'vitest';
import { decodeImage, readImageInfo, DataError } from '../../../src/data';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { le16, TS, writeDicom } from '../helpers/dicomWriter';
import { encodeJ2k, encodeJpegBaseline, encodeJpegLS } from '../helpers/codecs';
import { encodeJpegLossless } from '../helpers/jpegLossless';
import { packBits } from '../../../src/data/images/dicom/rle';
import { testPattern, withTempDir } from '../helpers/imageWriters';
import jpegjs from 'jpeg-js';

const W = 37; // odd width: catches row-padding and odd-length bugs
const H = 23;
const px12 = testPattern(W, H, 4095);
const px8 = testPattern(W, H, 255);

function asArray(d: ArrayLike<number>): number[] {
  return Array.from(d);
}

describe('DICOM uncompressed transfer syntaxes', () => {
  for (const [name, ts] of [
    ['Implicit VR LE', TS.implicitLE],
    ['Explicit VR LE', TS.explicitLE],
    ['Explicit VR BE', TS.explicitBE],
    ['Deflated Explicit VR LE', TS.deflatedLE],
  ] as const) {
    it(`reads 12-bit samples in 16 bits: ${name}`, async () => {
      const bytes = writeDicom({
        transferSyntax: ts,
        rows: H,
        columns: W,
        bitsStored: 12,
        pixelData: le16(px12),
        pixelSpacing: [0.15, 0.1],
      });
      const img = await decodeImage(bytes, `${name}.dcm`);
      expect(img.source.format).toBe('dicom');
      expect([img.width, img.height, img.bitsStored]).toEqual([W, H, 12]);
      expect(img.data).toBeInstanceOf(Uint16Array);
      expect(asArray(img.data)).toEqual(px12);
      // PixelSpacing is row\column = y\x.
      expect(img.spacing).toEqual({ x: 0.1, y: 0.15, source: 'PixelSpacing' });
    });
  }

  it('reads 8-bit samples', async () => {
    const bytes = writeDicom({
      transferSyntax: TS.explicitLE,
      rows: H,
      columns: W,
      bitsAllocated: 8,
      pixelData: Uint8Array.from(px8),
    });
    const img = await decodeImage(bytes, 'eight.dcm');
    expect(img.data).toBeInstanceOf(Uint8Array);
    expect(img.bitsStored).toBe(8);
    expect(asArray(img.data)).toEqual(px8);
  });

  it('reads a raw data set without the Part 10 preamble (Implicit VR LE)', async () => {
    const bytes = writeDicom({
      transferSyntax: TS.implicitLE,
      rows: H,
      columns: W,
      pixelData: le16(px12),
      bitsStored: 12,
      noPreamble: true,
    });
    const img = await decodeImage(bytes, 'raw.dcm');
    expect(asArray(img.data)).toEqual(px12);
  });

  it('masks bits above BitsStored (overlay bits) away', async () => {
    const dirty = px12.map((v) => v | 0xf000);
    const bytes = writeDicom({
      transferSyntax: TS.explicitLE,
      rows: H,
      columns: W,
      bitsStored: 12,
      pixelData: le16(dirty),
    });
    expect(asArray((await decodeImage(bytes, 'dirty.dcm')).data)).toEqual(px12);
  });

  it('reads 16-bit signed data with rescale slope/intercept as Float32', async () => {
    const signed = px12.map((v) => v - 2048);
    const bytes = writeDicom({
      transferSyntax: TS.explicitLE,
      rows: H,
      columns: W,
      bitsStored: 16,
      pixelRepresentation: 1,
      pixelData: le16(signed),
      rescaleSlope: 2,
      rescaleIntercept: -10,
    });
    const img = await decodeImage(bytes, 'signed.dcm');
    expect(img.data).toBeInstanceOf(Float32Array);
    expect(asArray(img.data)).toEqual(signed.map((v) => v * 2 - 10));
  });

  it('reads 12-bit signed data (sign bit at bit 11)', async () => {
    const signed = px12.map((v) => v - 2048);
    const bytes = writeDicom({
      transferSyntax: TS.explicitLE,
      rows: H,
      columns: W,
      bitsStored: 12,
      pixelRepresentation: 1,
      pixelData: le16(signed.map((v) => v & 0xfff)),
    });
    expect(asArray((await decodeImage(bytes, 's12.dcm')).data)).toEqual(signed);
  });

  it('applies rescale to unsigned data', async () => {
    const bytes = writeDicom({
      transferSyntax: TS.explicitLE,
      rows: H,
      columns: W,
      bitsStored: 12,
      pixelData: le16(px12),
      rescaleSlope: 0.5,
      rescaleIntercept: 100,
    });
    const img = await decodeImage(bytes, 'rescale.dcm');
    expect(img.data[5]).toBeCloseTo(px12[5]! * 0.5 + 100, 5);
  });

  it('inverts MONOCHROME1 so that bright = dense', async () => {
    const bytes = writeDicom({
      transferSyntax: TS.explicitLE,
      rows: H,
      columns: W,
      bitsStored: 12,
      photometric: 'MONOCHROME1',
      pixelData: le16(px12),
    });
    const img = await decodeImage(bytes, 'mono1.dcm');
    expect(asArray(img.data)).toEqual(px12.map((v) => 4095 - v));
  });

  it('inverts MONOCHROME1 within the rescaled range', async () => {
    const bytes = writeDicom({
      transferSyntax: TS.explicitLE,
      rows: H,
      columns: W,
      bitsStored: 12,
      photometric: 'MONOCHROME1',
      pixelData: le16(px12),
      rescaleSlope: 2,
      rescaleIntercept: -1000,
    });
    const img = await decodeImage(bytes, 'mono1r.dcm');
    // Rescaled range is [-1000, 7190]; inverted r' = (-1000 + 7190) - r.
    expect(img.data[3]).toBeCloseTo(6190 - (px12[3]! * 2 - 1000), 4);
  });

  it('reduces RGB (planar configuration 1) to grey', async () => {
    const n = W * H;
    const planar = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) {
      planar[i] = px8[i]!;
      planar[n + i] = px8[i]!;
      planar[2 * n + i] = px8[i]!;
    }
    const bytes = writeDicom({
      transferSyntax: TS.explicitLE,
      rows: H,
      columns: W,
      bitsAllocated: 8,
      samplesPerPixel: 3,
      photometric: 'RGB',
      planarConfiguration: 1,
      pixelData: planar,
    });
    expect(asArray((await decodeImage(bytes, 'rgb.dcm')).data)).toEqual(px8);
  });
});

describe('DICOM spacing', () => {
  const base = {
    transferSyntax: TS.explicitLE,
    rows: H,
    columns: W,
    bitsStored: 12,
    pixelData: le16(px12),
  } as const;

  it('uses ImagerPixelSpacing when PixelSpacing is absent and records the source', async () => {
    const img = await decodeImage(writeDicom({ ...base, imagerPixelSpacing: [0.143, 0.139] }), 'ips.dcm');
    expect(img.spacing).toEqual({ x: 0.139, y: 0.143, source: 'ImagerPixelSpacing' });
  });

  it('prefers PixelSpacing over ImagerPixelSpacing', async () => {
    const img = await decodeImage(
      writeDicom({ ...base, imagerPixelSpacing: [0.2, 0.2], pixelSpacing: [0.1, 0.1] }),
      'both.dcm',
    );
    expect(img.spacing.source).toBe('PixelSpacing');
    expect(img.spacing.x).toBe(0.1);
  });

  it('reports missing spacing as source none, and takes a user override then', async () => {
    const bytes = writeDicom({ ...base });
    expect((await decodeImage(bytes, 'nospacing.dcm')).spacing).toEqual({ x: 1, y: 1, source: 'none' });
    const img = await decodeImage(bytes, 'nospacing.dcm', { spacing: { x: 0.2, y: 0.3 } });
    expect(img.spacing).toEqual({ x: 0.2, y: 0.3, source: 'user' });
  });

  it('keeps the file spacing over a user fallback unless forced', async () => {
    const bytes = writeDicom({ ...base, pixelSpacing: [0.1, 0.1] });
    expect((await decodeImage(bytes, 'a.dcm', { spacing: { x: 0.5, y: 0.5 } })).spacing.source).toBe(
      'PixelSpacing',
    );
    expect(
      (await decodeImage(bytes, 'a.dcm', { spacing: { x: 0.5, y: 0.5 }, forceSpacing: true })).spacing,
    ).toEqual({ x: 0.5, y: 0.5, source: 'user' });
  });

  it('reads the header alone for inspect (size, depth, spacing)', async () => {
    await withTempDir(async (dir) => {
      const f = join(dir, 'h.dcm');
      await writeFile(f, writeDicom({ ...base, imagerPixelSpacing: [0.15, 0.15] }));
      const info = await readImageInfo(f);
      expect(info).toMatchObject({
        format: 'dicom',
        width: W,
        height: H,
        bitsStored: 12,
        spacing: { x: 0.15, y: 0.15, source: 'ImagerPixelSpacing' },
      });
      expect(info.dicom?.transferSyntaxUid).toBe(TS.explicitLE);
    });
  });
});

describe('DICOM compressed transfer syntaxes', () => {
  // libjpeg-turbo's wasm encoder overflows its output buffer on noisy content: use a smooth image.
  const SW = 64;
  const SH = 48;
  const smooth = Array.from({ length: SW * SH }, (_, i) =>
    Math.round(127 + 100 * Math.sin((i % SW) / 5) * Math.cos(Math.floor(i / SW) / 7)),
  );
  const meanAbs = (a: ArrayLike<number>, b: ArrayLike<number>) =>
    Array.from(a).reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length;

  it('JPEG baseline (1.2.840.10008.1.2.4.50), 8-bit grey: same pixels as an independent decoder', async () => {
    const jpeg = await encodeJpegBaseline(Uint8Array.from(smooth), SW, SH, 1, 90);
    const bytes = writeDicom({
      transferSyntax: TS.jpegBaseline,
      rows: SH,
      columns: SW,
      bitsAllocated: 8,
      fragments: [jpeg],
      pixelSpacing: [0.1, 0.1],
    });
    const img = await decodeImage(bytes, 'baseline.dcm');
    expect([img.width, img.height]).toEqual([SW, SH]);
    const ref = jpegjs.decode(jpeg, { formatAsRGBA: true, useTArray: true }); // RGBA, grey in R
    expect(Math.max(...asArray(img.data).map((v, i) => Math.abs(v - ref.data[i * 4]!)))).toBeLessThanOrEqual(
      2,
    ); // IDCT rounding
    expect(meanAbs(img.data, smooth)).toBeLessThan(3); // lossy, but close
    expect(img.spacing.source).toBe('PixelSpacing');
  });

  it('JPEG baseline with 3 components (YBR_FULL_422) comes back as grey', async () => {
    const rgb = new Uint8Array(SW * SH * 3);
    smooth.forEach((v, i) => rgb.set([v, v, v], i * 3));
    const jpeg = await encodeJpegBaseline(rgb, SW, SH, 3, 90);
    const bytes = writeDicom({
      transferSyntax: TS.jpegBaseline,
      rows: SH,
      columns: SW,
      bitsAllocated: 8,
      samplesPerPixel: 3,
      photometric: 'YBR_FULL_422',
      fragments: [jpeg],
    });
    const img = await decodeImage(bytes, 'ybr.dcm');
    expect(img.data.length).toBe(SW * SH);
    expect(meanAbs(img.data, smooth)).toBeLessThan(3);
  });

  it('JPEG baseline split over several fragments', async () => {
    const jpeg = await encodeJpegBaseline(Uint8Array.from(smooth), SW, SH, 1, 90);
    const cut = Math.floor(jpeg.length / 2) & ~1;
    const whole = await decodeImage(
      writeDicom({
        transferSyntax: TS.jpegBaseline,
        rows: SH,
        columns: SW,
        bitsAllocated: 8,
        fragments: [jpeg],
      }),
      'one.dcm',
    );
    const split = await decodeImage(
      writeDicom({
        transferSyntax: TS.jpegBaseline,
        rows: SH,
        columns: SW,
        bitsAllocated: 8,
        fragments: [jpeg.subarray(0, cut), jpeg.subarray(cut)],
      }),
      'frag.dcm',
    );
    expect(asArray(split.data)).toEqual(asArray(whole.data));
  });

  for (const [name, ts] of [
    ['JPEG lossless process 14 (.57)', TS.jpegLossless],
    ['JPEG lossless SV1 (.70)', TS.jpegLosslessSV1],
  ] as const) {
    it(`${name}, 12-bit, exact`, async () => {
      const jpeg = encodeJpegLossless(px12, W, H, 12);
      const bytes = writeDicom({
        transferSyntax: ts,
        rows: H,
        columns: W,
        bitsStored: 12,
        fragments: [jpeg],
      });
      const img = await decodeImage(bytes, 'lossless.dcm');
      expect(asArray(img.data)).toEqual(px12);
    });
  }

  it('JPEG lossless, 16-bit full range, exact', async () => {
    const px16 = testPattern(W, H, 65535);
    const bytes = writeDicom({
      transferSyntax: TS.jpegLosslessSV1,
      rows: H,
      columns: W,
      bitsStored: 16,
      fragments: [encodeJpegLossless(px16, W, H, 16)],
    });
    expect(asArray((await decodeImage(bytes, 'l16.dcm')).data)).toEqual(px16);
  });

  it('JPEG lossless, 8-bit, MONOCHROME1, exact', async () => {
    const bytes = writeDicom({
      transferSyntax: TS.jpegLosslessSV1,
      rows: H,
      columns: W,
      bitsAllocated: 8,
      photometric: 'MONOCHROME1',
      fragments: [encodeJpegLossless(px8, W, H, 8)],
    });
    expect(asArray((await decodeImage(bytes, 'l8.dcm')).data)).toEqual(px8.map((v) => 255 - v));
  });

  for (const [name, ts] of [
    ['JPEG 2000 lossless (.90)', TS.j2kLossless],
    ['JPEG 2000 (.91)', TS.j2k],
  ] as const) {
    it(`${name}, 12-bit, exact (reversible)`, async () => {
      const j2k = await encodeJ2k(Uint16Array.from(px12), W, H);
      const bytes = writeDicom({
        transferSyntax: ts,
        rows: H,
        columns: W,
        bitsStored: 12,
        fragments: [j2k],
        imagerPixelSpacing: [0.1, 0.1],
      });
      const img = await decodeImage(bytes, 'j2k.dcm');
      expect(asArray(img.data)).toEqual(px12);
      expect(img.spacing.source).toBe('ImagerPixelSpacing');
    });
  }

  it('JPEG 2000, 8-bit', async () => {
    const j2k = await encodeJ2k(Uint8Array.from(px8), W, H);
    const bytes = writeDicom({
      transferSyntax: TS.j2kLossless,
      rows: H,
      columns: W,
      bitsAllocated: 8,
      fragments: [j2k],
    });
    expect(asArray((await decodeImage(bytes, 'j2k8.dcm')).data)).toEqual(px8);
  });

  it('JPEG-LS lossless (.80), 12-bit, exact', async () => {
    const jls = await encodeJpegLS(Uint16Array.from(px12), W, H);
    const bytes = writeDicom({
      transferSyntax: TS.jpegLSLossless,
      rows: H,
      columns: W,
      bitsStored: 12,
      fragments: [jls],
    });
    expect(asArray((await decodeImage(bytes, 'jls.dcm')).data)).toEqual(px12);
  });

  it('RLE lossless (.5), 16-bit, exact', async () => {
    const n = W * H;
    const hi = Uint8Array.from(px12, (v) => v >> 8);
    const lo = Uint8Array.from(px12, (v) => v & 0xff);
    const segs = [packBits(hi), packBits(lo)];
    const header = new Uint8Array(64);
    const dv = new DataView(header.buffer);
    dv.setUint32(0, 2, true);
    dv.setUint32(4, 64, true);
    dv.setUint32(8, 64 + segs[0]!.length, true);
    const frame = new Uint8Array(64 + segs[0]!.length + segs[1]!.length);
    frame.set(header);
    frame.set(segs[0]!, 64);
    frame.set(segs[1]!, 64 + segs[0]!.length);
    const bytes = writeDicom({
      transferSyntax: TS.rle,
      rows: H,
      columns: W,
      bitsStored: 12,
      fragments: [frame],
    });
    const img = await decodeImage(bytes, 'rle.dcm');
    expect(img.data.length).toBe(n);
    expect(asArray(img.data)).toEqual(px12);
  });

  it('RLE: a hand-made PackBits frame decodes as PS3.5 Annex G says', async () => {
    // 4 x 1, 8-bit: replicate run "-2, 7" (three 7s) then literal "0, 9" (one 9).
    const frame = new Uint8Array(64 + 4);
    new DataView(frame.buffer).setUint32(0, 1, true);
    new DataView(frame.buffer).setUint32(4, 64, true);
    frame.set([0xfe, 7, 0, 9], 64);
    const bytes = writeDicom({
      transferSyntax: TS.rle,
      rows: 1,
      columns: 4,
      bitsAllocated: 8,
      fragments: [frame],
    });
    expect(asArray((await decodeImage(bytes, 'rle8.dcm')).data)).toEqual([7, 7, 7, 9]);
  });
});

describe('DICOM errors name the file and the problem', () => {
  it('unsupported transfer syntax', async () => {
    const bytes = writeDicom({
      transferSyntax: TS.htj2k,
      rows: H,
      columns: W,
      fragments: [new Uint8Array(16)],
    });
    const err = await decodeImage(bytes, '/data/htj2k.dcm').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(
      /^\/data\/htj2k\.dcm: unsupported DICOM transfer syntax: High-Throughput JPEG 2000.*1\.2\.840\.10008\.1\.2\.4\.201/,
    );
  });

  it('12-bit JPEG extended is refused clearly', async () => {
    // A fake SOF1 stream with precision 12 is enough: the reader checks before decoding.
    const sof = Uint8Array.from([0xff, 0xd8, 0xff, 0xc1, 0, 11, 12, 0, H, 0, W, 1, 1, 0x11, 0, 0xff, 0xd9]);
    const bytes = writeDicom({
      transferSyntax: TS.jpegExtended,
      rows: H,
      columns: W,
      bitsStored: 12,
      fragments: [sof],
    });
    await expect(decodeImage(bytes, 'ext12.dcm')).rejects.toThrow(
      /ext12\.dcm: unsupported DICOM transfer syntax: JPEG Extended.*12-bit/,
    );
  });

  it('truncated native pixel data', async () => {
    const bytes = writeDicom({ transferSyntax: TS.explicitLE, rows: H, columns: W, pixelData: le16(px12) });
    await expect(decodeImage(bytes.subarray(0, bytes.length - 100), 'cut.dcm')).rejects.toThrow(
      /cut\.dcm: DICOM (pixel data|file) is truncated/,
    );
  });

  it('corrupt JPEG 2000 frame', async () => {
    const bytes = writeDicom({
      transferSyntax: TS.j2kLossless,
      rows: H,
      columns: W,
      fragments: [Uint8Array.from([0xff, 0x4f, 0xff, 0x51, 1, 2, 3, 4])],
    });
    await expect(decodeImage(bytes, 'bad.dcm')).rejects.toThrow(/bad\.dcm: .*JPEG 2000/);
  });

  it('not a DICOM file at all', async () => {
    await expect(decodeImage(new TextEncoder().encode('hello'), 'x.dcm')).rejects.toThrow(
      /x\.dcm: not a readable DICOM file/,
    );
  });
});
