/**
 * Coordinates between original pixels and a method's square training grid, and the small
 * peak-finding helpers that work on maps already copied to JavaScript.
 *
 * Pixel centres sit at integers in both frames, so a grid position maps back as
 * x_orig = (x + 0.5)·W/S − 0.5 (METHODS §7: x·W/S shifts every prediction by 2–3 pixels).
 */
import type { Point } from '../../data/types';

/** Original pixel → grid position on an S×S grid. */
export function toGrid(p: Point, width: number, height: number, size: number): Point {
  return { x: ((p.x + 0.5) * size) / width - 0.5, y: ((p.y + 0.5) * size) / height - 0.5 };
}

/** Grid position on an S×S grid → original pixel. */
export function fromGrid(p: Point, width: number, height: number, size: number): Point {
  return { x: ((p.x + 0.5) * width) / size - 0.5, y: ((p.y + 0.5) * height) / size - 0.5 };
}

/** Grid position → normalised coordinate in [-1, 1] of grid_sample with alignCorners=false. */
export function toNormalized(v: number, size: number): number {
  return (2 * v + 1) / size - 1;
}

/**
 * Sub-pixel peak of a map around its integer argmax: a parabola through the peak and its two
 * neighbours on each axis (in log space when `log` is true, which is exact for a Gaussian peak).
 * Returns the refined (x, y); the offset is limited to ±0.5 so it never leaves the peak's pixel.
 */
export function refinePeak(
  map: ArrayLike<number>,
  w: number,
  h: number,
  x: number,
  y: number,
  log = true,
): Point {
  const at = (xx: number, yy: number) => {
    const v = map[yy * w + xx];
    return log ? Math.log(Math.max(v, 1e-12)) : v;
  };
  const c = at(x, y);
  const axis = (m: number, p: number) => {
    const den = m - 2 * c + p;
    if (!(den < 0)) return 0; // not a strict maximum: keep the integer position
    const d = (0.5 * (m - p)) / den;
    return Math.max(-0.5, Math.min(0.5, d));
  };
  const dx = x > 0 && x < w - 1 ? axis(at(x - 1, y), at(x + 1, y)) : 0;
  const dy = y > 0 && y < h - 1 ? axis(at(x, y - 1), at(x, y + 1)) : 0;
  return { x: x + dx, y: y + dy };
}

/** Index and value of the maximum of `map[offset .. offset+n)`. */
export function argmax(
  map: ArrayLike<number>,
  offset = 0,
  n = map.length - offset,
): { index: number; value: number } {
  let best = -Infinity;
  let index = 0;
  for (let i = 0; i < n; i++) {
    const v = map[offset + i];
    if (v > best) {
      best = v;
      index = i;
    }
  }
  return { index, value: best };
}

/**
 * Offset voting (CC2D stage 2): each candidate pixel votes at pixel + offset·R; the grid cell
 * with most votes wins, and the answer is the mean of the votes that fell within one pixel of it
 * (sub-pixel, instead of the cell's integer position). `xs`/`ys` are the vote positions.
 */
export function vote(xs: Float32Array, ys: Float32Array, size: number): { point: Point; share: number } {
  const counts = new Float32Array(size * size);
  const n = xs.length;
  for (let i = 0; i < n; i++) {
    const cx = Math.round(xs[i]);
    const cy = Math.round(ys[i]);
    if (cx < 0 || cy < 0 || cx >= size || cy >= size) continue;
    counts[cy * size + cx] += 1;
  }
  const { index, value } = argmax(counts);
  if (value <= 0) {
    // Every vote left the grid: fall back to the mean vote, clamped onto the grid.
    let sx = 0;
    let sy = 0;
    for (let i = 0; i < n; i++) {
      sx += xs[i];
      sy += ys[i];
    }
    const clampTo = (v: number) => Math.max(0, Math.min(size - 1, v));
    return { point: { x: clampTo(sx / Math.max(n, 1)), y: clampTo(sy / Math.max(n, 1)) }, share: 0 };
  }
  const wx = index % size;
  const wy = Math.floor(index / size);
  let sx = 0;
  let sy = 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (Math.abs(xs[i] - wx) <= 1 && Math.abs(ys[i] - wy) <= 1) {
      sx += xs[i];
      sy += ys[i];
      k++;
    }
  }
  return { point: { x: sx / k, y: sy / k }, share: k / Math.max(n, 1) };
}
