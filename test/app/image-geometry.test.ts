import { describe, expect, it } from 'vitest';
import {
  clampToImage,
  insideImage,
  originalToWorld,
  voiRange,
  windowOf,
  windowPresets,
  worldToOriginal,
  type PlaneGeometry,
} from '../../src/renderer/src/lib/imageGeometry';

const plain: PlaneGeometry = {
  origin: [0, 0, 0],
  spacing: [1, 1, 1],
  direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
  scaleX: 1,
  scaleY: 1,
  cornerOrigin: false,
};

describe('viewer geometry (Cornerstone world ↔ original pixels)', () => {
  it('puts pixel centres at integers on the GPU path (world origin = centre of pixel 0)', () => {
    expect(originalToWorld({ x: 0, y: 0 }, plain)).toEqual([0, 0, 0]);
    expect(originalToWorld({ x: 3, y: 7 }, plain)).toEqual([3, 7, 0]);
    expect(worldToOriginal([3, 7, 0], plain)).toEqual({ x: 3, y: 7 });
  });

  it("shifts by half a pixel on the CPU path (world origin = pixel 0's corner)", () => {
    const cpu = { ...plain, cornerOrigin: true };
    expect(originalToWorld({ x: 0, y: 0 }, cpu)).toEqual([0.5, 0.5, 0]);
    expect(originalToWorld({ x: -0.5, y: -0.5 }, cpu)).toEqual([0, 0, 0]);
    expect(worldToOriginal([0.5, 0.5, 0], cpu)).toEqual({ x: 0, y: 0 });
  });

  it('follows DICOM spacing, origin and direction, and a downscaled copy', () => {
    const g: PlaneGeometry = {
      origin: [-10, 5, 2],
      spacing: [0.2, 0.1],
      // rows along -y, columns along +x (a rotated plane)
      direction: [0, -1, 0, 1, 0, 0],
      scaleX: 2,
      scaleY: 2,
      cornerOrigin: false,
    };
    // original (0.5, 0.5) is the centre of shown pixel (0, 0): the origin.
    expect(originalToWorld({ x: 0.5, y: 0.5 }, g)).toEqual([-10, 5, 2]);
    const p = { x: 17.25, y: 3.5 };
    const back = worldToOriginal(originalToWorld(p, g), g);
    expect(back.x).toBeCloseTo(p.x, 9);
    expect(back.y).toBeCloseTo(p.y, 9);
  });

  it('clamps to the image edges and rounds to 1/100 pixel', () => {
    expect(clampToImage({ x: -3, y: 200.123 }, 100, 50)).toEqual({ x: -0.5, y: 49.5 });
    expect(clampToImage({ x: 10.12345, y: 5 }, 100, 50)).toEqual({ x: 10.12, y: 5 });
    expect(insideImage({ x: -0.5, y: 49.5 }, 100, 50)).toBe(true);
    expect(insideImage({ x: -0.6, y: 0 }, 100, 50)).toBe(false);
  });

  it('converts windows to VOI ranges and back, and proposes full-range and 1–99 % windows', () => {
    expect(voiRange(100, 50)).toEqual({ lower: 75, upper: 125 });
    expect(windowOf({ lower: 75, upper: 125 })).toEqual({ center: 100, width: 50 });
    const data = Uint16Array.from({ length: 1000 }, (_, i) => 1000 + i);
    const { min, max, windows } = windowPresets(data);
    expect([min, max]).toEqual([1000, 1999]);
    expect(windows.map((w) => w.name)).toEqual(['Full range', 'Auto (1–99 %)']);
    expect(windows[0]).toMatchObject({ center: 1499.5, width: 999 });
    expect(windows[1].width).toBeLessThan(999);
  });
});
