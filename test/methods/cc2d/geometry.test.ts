import { describe, expect, it } from 'vitest';
import { fromGrid, refinePeak, toGrid, vote } from '../../../src/methods/shared/geometry';

describe('grid <-> original pixels (pixel centres)', () => {
  it('maps grid pixel centres with x_orig = (x + 0.5)·W/S − 0.5, not x·W/S', () => {
    // ISBI: W = 1935, H = 2400 on a 384 grid.
    const p = fromGrid({ x: 0, y: 100 }, 1935, 2400, 384);
    expect(p.x).toBeCloseTo((0.5 * 1935) / 384 - 0.5, 10);
    expect(p.y).toBeCloseTo((100.5 * 2400) / 384 - 0.5, 10);
    expect(p.x).not.toBeCloseTo(0, 1);
  });
  it('round-trips and keeps x and y apart', () => {
    const q = { x: 1234.5, y: 87.25 };
    const g = toGrid(q, 1935, 2400, 384);
    expect(g.x).toBeGreaterThan(g.y); // x stays x on a non-square image
    const back = fromGrid(g, 1935, 2400, 384);
    expect(back.x).toBeCloseTo(q.x, 9);
    expect(back.y).toBeCloseTo(q.y, 9);
  });
  it('maps the image centre to the grid centre', () => {
    const g = toGrid({ x: (1935 - 1) / 2, y: (2400 - 1) / 2 }, 1935, 2400, 384);
    expect(g.x).toBeCloseTo(191.5, 9);
    expect(g.y).toBeCloseTo(191.5, 9);
  });
});

describe('refinePeak', () => {
  it('recovers the sub-pixel centre of a Gaussian peak', () => {
    const w = 11;
    const cx = 5.3;
    const cy = 4.8;
    const m = new Float32Array(w * w);
    for (let y = 0; y < w; y++)
      for (let x = 0; x < w; x++) m[y * w + x] = Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 4);
    const p = refinePeak(m, w, w, 5, 5);
    expect(p.x).toBeCloseTo(cx, 3);
    expect(p.y).toBeCloseTo(cy, 3);
  });
});

describe('vote', () => {
  it('picks the densest cell and averages the votes near it', () => {
    const xs = new Float32Array([10.2, 10.4, 9.9, 10.1, 3, 20]);
    const ys = new Float32Array([5.1, 4.9, 5.0, 5.2, 3, 1]);
    const r = vote(xs, ys, 32);
    expect(r.point.x).toBeCloseTo((10.2 + 10.4 + 9.9 + 10.1) / 4, 5);
    expect(r.point.y).toBeCloseTo((5.1 + 4.9 + 5.0 + 5.2) / 4, 5);
    expect(r.share).toBeCloseTo(4 / 6, 5);
  });
});
