import { describe, expect, it } from 'vitest';
import {
  fromScaledPoint,
  normalizationRange,
  normalizeGray,
  resizeGray,
  resizeToLongSide,
  sizeForLongSide,
  toScaledPoint,
  type GrayImage,
} from '../../../src/data';

function gray(
  width: number,
  height: number,
  f: (x: number, y: number) => number,
  data: 'u8' | 'u16' | 'f32' = 'f32',
  bitsStored = 32,
): GrayImage {
  const arr =
    data === 'u8'
      ? new Uint8Array(width * height)
      : data === 'u16'
        ? new Uint16Array(width * height)
        : new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) arr[y * width + x] = f(x, y);
  return {
    width,
    height,
    data: arr,
    bitsStored,
    spacing: { x: 0.1, y: 0.2, source: 'dataset' },
    source: { path: 'mem', format: 'synthetic' },
  };
}

describe('resizeGray', () => {
  it('area-averages exact blocks on an integer factor', () => {
    const img = gray(4, 4, (x, y) => x + 10 * y);
    const r = resizeGray(img, 2, 2);
    // Each output = mean of a 2x2 block.
    expect(Array.from(r.data)).toEqual([5.5, 7.5, 25.5, 27.5]);
  });

  it('area-averages fractional coverage (3 -> 2)', () => {
    const img = gray(3, 1, (x) => [0, 3, 6][x]!);
    const r = resizeGray(img, 2, 1);
    // [0, 1.5) covers 0 fully and half of 3: (0 + 0.5*3) / 1.5 = 1; [1.5, 3): (0.5*3 + 6) / 1.5 = 5.
    expect(r.data[0]).toBeCloseTo(1, 6);
    expect(r.data[1]).toBeCloseTo(5, 6);
  });

  it('keeps a constant image constant and preserves the mean when shrinking', () => {
    const c = resizeGray(
      gray(97, 61, () => 42),
      31,
      20,
    );
    expect(Math.max(...c.data)).toBeCloseTo(42, 4);
    expect(Math.min(...c.data)).toBeCloseTo(42, 4);
    const img = gray(90, 60, (x, y) => (x * 3 + y * 7) % 50, 'u8', 8);
    const r = resizeGray(img, 30, 20);
    const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;
    expect(mean(r.data)).toBeCloseTo(mean(img.data), 3);
  });

  it('interpolates bilinearly when growing, pixel centres aligned', () => {
    const r = resizeGray(
      gray(2, 1, (x) => x * 10),
      4,
      1,
    );
    // Output centres at input x = -0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped 1).
    expect(Array.from(r.data).map((v) => Number(v.toFixed(4)))).toEqual([0, 2.5, 7.5, 10]);
  });

  it('scales spacing and remembers the original', () => {
    const r = resizeToLongSide(
      gray(200, 100, () => 1),
      50,
    );
    expect([r.width, r.height]).toEqual([50, 25]);
    expect(r.spacing).toEqual({ x: 0.4, y: 0.8, source: 'dataset' });
    expect(r.original).toEqual({ width: 200, height: 100, spacing: { x: 0.1, y: 0.2, source: 'dataset' } });
  });

  it('ISBI size 1935 x 2400 at long side 384 gives 310 x 384', () => {
    expect(sizeForLongSide(1935, 2400, 384)).toEqual({ width: 310, height: 384 });
  });

  it('maps coordinates pixel-centre to pixel-centre and back', () => {
    const r = resizeGray(
      gray(100, 80, () => 0),
      25,
      20,
    );
    expect(toScaledPoint({ x: 1.5, y: 1.5 }, r)).toEqual({ x: 0, y: 0 }); // centre of the first 4x4 block
    const p = { x: 37.25, y: 61.5 };
    const back = fromScaledPoint(toScaledPoint(p, r), r);
    expect(back.x).toBeCloseTo(p.x, 10);
    expect(back.y).toBeCloseTo(p.y, 10);
  });

  it('rejects an invalid target size', () => {
    expect(() =>
      resizeGray(
        gray(4, 4, () => 0),
        0,
        2,
      ),
    ).toThrow(/invalid target size/);
  });
});

describe('normalizeGray', () => {
  it("'bits' divides by 2^bits - 1 (8-bit: /255)", () => {
    const out = normalizeGray(
      gray(3, 1, (x) => [0, 51, 255][x]!, 'u8', 8),
      { mode: 'bits' },
    );
    expect(Array.from(out)).toEqual([0, Math.fround(0.2), 1]);
  });

  it("'minmax' maps the image's own range to [0, 1]", () => {
    const out = normalizeGray(
      gray(3, 1, (x) => [100, 150, 300][x]!, 'u16', 12),
      { mode: 'minmax' },
    );
    expect(Array.from(out)).toEqual([0, 0.25, 1]);
  });

  it("'percentile' clamps outliers", () => {
    const img = gray(1000, 1, (x) => (x === 0 ? -1e6 : x === 999 ? 1e6 : x));
    const [lo, hi] = normalizationRange(img, { mode: 'percentile', low: 1, high: 99 });
    expect(lo).toBeGreaterThan(0);
    expect(hi).toBeLessThan(1000);
    const out = normalizeGray(img, { mode: 'percentile', low: 1, high: 99 });
    expect(out[0]).toBe(0);
    expect(out[999]).toBe(1);
  });

  it("'auto' is bits for 8-bit files and minmax for DICOM or deeper data", () => {
    expect(normalizationRange(gray(2, 1, (x) => x * 10, 'u8', 8))).toEqual([0, 255]);
    expect(normalizationRange(gray(2, 1, (x) => 100 + x * 10, 'u16', 12))).toEqual([100, 110]);
  });

  it('a constant image maps to zeros, not NaN', () => {
    expect(
      Array.from(
        normalizeGray(
          gray(2, 2, () => 7),
          { mode: 'minmax' },
        ),
      ),
    ).toEqual([0, 0, 0, 0]);
  });
});
