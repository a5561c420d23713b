/**
 * Between Cornerstone's world coordinates and OneMark's landmark coordinates, apart from the
 * viewer so it can be tested: landmarks are original-image pixels with pixel centres at integers
 * (x right, y down); the viewport may show a downscaled copy (`scaleX/scaleY` original pixels per
 * shown pixel) placed in world space by origin, spacing and direction (DICOM image plane).
 *
 * `cornerOrigin`: where the world origin sits on the first pixel. Cornerstone's GPU (vtk) path
 * puts it at the pixel's centre, its CPU fallback at the pixel's top-left corner.
 */
import type { Point } from '../../../api/contract/types';

export type Vec3 = [number, number, number];

export interface PlaneGeometry {
  origin: readonly number[];
  /** [x, y] world units per shown pixel. */
  spacing: readonly number[];
  /** Row direction (x) then column direction (y), 3 numbers each; more are ignored. */
  direction: readonly number[];
  /** Original pixels per shown pixel. */
  scaleX: number;
  scaleY: number;
  cornerOrigin: boolean;
}

const dot = (a: readonly number[], b: readonly number[]) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

/** Continuous index of the shown image (pixel centres at integers when the origin is a centre). */
function toIndex(p: Point, g: PlaneGeometry): [number, number] {
  const shift = g.cornerOrigin ? 0.5 : 0;
  return [(p.x + 0.5) / g.scaleX - 0.5 + shift, (p.y + 0.5) / g.scaleY - 0.5 + shift];
}

export function originalToWorld(p: Point, g: PlaneGeometry): Vec3 {
  const [i, j] = toIndex(p, g);
  const row = g.direction.slice(0, 3);
  const col = g.direction.slice(3, 6);
  const out: Vec3 = [0, 0, 0];
  for (let k = 0; k < 3; k++) {
    out[k] = g.origin[k] + row[k] * i * g.spacing[0] + col[k] * j * g.spacing[1];
  }
  return out;
}

export function worldToOriginal(w: readonly number[], g: PlaneGeometry): Point {
  const d = [w[0] - g.origin[0], w[1] - g.origin[1], w[2] - g.origin[2]];
  const shift = g.cornerOrigin ? 0.5 : 0;
  const i = dot(d, g.direction.slice(0, 3)) / g.spacing[0] - shift;
  const j = dot(d, g.direction.slice(3, 6)) / g.spacing[1] - shift;
  return { x: (i + 0.5) * g.scaleX - 0.5, y: (j + 0.5) * g.scaleY - 0.5 };
}

/** Round to 1/100 pixel and keep inside the image (pixel edges at -0.5 and size - 0.5). */
export function clampToImage(p: Point, width: number, height: number): Point {
  const r = (v: number) => Math.round(v * 100) / 100;
  return {
    x: r(Math.min(width - 0.5, Math.max(-0.5, p.x))),
    y: r(Math.min(height - 0.5, Math.max(-0.5, p.y))),
  };
}

export function insideImage(p: Point, width: number, height: number): boolean {
  return p.x >= -0.5 && p.y >= -0.5 && p.x <= width - 0.5 && p.y <= height - 0.5;
}

/** Window centre/width to Cornerstone's VOI range and back (linear VOI). */
export function voiRange(center: number, width: number): { lower: number; upper: number } {
  const w = Math.max(1e-6, width);
  return { lower: center - w / 2, upper: center + w / 2 };
}

export function windowOf(range: { lower: number; upper: number }): { center: number; width: number } {
  return { center: (range.lower + range.upper) / 2, width: range.upper - range.lower };
}

/** Window presets for a grey image: full range and the 1–99 % percentiles (sampled). */
export function windowPresets(data: ArrayLike<number>): {
  min: number;
  max: number;
  windows: { name: string; center: number; width: number }[];
} {
  let min = Infinity;
  let max = -Infinity;
  const sample: number[] = [];
  const step = Math.max(1, Math.floor(data.length / 20000));
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < min) min = v;
    if (v > max) max = v;
    if (i % step === 0) sample.push(v);
  }
  if (!Number.isFinite(min)) {
    min = 0;
    max = 1;
  }
  sample.sort((a, b) => a - b);
  const q = (f: number) => sample[Math.min(sample.length - 1, Math.round(f * (sample.length - 1)))] ?? 0;
  const lo = q(0.01);
  const hi = Math.max(lo + 1, q(0.99));
  const full = Math.max(1, max - min);
  return {
    min,
    max,
    windows: [
      { name: 'Full range', center: min + full / 2, width: full },
      { name: 'Auto (1–99 %)', center: (lo + hi) / 2, width: hi - lo },
    ],
  };
}
