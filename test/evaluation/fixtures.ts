/** Small annotation sets built in code for evaluation tests. */
import type { AnnotationSet, Point, Spacing } from '../../src/data/types';

export const SPACING_01: Spacing = { x: 0.1, y: 0.1, source: 'dataset' };

export function landmarkSet(n: number) {
  return {
    name: `test ${n}`,
    landmarks: Array.from({ length: n }, (_, i) => ({ id: i + 1, name: `lm${i + 1}` })),
  };
}

/** Two images, a and b, with both of two landmarks at the origin: a ground truth errors are easy to read against. */
export function twoImagesAtOrigin(): Record<string, Point[]> {
  const origin = (): Point[] => [
    { x: 0, y: 0 },
    { x: 0, y: 0 },
  ];
  return { a: origin(), b: origin() };
}

/** images: id -> points (null = missing), landmark ids 1..n. */
export function annotations(
  n: number,
  images: Record<string, (Point | null)[]>,
  opts: { spacing?: Spacing; meta?: Record<string, unknown> } = {},
): AnnotationSet {
  return {
    landmarkSet: landmarkSet(n),
    images: Object.entries(images).map(([imageId, pts]) => ({
      imageId,
      landmarks: pts.map((p, i) => ({ id: i + 1, point: p })),
      ...(opts.spacing ? { spacing: opts.spacing } : {}),
    })),
    ...(opts.meta ? { meta: opts.meta } : {}),
  };
}
