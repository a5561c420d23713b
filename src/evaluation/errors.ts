/**
 * Radial errors between predicted and ground-truth landmarks, in mm on original pixels.
 *
 * Matching is by image id, then by landmark id. Nothing is guessed: ids that match nothing are
 * reported as problems (the rest is still evaluated), duplicated ids stop the evaluation because
 * no answer to "which of the two is the prediction?" would be honest.
 */
import type { AnnotationSet, ImageAnnotation, Point, Spacing, SpacingSource } from '../data';

/** Bad input that makes evaluation meaningless; `file` names where it came from when known. */
export class EvaluationInputError extends Error {
  readonly file: string | undefined;
  readonly ids: string[];
  constructor(message: string, file: string | undefined, ids: string[] = []) {
    super(file ? `${file}: ${message}` : message);
    this.name = 'EvaluationInputError';
    this.file = file;
    this.ids = ids;
  }
}

export type ProblemSeverity = 'error' | 'warning' | 'note';

/** Something wrong or notable about the inputs that did not stop the evaluation. */
export interface EvaluationProblem {
  severity: ProblemSeverity;
  kind:
    | 'unmatched-prediction-ids'
    | 'outside-split'
    | 'images-without-prediction'
    | 'unknown-landmark-ids'
    | 'missing-predicted-landmarks'
    | 'missing-ground-truth-landmarks';
  message: string;
  /** Image ids (or `image#landmark` keys) concerned, complete. */
  ids: string[];
}

export interface PointError {
  imageId: string;
  landmarkId: number;
  gt: Point;
  pred: Point;
  /** Euclidean distance in original pixels. */
  errorPx: number;
  /** Distance in mm using the image's spacing (anisotropic spacing handled per axis); NaN in 'px' mode. */
  errorMm: number;
  /** prediction − ground truth per axis in mm (NaN without a spacing): its mean per landmark is the systematic offset. */
  offsetMm: Point;
  confidence?: number;
}

export interface MissingPoint {
  imageId: string;
  landmarkId: number;
  /** Which side lacks the point. A missing ground truth excludes the point from every figure. */
  missing: 'prediction' | 'ground-truth';
}

export interface SpacingUse {
  x: number;
  y: number;
  source: SpacingSource;
  images: number;
}

export interface RadialErrors {
  /** 'mm' when every evaluated image has a spacing; 'px' only when explicitly allowed. */
  unit: 'mm' | 'px';
  /** Landmark ids evaluated, in the ground truth's landmark-set order. */
  landmarkIds: number[];
  /** Images evaluated (ground-truth images that have a prediction), in ground-truth order. */
  imageIds: string[];
  errors: PointError[];
  missing: MissingPoint[];
  problems: EvaluationProblem[];
  /** Distinct spacings used, with how many images used each; reported next to every mm figure. */
  spacings: SpacingUse[];
}

export interface RadialErrorOptions {
  /** File the predictions came from, for messages. */
  predictionFile?: string;
  /** File or dataset the ground truth came from, for reports (may be a long description). */
  groundTruthSource?: string;
  /** Short name of the ground truth for one-line messages (default: groundTruthSource). */
  groundTruthLabel?: string;
  /**
   * Every image id that exists where the ground truth came from (e.g. the whole dataset when the
   * ground truth is one split). Predictions for these ids but outside the ground truth are
   * ignored with a note instead of being reported as unmatched.
   */
  knownImageIds?: Iterable<string>;
  /** Used for every image, whatever the files say (e.g. a user's `--spacing`). */
  spacingOverride?: Spacing;
  /** Used for images whose ground truth and prediction carry no spacing. */
  defaultSpacing?: Spacing;
  /** Evaluate in pixels when some image has no spacing, instead of failing. */
  allowPixels?: boolean;
}

/** How many ids to spell out in a one-line message before "… and N more". */
const IDS_IN_MESSAGE = 10;

export function listIds(ids: readonly (string | number)[], max = IDS_IN_MESSAGE): string {
  const shown = ids.slice(0, max).join(', ');
  return ids.length > max ? `${shown} … and ${ids.length - max} more` : shown;
}

function duplicates<T>(values: readonly T[]): T[] {
  const seen = new Set<T>();
  const dup = new Set<T>();
  for (const v of values) (seen.has(v) ? dup : seen).add(v);
  return [...dup];
}

/** "4" vs "004": the commonest way ids fail to match; say so instead of leaving the user to guess. */
function paddingHint(unmatched: readonly string[], known: readonly string[]): string {
  const byNumber = new Map<number, string>();
  for (const k of known) if (/^\d+$/.test(k)) byNumber.set(Number(k), k);
  const pairs: string[] = [];
  for (const u of unmatched) {
    const k = /^\d+$/.test(u) ? byNumber.get(Number(u)) : undefined;
    if (k !== undefined) pairs.push(`${u} vs ${k}`);
  }
  return pairs.length ? `; ids differ only in zero padding (${listIds(pairs, 3)})` : '';
}

/** Throws when image ids or landmark ids repeat: a prediction must be unambiguous. */
export function assertNoDuplicates(set: AnnotationSet, file: string | undefined, what: string): void {
  const dupImages = duplicates(set.images.map((im) => im.imageId));
  if (dupImages.length > 0) {
    throw new EvaluationInputError(
      `${what} has duplicate image ids (${dupImages.length}): ${listIds(dupImages)}`,
      file,
      dupImages,
    );
  }
  const dupPoints: string[] = [];
  for (const im of set.images) {
    for (const id of duplicates(im.landmarks.map((l) => l.id))) dupPoints.push(`${im.imageId}#${id}`);
  }
  if (dupPoints.length > 0) {
    throw new EvaluationInputError(
      `${what} has duplicate landmarks (image#landmark, ${dupPoints.length}): ${listIds(dupPoints)}`,
      file,
      dupPoints,
    );
  }
}

function spacingFor(
  gt: ImageAnnotation,
  pred: ImageAnnotation,
  opts: RadialErrorOptions,
): Spacing | undefined {
  const usable = (s: Spacing | undefined): Spacing | undefined =>
    s && s.source !== 'none' && s.x > 0 && s.y > 0 ? s : undefined;
  return (
    usable(opts.spacingOverride) ?? usable(gt.spacing) ?? usable(pred.spacing) ?? usable(opts.defaultSpacing)
  );
}

function pointsById(im: ImageAnnotation): Map<number, { point: Point | null; confidence?: number }> {
  return new Map(im.landmarks.map((l) => [l.id, { point: l.point, confidence: l.confidence }]));
}

/**
 * Pairs predictions with ground truth and measures each landmark's radial error.
 * Missing landmarks (null points, absent ids, images without a prediction) are excluded and counted.
 */
export function radialErrors(
  pred: AnnotationSet,
  gt: AnnotationSet,
  opts: RadialErrorOptions = {},
): RadialErrors {
  assertNoDuplicates(pred, opts.predictionFile, 'prediction file');
  assertNoDuplicates(gt, opts.groundTruthSource, 'ground truth');

  const problems: EvaluationProblem[] = [];
  const gtIds = new Set(gt.images.map((im) => im.imageId));
  const known = new Set(opts.knownImageIds ?? []);
  const predById = new Map(pred.images.map((im) => [im.imageId, im]));

  const unmatched: string[] = [];
  const outside: string[] = [];
  for (const im of pred.images) {
    if (gtIds.has(im.imageId)) continue;
    (known.has(im.imageId) ? outside : unmatched).push(im.imageId);
  }
  const fileName = opts.predictionFile ?? 'predictions';
  const gtLabel = opts.groundTruthLabel ?? opts.groundTruthSource;
  if (unmatched.length > 0) {
    problems.push({
      severity: 'error',
      kind: 'unmatched-prediction-ids',
      message: `${fileName}: ${unmatched.length} prediction image id(s) match no image${
        gtLabel ? ` of ${gtLabel}` : ''
      }: ${listIds(unmatched)} (not evaluated; the other images were)${paddingHint(unmatched, [...gtIds, ...known])}`,
      ids: unmatched,
    });
  }
  if (outside.length > 0) {
    problems.push({
      severity: 'note',
      kind: 'outside-split',
      message: `${fileName}: ${outside.length} prediction(s) for images outside the evaluated ground truth were ignored`,
      ids: outside,
    });
  }

  const landmarkIds = gt.landmarkSet.landmarks.map((l) => l.id);
  const landmarkIdSet = new Set(landmarkIds);
  const unknownLandmarks = new Set<number>();
  for (const im of pred.images) {
    for (const l of im.landmarks) if (!landmarkIdSet.has(l.id)) unknownLandmarks.add(l.id);
  }
  if (unknownLandmarks.size > 0) {
    const ids = [...unknownLandmarks].sort((a, b) => a - b).map(String);
    problems.push({
      severity: 'warning',
      kind: 'unknown-landmark-ids',
      message: `${fileName}: landmark id(s) ${listIds(ids)} are not in the ground truth's landmark set "${gt.landmarkSet.name}" and were ignored`,
      ids,
    });
  }

  const errors: PointError[] = [];
  const missing: MissingPoint[] = [];
  const imageIds: string[] = [];
  const withoutPrediction: string[] = [];
  const noSpacing: string[] = [];
  const spacingUses = new Map<string, SpacingUse>();

  for (const gtIm of gt.images) {
    const predIm = predById.get(gtIm.imageId);
    if (!predIm) {
      withoutPrediction.push(gtIm.imageId);
      for (const l of gtIm.landmarks) {
        if (l.point && landmarkIdSet.has(l.id)) {
          missing.push({ imageId: gtIm.imageId, landmarkId: l.id, missing: 'prediction' });
        }
      }
      continue;
    }
    const spacing = spacingFor(gtIm, predIm, opts);
    if (!spacing) noSpacing.push(gtIm.imageId);
    else {
      const key = `${spacing.x}|${spacing.y}|${spacing.source}`;
      const use = spacingUses.get(key) ?? { x: spacing.x, y: spacing.y, source: spacing.source, images: 0 };
      use.images++;
      spacingUses.set(key, use);
    }
    imageIds.push(gtIm.imageId);
    const gtPts = pointsById(gtIm);
    const predPts = pointsById(predIm);
    for (const id of landmarkIds) {
      const g = gtPts.get(id)?.point ?? null;
      const p = predPts.get(id);
      if (!g) {
        missing.push({ imageId: gtIm.imageId, landmarkId: id, missing: 'ground-truth' });
        continue;
      }
      if (!p?.point) {
        missing.push({ imageId: gtIm.imageId, landmarkId: id, missing: 'prediction' });
        continue;
      }
      const dx = p.point.x - g.x;
      const dy = p.point.y - g.y;
      const errorPx = Math.hypot(dx, dy);
      // Isotropic spacing: scale the pixel distance (exact for integer pixel offsets, so an error of
      // exactly 20 px at 0.1 mm is 2.0 mm, not 1.9999999999999998).
      const errorMm = !spacing
        ? Number.NaN
        : spacing.x === spacing.y
          ? errorPx * spacing.x
          : Math.hypot(dx * spacing.x, dy * spacing.y);
      const offsetMm = spacing ? { x: dx * spacing.x, y: dy * spacing.y } : { x: Number.NaN, y: Number.NaN };
      const e: PointError = {
        imageId: gtIm.imageId,
        landmarkId: id,
        gt: g,
        pred: p.point,
        errorPx,
        errorMm,
        offsetMm,
      };
      if (p.confidence !== undefined) e.confidence = p.confidence;
      errors.push(e);
    }
  }

  if (noSpacing.length > 0 && !opts.allowPixels) {
    throw new EvaluationInputError(
      `no mm spacing known for ${noSpacing.length} image(s): ${listIds(noSpacing)}; give a spacing (e.g. --spacing 0.1) or evaluate in pixels`,
      opts.groundTruthSource ?? opts.predictionFile,
      noSpacing,
    );
  }
  const unit = noSpacing.length > 0 ? 'px' : 'mm';

  if (withoutPrediction.length > 0) {
    problems.push({
      severity: 'warning',
      kind: 'images-without-prediction',
      message: `${fileName}: ${withoutPrediction.length} ground-truth image(s) have no prediction: ${listIds(
        withoutPrediction,
      )} (their landmarks are counted as missing predictions)`,
      ids: withoutPrediction,
    });
  }
  const whole = new Set(withoutPrediction);
  const missPred = missing.filter((m) => m.missing === 'prediction' && !whole.has(m.imageId));
  if (missPred.length > 0) {
    const ids = missPred.map((m) => `${m.imageId}#${m.landmarkId}`);
    problems.push({
      severity: 'warning',
      kind: 'missing-predicted-landmarks',
      message: `${fileName}: ${missPred.length} landmark(s) missing from the predictions (image#landmark): ${listIds(ids)} (excluded from the figures)`,
      ids,
    });
  }
  const missGt = missing.filter((m) => m.missing === 'ground-truth');
  if (missGt.length > 0) {
    const ids = missGt.map((m) => `${m.imageId}#${m.landmarkId}`);
    problems.push({
      severity: 'note',
      kind: 'missing-ground-truth-landmarks',
      message: `${opts.groundTruthSource ?? 'ground truth'}: ${missGt.length} landmark(s) have no ground truth (image#landmark): ${listIds(ids)} (excluded)`,
      ids,
    });
  }

  return {
    unit,
    landmarkIds,
    imageIds,
    errors,
    missing,
    problems,
    spacings: [...spacingUses.values()],
  };
}

/** prediction − ground truth per axis in the evaluation's unit. */
export function offsetValue(e: PointError, unit: 'mm' | 'px'): Point {
  return unit === 'mm' ? e.offsetMm : { x: e.pred.x - e.gt.x, y: e.pred.y - e.gt.y };
}

/** The error of a point in the evaluation's unit. */
export function errorValue(e: PointError, unit: 'mm' | 'px'): number {
  return unit === 'mm' ? e.errorMm : e.errorPx;
}
