/**
 * Viewer geometry and display mapping, apart from the canvas so it can be tested: original-pixel
 * coordinates (pixel centres at integers) to screen and back, fit, zoom about a point, and the
 * window/level lookup table.
 */
import type { Point } from '../../../api/contract/types';

export interface View {
  /** Screen pixels per original pixel. */
  scale: number;
  /** Screen position of the original image's top-left corner (the outer edge of pixel 0). */
  tx: number;
  ty: number;
}

export function toScreen(p: Point, v: View): Point {
  return { x: v.tx + (p.x + 0.5) * v.scale, y: v.ty + (p.y + 0.5) * v.scale };
}

export function toImage(s: Point, v: View): Point {
  return { x: (s.x - v.tx) / v.scale - 0.5, y: (s.y - v.ty) / v.scale - 0.5 };
}

export function fitView(
  imageW: number,
  imageH: number,
  screenW: number,
  screenH: number,
  margin = 0.96,
): View {
  const scale = Math.max(1e-3, Math.min(screenW / imageW, screenH / imageH) * margin);
  return { scale, tx: (screenW - imageW * scale) / 2, ty: (screenH - imageH * scale) / 2 };
}

/** Zoom by `factor` keeping the image point under `at` (screen) where it is. */
export function zoomAt(v: View, factor: number, at: Point, min = 0.02, max = 64): View {
  const scale = Math.min(max, Math.max(min, v.scale * factor));
  const k = scale / v.scale;
  return { scale, tx: at.x - (at.x - v.tx) * k, ty: at.y - (at.y - v.ty) * k };
}

/** Window/level to an 8-bit lookup over 0..maxValue (inverted when asked). */
export function windowLut(maxValue: number, center: number, width: number, invert: boolean): Uint8Array {
  const lut = new Uint8Array(maxValue + 1);
  const lo = center - width / 2;
  const w = Math.max(1e-6, width);
  for (let v = 0; v <= maxValue; v++) {
    let g = Math.round(((v - lo) / w) * 255);
    g = g < 0 ? 0 : g > 255 ? 255 : g;
    lut[v] = invert ? 255 - g : g;
  }
  return lut;
}

/** Nearest of `points` within `radius` screen pixels of `s`, or null. */
export function hitTest<T extends { point: Point }>(
  points: readonly T[],
  s: Point,
  v: View,
  radius = 8,
): T | null {
  let best: T | null = null;
  let bestD = radius * radius;
  for (const p of points) {
    const q = toScreen(p.point, v);
    const d = (q.x - s.x) ** 2 + (q.y - s.y) ** 2;
    if (d <= bestD) {
      best = p;
      bestD = d;
    }
  }
  return best;
}
