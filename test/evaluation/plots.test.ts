import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { GrayImage } from '../../src/data/types';
import { cdfSvg } from '../../src/evaluation/plots/cdf';
import { errorBarsSvg } from '../../src/evaluation/plots/error-bars';
import { overlaySvg } from '../../src/evaluation/plots/overlay';
import { encodePng } from '../../src/evaluation/plots/png';
import { bundledFontFiles, svgToPng, svgToRgba } from '../../src/evaluation/plots/raster';
import { svgDocument, text } from '../../src/evaluation/plots/svg';

/** Decodes our own encoder's output (filter 0 only). */
function decodeOwnPng(png: Buffer): { width: number; height: number; channels: number; data: Uint8Array } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const channels = { 0: 1, 2: 3, 6: 4 }[png[25]]!;
  let off = 8;
  const idat: Buffer[] = [];
  while (off < png.length) {
    const len = png.readUInt32BE(off);
    if (png.toString('ascii', off + 4, off + 8) === 'IDAT') idat.push(png.subarray(off + 8, off + 8 + len));
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (width * channels + 1)]).toBe(0);
    data.set(
      raw.subarray(y * (width * channels + 1) + 1, (y + 1) * (width * channels + 1)),
      y * width * channels,
    );
  }
  return { width, height, channels, data };
}

function darkPixels(rgba: Buffer): number {
  let n = 0;
  for (let i = 0; i < rgba.length; i += 4) if (rgba[i] < 128 && rgba[i + 1] < 128 && rgba[i + 2] < 128) n++;
  return n;
}

describe('png', () => {
  it('round-trips gray samples', () => {
    const data = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
    const d = decodeOwnPng(encodePng(4, 3, 1, data));
    expect(d).toMatchObject({ width: 4, height: 3, channels: 1 });
    expect([...d.data]).toEqual([...data]);
  });
  it('rejects data of the wrong size', () => {
    expect(() => encodePng(4, 3, 1, new Uint8Array(11))).toThrow(/11 bytes, expected 4×3×1/);
  });
});

describe('rasteriser', () => {
  it('ships its own font, so text renders on a machine without system fonts', () => {
    expect(bundledFontFiles().length).toBeGreaterThan(0);
    const blank = svgToRgba(svgDocument(200, 40, ''));
    const withText = svgToRgba(svgDocument(200, 40, text(10, 28, 'MRE ± std', { 'font-size': 20 })));
    expect(darkPixels(blank.pixels)).toBe(0);
    expect(darkPixels(withText.pixels)).toBeGreaterThan(100);
  });
  it('writes PNG bytes at twice the SVG size by default', () => {
    const png = svgToPng(svgDocument(120, 50, ''));
    expect(png.readUInt32BE(16)).toBe(240);
    expect(png.readUInt32BE(20)).toBe(100);
  });
});

describe('charts', () => {
  it('draws one bar per landmark with the unit and the reference radius', () => {
    const svg = errorBarsSvg(
      [{ label: 'm', values: [1, 2, 3].map((id) => ({ landmarkId: id, mean: id, std: 0.5 })) }],
      { unit: 'mm', referenceRadius: 2 },
    );
    expect(svg.match(/<rect [^>]*fill-opacity/g)).toHaveLength(3);
    expect(svg).toContain('Radial error (mm), mean ± std');
    expect(svg).toContain('>2 mm<');
    expect(() => svgToPng(svg)).not.toThrow();
  });

  it('draws a CDF that reaches 100% when every error is inside the axis', () => {
    const svg = cdfSvg(
      [
        { label: 'a', values: [1, 2, 2, 3] },
        { label: 'b <x>', values: [0.5] },
      ],
      { unit: 'mm', radii: [2, 4], xMax: 5 },
    );
    const lines = [...svg.matchAll(/<polyline points="([^"]+)"/g)].map((m) => m[1].split(' '));
    expect(lines).toHaveLength(2);
    // y = 44 + 300 * (1 - frac): the last point of the first series sits at 100%.
    expect(lines[0][lines[0].length - 1]).toBe('580,44');
    // the two equal values make a single jump at x = 2 (60 + 520 * 2/5 = 268) from 25% to 75%
    const at = lines[0].indexOf('268,269');
    expect(at).toBeGreaterThan(0);
    expect(lines[0][at + 1]).toBe('268,119');
    expect(svg).toContain('b &lt;x&gt;');
  });

  it('puts markers at pixel centres on the downscaled image', () => {
    const image: GrayImage = {
      width: 200,
      height: 100,
      data: new Uint8Array(200 * 100).map((_, i) => i % 200),
      bitsStored: 8,
      spacing: { x: 0.1, y: 0.1, source: 'dataset' },
      source: { path: '/x/img.png', format: 'synthetic' },
    };
    const svg = overlaySvg(image, [{ landmarkId: 1, gt: { x: 99, y: 49 }, pred: { x: 119, y: 49 } }], {
      maxSize: 100,
    });
    // scale 0.5: gt centre (99.5, 49.5) -> (49.75, 24.75 + 30 title band)
    expect(svg).toMatch(/<circle cx="49.75" cy="54.75"/);
    expect(svg).toContain('data:image/png;base64,');
    const png = Buffer.from(svg.match(/base64,([^"]+)"/)![1], 'base64');
    const d = decodeOwnPng(png);
    expect([d.width, d.height]).toEqual([100, 50]);
    // horizontal ramp survives the box filter and windowing: left dark, right bright
    expect(d.data[25 * 100 + 2]).toBeLessThan(20);
    expect(d.data[25 * 100 + 97]).toBeGreaterThan(235);
    expect(() => svgToPng(svg)).not.toThrow();
  });
});
