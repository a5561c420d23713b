/** Review helpers: merged landmark values, confidence levels, errors and the review queue. */
import type { AnnotationSet, ImageAnnotation, Point } from '../../../api/contract/types';

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
 * Confidence on fixed thresholds, the same for every image: a point's colour says how sure the
 * model is of *that* point, not how it ranks among the same landmark's predictions (ranking paints
 * a third green whatever the quality). The score is the detector's own (CC2D stage 2: the
 * heatmap's sigmoid at the peak, the chance the point lies within the training radius).
 */
export const CONFIDENCE_HIGH = 0.7;
export const CONFIDENCE_LOW = 0.4;
export const CONFIDENCE_COLOURS = { low: '#e5484d', mid: '#f5a524', high: '#46a758', none: '#9aa4b2' };

export type ConfidenceLevel = keyof typeof CONFIDENCE_COLOURS;

export function confidenceLevel(c: number | undefined): ConfidenceLevel {
  if (c === undefined || !Number.isFinite(c)) return 'none';
  return c >= CONFIDENCE_HIGH ? 'high' : c >= CONFIDENCE_LOW ? 'mid' : 'low';
}

export function confidenceColour(c: number | undefined): string {
  return CONFIDENCE_COLOURS[confidenceLevel(c)];
}

/** Radial distance between two points in pixels, and in mm when the spacing is known. */
export function radialError(
  a: Point,
  b: Point,
  spacing?: { x: number; y: number } | null,
): { px: number; mm: number | null } {
  const dx = a.x - b.x;
  const dy = a.y - b.y;
  return {
    px: Math.hypot(dx, dy),
    mm: spacing && spacing.x > 0 && spacing.y > 0 ? Math.hypot(dx * spacing.x, dy * spacing.y) : null,
  };
}

/** The image after `current` in `order` (wrapping), or before it with step -1. */
export function stepImage(order: readonly string[], current: string | null, step: 1 | -1): string | null {
  if (order.length === 0) return null;
  const i = current === null ? -1 : order.indexOf(current);
  if (i < 0) return order[0];
  return order[(i + step + order.length) % order.length];
}

/** A confidence calibration as ReviewState carries it: expected error exp(a + b·c). */
export interface Calibration {
  a: number;
  b: number;
  unit: 'mm' | 'px';
}

export function expectedErrorOf(cal: Calibration, confidence: number): number {
  return Math.exp(cal.a + cal.b * confidence);
}

/**
 * Expected error on fixed clinical radii: under 2 mm is the usual "acceptable" (ISBI's SDR 2 mm),
 * over 4 mm needs a look. Pixels are read as 0.1 mm (a cephalogram's usual spacing).
 */
export const EXPECTED_OK_MM = 2;
export const EXPECTED_BAD_MM = 4;

export function expectedErrorLevel(error: number, unit: 'mm' | 'px'): ConfidenceLevel {
  if (!Number.isFinite(error)) return 'none';
  const mm = unit === 'mm' ? error : error * 0.1;
  return mm < EXPECTED_OK_MM ? 'high' : mm < EXPECTED_BAD_MM ? 'mid' : 'low';
}
