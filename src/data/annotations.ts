/** Small helpers over landmark values and annotation sets (building, looking up, converting to mm). */
import type { AnnotationSet, ImageAnnotation, LandmarkSet, LandmarkValue, Point, Spacing } from './types';

/** Landmarks 1..n from an ordered list of points (null = missing). */
export function landmarksFromPoints(
  points: ReadonlyArray<Point | null>,
  opts: { source?: string; confidence?: ReadonlyArray<number | undefined>; ids?: readonly number[] } = {},
): LandmarkValue[] {
  return points.map((p, i) => {
    const v: LandmarkValue = { id: opts.ids?.[i] ?? i + 1, point: p ? { x: p.x, y: p.y } : null };
    const c = opts.confidence?.[i];
    if (c !== undefined) v.confidence = c;
    if (opts.source !== undefined) v.source = opts.source;
    return v;
  });
}

/** Points in the order of the set's landmarks; absent or missing landmarks give null. */
export function pointsInSetOrder(
  landmarks: readonly LandmarkValue[] | null,
  set: LandmarkSet,
): Array<Point | null> {
  const byId = new Map<number, LandmarkValue>();
  for (const l of landmarks ?? []) byId.set(l.id, l);
  return set.landmarks.map((d) => byId.get(d.id)?.point ?? null);
}

export function findAnnotation(set: AnnotationSet, imageId: string): ImageAnnotation | undefined {
  return set.images.find((a) => a.imageId === imageId);
}

/** Pixel -> mm along each axis; null when the spacing is unknown. */
export function pointToMm(p: Point, spacing: Spacing | undefined): Point | null {
  if (!spacing || spacing.source === 'none' || !(spacing.x > 0) || !(spacing.y > 0)) return null;
  return { x: p.x * spacing.x, y: p.y * spacing.y };
}

/** floor((a + b) / 2) per coordinate: the ISBI 2015 ground truth from two doctors. */
export function floorMeanPoint(a: Point, b: Point): Point {
  return { x: Math.floor((a.x + b.x) / 2), y: Math.floor((a.y + b.y) / 2) };
}

export const UNKNOWN_SPACING: Spacing = Object.freeze({ x: 1, y: 1, source: 'none' }) as Spacing;

export function hasKnownSpacing(s: Spacing | undefined): s is Spacing {
  return !!s && s.source !== 'none' && s.x > 0 && s.y > 0;
}
