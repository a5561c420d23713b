/**
 * MRE, std and SDR as the one-shot literature reports them (CC2D, FM-OSD and their successors):
 * MRE = mean radial error over all images × landmarks; std = population standard deviation of
 * the same errors (numpy's default, which those codebases use); SDR@r = share of errors strictly
 * below r. The "strictly below" rule is part of every report because "at most r" gives other
 * numbers on integer-pixel data (0.1 mm spacing puts many errors exactly on 2.0 mm).
 */
import type { LandmarkSet, Point } from '../data';
import { errorValue, offsetValue, type RadialErrors } from './errors';

export const DEFAULT_RADII_MM: readonly number[] = [2, 2.5, 3, 4];

/** The rule, in words, for reports. */
export const SDR_RULE =
  'SDR@r = share of radial errors strictly below r (error < r; an error equal to r is not counted)';
export const STD_RULE = 'std = population standard deviation (divides by n) of the same errors as MRE';

export interface SdrValue {
  radius: number;
  /** Errors strictly below the radius. */
  hits: number;
  /** hits / count, 0..1; NaN when count is 0. */
  rate: number;
}

export interface ErrorSummary {
  count: number;
  mean: number;
  std: number;
  median: number;
  /** 99th percentile (linear interpolation, numpy's default): the catastrophic misses' scale. */
  p99: number;
  max: number;
  sdr: SdrValue[];
}

/**
 * Errors within this distance of a radius count as lying on it (not below): float noise from
 * spacing arithmetic must not move an error of exactly r across the line. 1e-9 mm is far below
 * any meaningful distance.
 */
export const RADIUS_TOLERANCE = 1e-9;

/** Successful detection rate: the share of `values` strictly below `radius`. */
export function sdr(values: ArrayLike<number>, radius: number): SdrValue {
  let hits = 0;
  const limit = radius - RADIUS_TOLERANCE;
  for (let i = 0; i < values.length; i++) if (values[i] < limit) hits++;
  return { radius, hits, rate: values.length > 0 ? hits / values.length : Number.NaN };
}

export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) return Number.NaN;
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

/** Population standard deviation (ddof 0). */
export function std(values: ArrayLike<number>): number {
  if (values.length === 0) return Number.NaN;
  const m = mean(values);
  let s = 0;
  for (let i = 0; i < values.length; i++) s += (values[i] - m) ** 2;
  return Math.sqrt(s / values.length);
}

export function median(values: ArrayLike<number>): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The q-quantile (0 ≤ q ≤ 1) with linear interpolation between order statistics (numpy's default). */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const k = (sorted.length - 1) * q;
  const lo = Math.floor(k);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (k - lo);
}

export function summarize(
  values: ArrayLike<number>,
  radii: readonly number[] = DEFAULT_RADII_MM,
): ErrorSummary {
  let max = values.length ? -Infinity : Number.NaN;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i]);
  return {
    count: values.length,
    mean: mean(values),
    std: std(values),
    median: median(values),
    p99: quantile(values, 0.99),
    max,
    sdr: radii.map((r) => sdr(values, r)),
  };
}

export interface LandmarkMetrics {
  landmarkId: number;
  name: string;
  abbreviation?: string;
  summary: ErrorSummary;
  /**
   * Mean of prediction − ground truth per axis (NaN when no point): a systematic offset, e.g. a
   * landmark placed consistently off by a method, or defined differently than the ground truth.
   * Its length next to the MRE says how much of a landmark's error is offset rather than scatter.
   */
  meanOffset: Point;
  missingPredictions: number;
}

export interface ImageMetrics {
  imageId: string;
  summary: ErrorSummary;
  missingPredictions: number;
  /** Landmark with the largest error on this image, to find where it went wrong. */
  worstLandmarkId: number | null;
}

export interface Metrics {
  unit: 'mm' | 'px';
  radii: number[];
  overall: ErrorSummary;
  perLandmark: LandmarkMetrics[];
  perImage: ImageMetrics[];
  counts: {
    images: number;
    landmarks: number;
    /** Points that entered the figures. */
    evaluatedPoints: number;
    missingPredictions: number;
    missingGroundTruth: number;
  };
}

/** Checks radii are positive finite numbers and returns them sorted and deduplicated. */
export function normalizeRadii(radii: readonly number[]): number[] {
  for (const r of radii) {
    if (!Number.isFinite(r) || r <= 0) throw new Error(`SDR radius must be a positive number, got ${r}`);
  }
  return [...new Set(radii)].sort((a, b) => a - b);
}

function meanPoint(ps: readonly Point[]): Point {
  return { x: mean(ps.map((p) => p.x)), y: mean(ps.map((p) => p.y)) };
}

export function computeMetrics(
  errors: RadialErrors,
  landmarkSet: LandmarkSet,
  radii: readonly number[] = DEFAULT_RADII_MM,
): Metrics {
  const rs = normalizeRadii(radii);
  const unit = errors.unit;
  const all = errors.errors.map((e) => errorValue(e, unit));

  const byLandmark = new Map<number, number[]>(errors.landmarkIds.map((id) => [id, []]));
  const offsets = new Map<number, Point[]>(errors.landmarkIds.map((id) => [id, []]));
  const byImage = new Map<string, { values: number[]; worst: number | null; worstValue: number }>(
    errors.imageIds.map((id) => [id, { values: [], worst: null, worstValue: -Infinity }]),
  );
  for (const e of errors.errors) {
    const v = errorValue(e, unit);
    byLandmark.get(e.landmarkId)?.push(v);
    offsets.get(e.landmarkId)?.push(offsetValue(e, unit));
    const im = byImage.get(e.imageId);
    if (im) {
      im.values.push(v);
      if (v > im.worstValue) {
        im.worstValue = v;
        im.worst = e.landmarkId;
      }
    }
  }
  const missPredByLandmark = new Map<number, number>();
  const missPredByImage = new Map<string, number>();
  let missingPredictions = 0;
  let missingGroundTruth = 0;
  for (const m of errors.missing) {
    if (m.missing === 'ground-truth') {
      missingGroundTruth++;
      continue;
    }
    missingPredictions++;
    missPredByLandmark.set(m.landmarkId, (missPredByLandmark.get(m.landmarkId) ?? 0) + 1);
    missPredByImage.set(m.imageId, (missPredByImage.get(m.imageId) ?? 0) + 1);
  }

  const defs = new Map(landmarkSet.landmarks.map((l) => [l.id, l]));
  return {
    unit,
    radii: rs,
    overall: summarize(all, rs),
    perLandmark: errors.landmarkIds.map((id) => {
      const def = defs.get(id);
      const lm: LandmarkMetrics = {
        landmarkId: id,
        name: def?.name ?? `L${id}`,
        summary: summarize(byLandmark.get(id) ?? [], rs),
        meanOffset: meanPoint(offsets.get(id) ?? []),
        missingPredictions: missPredByLandmark.get(id) ?? 0,
      };
      if (def?.abbreviation) lm.abbreviation = def.abbreviation;
      return lm;
    }),
    perImage: errors.imageIds.map((id) => {
      const im = byImage.get(id)!;
      return {
        imageId: id,
        summary: summarize(im.values, rs),
        missingPredictions: missPredByImage.get(id) ?? 0,
        worstLandmarkId: im.worst,
      };
    }),
    counts: {
      images: errors.imageIds.length,
      landmarks: errors.landmarkIds.length,
      evaluatedPoints: all.length,
      missingPredictions,
      missingGroundTruth,
    },
  };
}
