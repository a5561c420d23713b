/**
 * Does a detector's confidence say how far off a point is? A calibration turns the confidence c of
 * one predicted landmark into an expected radial error E(c) = exp(a + b·c) (mm, or px without a
 * spacing), fitted by least squares on log errors of points with known truth; the check compares
 * E(c) with the real error on other points: their correlation, the rank correlation of confidence
 * with the error, and the share of points whose real error lies under the predicted one (about
 * one half for a median-like fit; far from it, the confidence misleads).
 */

export interface CalibrationPoint {
  confidence: number;
  /** Real radial error of the point (mm or px, as `unit`). */
  error: number;
}

export interface ConfidenceCalibration {
  kind: 'log-linear';
  /** E(c) = exp(a + b·c). */
  a: number;
  b: number;
  unit: 'mm' | 'px';
  /** Points it was fitted on. */
  n: number;
}

export interface CalibrationCheck {
  n: number;
  unit: 'mm' | 'px';
  /** Pearson correlation of predicted with real error. */
  pearson: number;
  /** Spearman rank correlation of predicted with real error (confidence ranks, reversed). */
  spearman: number;
  /** Share of points whose real error is below the predicted one. */
  shareUnderPredicted: number;
  meanPredicted: number;
  meanReal: number;
}

/** Floor for log(error): a perfect point (error 0) must not weigh -∞. */
const ERROR_FLOOR = 1e-3;

export function fitCalibration(
  points: readonly CalibrationPoint[],
  unit: 'mm' | 'px',
): ConfidenceCalibration {
  const usable = points.filter((p) => Number.isFinite(p.confidence) && Number.isFinite(p.error));
  if (usable.length < 3)
    throw new Error(`calibration needs at least 3 points with confidence and error, got ${usable.length}`);
  const xs = usable.map((p) => p.confidence);
  const ys = usable.map((p) => Math.log(Math.max(ERROR_FLOOR, p.error)));
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  // All confidences equal: the best one can say is the typical error, whatever c.
  const b = sxx > 0 ? sxy / sxx : 0;
  return { kind: 'log-linear', a: my - b * mx, b, unit, n: usable.length };
}

export function expectedError(cal: ConfidenceCalibration, confidence: number): number {
  return Math.exp(cal.a + cal.b * confidence);
}

export function checkCalibration(
  cal: ConfidenceCalibration,
  points: readonly CalibrationPoint[],
): CalibrationCheck {
  const usable = points.filter((p) => Number.isFinite(p.confidence) && Number.isFinite(p.error));
  return compareErrors(
    usable.map((p) => expectedError(cal, p.confidence)),
    usable.map((p) => p.error),
    cal.unit,
  );
}

/** Predicted against real errors, point by point. */
export function compareErrors(
  predicted: readonly number[],
  real: readonly number[],
  unit: 'mm' | 'px',
): CalibrationCheck {
  return {
    n: real.length,
    unit,
    pearson: pearson(predicted, real),
    spearman: pearson(ranks(predicted), ranks(real)),
    shareUnderPredicted: real.length ? real.filter((r, i) => r < predicted[i]).length / real.length : NaN,
    meanPredicted: mean(predicted),
    meanReal: mean(real),
  };
}

function mean(v: readonly number[]): number {
  return v.length ? v.reduce((s, x) => s + x, 0) / v.length : NaN;
}

export function pearson(a: readonly number[], b: readonly number[]): number {
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
}

/** Ranks (1-based, ties share their mean rank). */
export function ranks(v: readonly number[]): number[] {
  const order = v.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]);
  const out = new Array<number>(v.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) out[order[k][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}
