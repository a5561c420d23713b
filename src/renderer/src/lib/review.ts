/** Review helpers: merged landmark values, confidence colours and the review queue. */
import type { AnnotationSet, ImageAnnotation, LandmarkValue, Point } from '../../../api/types';

export interface ReviewPoint {
  id: number;
  point: Point;
  /** 'prediction' or 'correction' (a correction replaces the prediction on screen). */
  kind: 'prediction' | 'correction';
  confidence?: number;
}

export function pointsForImage(
  predictions: AnnotationSet,
  corrections: AnnotationSet,
  imageId: string,
): ReviewPoint[] {
  const pred = predictions.images.find((a) => a.imageId === imageId)?.landmarks ?? [];
  const corr = corrections.images.find((a) => a.imageId === imageId)?.landmarks ?? [];
  const byId = new Map<number, ReviewPoint>();
  for (const v of pred)
    if (v.point) byId.set(v.id, { id: v.id, point: v.point, kind: 'prediction', confidence: v.confidence });
  for (const v of corr) if (v.point) byId.set(v.id, { id: v.id, point: v.point, kind: 'correction' });
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

/** Lowest confidence over an image's predicted landmarks (Infinity when none has one). */
export function minConfidence(ann: ImageAnnotation | undefined): number {
  let m = Infinity;
  for (const v of ann?.landmarks ?? [])
    if (v.confidence !== undefined && v.point) m = Math.min(m, v.confidence);
  return m;
}

/** Images with predictions, least confident first; reviewed images go last. */
export function reviewQueue(
  predictions: AnnotationSet,
  reviewed: readonly string[],
  exclude?: string | null,
): string[] {
  const done = new Set(reviewed);
  return predictions.images
    .filter((a) => a.imageId !== exclude)
    .map((a) => ({ id: a.imageId, c: minConfidence(a), r: done.has(a.imageId) }))
    .sort((a, b) => Number(a.r) - Number(b.r) || a.c - b.c || a.id.localeCompare(b.id))
    .map((x) => x.id);
}

/**
 * Confidence scores are method-specific (CC2D's are small similarities), so colours use the rank
 * of a value among all predictions of the same landmark: lowest third red, middle amber, top green.
 */
export function confidenceColours(predictions: AnnotationSet): (id: number, c: number | undefined) => string {
  const byLandmark = new Map<number, number[]>();
  for (const a of predictions.images) {
    for (const v of a.landmarks as LandmarkValue[]) {
      if (v.confidence === undefined) continue;
      if (!byLandmark.has(v.id)) byLandmark.set(v.id, []);
      byLandmark.get(v.id)!.push(v.confidence);
    }
  }
  for (const list of byLandmark.values()) list.sort((a, b) => a - b);
  return (id, c) => {
    const list = byLandmark.get(id);
    if (c === undefined || !list || list.length === 0) return '#9aa4b2';
    let below = 0;
    while (below < list.length && list[below] < c) below++;
    const rank = list.length > 1 ? below / (list.length - 1) : 1;
    return rank < 1 / 3 ? '#e5484d' : rank < 2 / 3 ? '#f5a524' : '#46a758';
  };
}
