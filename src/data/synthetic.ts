/**
 * Synthetic one-shot data: one textured pattern (soft blobs) seen through known shifts and scales,
 * with landmarks carried exactly. Used by the quickstart job and by tests that need images with
 * known landmarks. Deterministic in its seed, with its own small PRNG so the data never depends on
 * the engine's random state.
 */
import type { GrayImage, Point } from './types';

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Blob {
  x: number;
  y: number;
  r: number;
  a: number;
}

/** Base pattern in unit coordinates [0,1]². */
export function makePattern(seed: number, blobs = 40): Blob[] {
  const rnd = mulberry32(seed);
  return Array.from({ length: blobs }, () => ({
    x: rnd(),
    y: rnd(),
    r: 0.02 + 0.06 * rnd(),
    a: (rnd() < 0.5 ? -1 : 1) * (0.3 + 0.7 * rnd()),
  }));
}

/**
 * Renders the pattern seen through a similarity transform: pixel p of the image shows the pattern
 * at u = (p_unit − shift)/scale. Returns the image and maps pattern points to its pixels.
 */
export function renderPattern(
  pattern: Blob[],
  width: number,
  height: number,
  t: { dx: number; dy: number; scale: number },
  noise = 0,
  noiseSeed = 1,
): { image: GrayImage; toPixel: (u: Point) => Point } {
  const data = new Float32Array(width * height);
  const rnd = mulberry32(noiseSeed);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const ux = ((x + 0.5) / width - t.dx) / t.scale;
      const uy = ((y + 0.5) / height - t.dy) / t.scale;
      let v = 0.5;
      for (const b of pattern) {
        const d2 = (ux - b.x) ** 2 + (uy - b.y) ** 2;
        v += 0.35 * b.a * Math.exp(-d2 / (2 * b.r * b.r));
      }
      v += noise * (rnd() - 0.5);
      data[y * width + x] = Math.max(0, Math.min(1, v));
    }
  }
  const image: GrayImage = {
    width,
    height,
    data,
    bitsStored: 32,
    spacing: { x: 0.1, y: 0.1, source: 'dataset' },
    source: { path: 'synthetic', format: 'synthetic' },
  };
  const toPixel = (u: Point): Point => ({
    x: (u.x * t.scale + t.dx) * width - 0.5,
    y: (u.y * t.scale + t.dy) * height - 0.5,
  });
  return { image, toPixel };
}

export interface SyntheticSet {
  images: GrayImage[];
  ids: string[];
  /** Landmarks per image in pixels. */
  landmarks: Point[][];
}

/** n images of one pattern under random shifts (±maxShift of the side) and scales; image 0 is untransformed. */
export function syntheticSet(
  n: number,
  size: number,
  opts: { seed?: number; maxShift?: number; maxScale?: number; landmarks?: Point[]; noise?: number } = {},
): SyntheticSet {
  const seed = opts.seed ?? 7;
  const pattern = makePattern(seed);
  const rnd = mulberry32(seed * 31 + 1);
  const lm = opts.landmarks ?? [
    { x: 0.3, y: 0.35 },
    { x: 0.65, y: 0.3 },
    { x: 0.5, y: 0.7 },
  ];
  const images: GrayImage[] = [];
  const landmarks: Point[][] = [];
  for (let i = 0; i < n; i++) {
    const ms = opts.maxShift ?? 0.08;
    const sc = opts.maxScale ?? 0.05;
    const t =
      i === 0
        ? { dx: 0, dy: 0, scale: 1 }
        : { dx: (2 * rnd() - 1) * ms, dy: (2 * rnd() - 1) * ms, scale: 1 + (2 * rnd() - 1) * sc };
    const r = renderPattern(pattern, size, size, t, opts.noise ?? 0.02, seed + i);
    images.push(r.image);
    landmarks.push(lm.map(r.toPixel));
  }
  return { images, ids: images.map((_, i) => `s${String(i).padStart(3, '0')}`), landmarks };
}
