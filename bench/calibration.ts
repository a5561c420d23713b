/**
 * Calibration check of a predictions file's confidences against ground truth:
 *
 *   npm run bench:calibration -- --pred pred.csv --gt ../shared/isbi2015:test1 [--spacing 0.1]
 *                                [--fit other-pred.csv --fit-gt DATASET:split] [--out calibration.json]
 *
 * Fits E(c) = exp(a + b·c), the expected radial error of a point of confidence c
 * (src/evaluation/calibration.ts), and prints, on points it was NOT fitted on, the correlation of
 * predicted with real error and the share of points whose real error lies under the predicted one.
 * With --fit, it is fitted on that file (e.g. the training images' pseudo-labels, or another split);
 * without, on one half of the images and checked on the other (and the other way round).
 * Any OneMark predictions file with a confidence column (`onemark predict`) and any ground truth
 * `onemark evaluate --gt` reads (a dataset folder with a split, or a landmark file) will do.
 */
import { parseArgs } from 'node:util';
import type { AnnotationSet, Spacing } from '../src/data';
import {
  checkCalibration,
  compareErrors,
  expectedError,
  fitCalibration,
  type CalibrationCheck,
  type CalibrationPoint,
  type ConfidenceCalibration,
} from '../src/evaluation/calibration';
import { radialErrors } from '../src/evaluation/errors';
import { loadGroundTruth, parseSpacing, readLandmarkFileStrict } from '../src/cli/inputs';
import { writeFile } from 'node:fs/promises';

async function points(
  predFile: string,
  gtSpec: string,
  spacing: Spacing | undefined,
): Promise<{ points: (CalibrationPoint & { imageId: string })[]; unit: 'mm' | 'px' }> {
  const gt = await loadGroundTruth(gtSpec);
  const pred: AnnotationSet = await readLandmarkFileStrict(predFile, { landmarkSet: gt.set.landmarkSet });
  const r = radialErrors(pred, gt.set, {
    predictionFile: predFile,
    groundTruthSource: gt.description,
    knownImageIds: gt.knownImageIds,
    ...(spacing ? { defaultSpacing: spacing } : {}),
    allowPixels: true,
  });
  const out = r.errors
    .filter((e) => e.confidence !== undefined)
    .map((e) => ({
      imageId: e.imageId,
      confidence: e.confidence!,
      error: r.unit === 'mm' ? e.errorMm : e.errorPx,
    }));
  if (out.length === 0) throw new Error(`${predFile}: no predicted point has a confidence`);
  return { points: out, unit: r.unit };
}

function print(label: string, cal: ConfidenceCalibration, c: CalibrationCheck): void {
  const f = (v: number, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');
  console.log(
    `${label}: E(c) = exp(${f(cal.a)} + ${f(cal.b)}·c) ${cal.unit} (fitted on ${cal.n} points); checked on ${c.n}: ` +
      `pearson(predicted, real) ${f(c.pearson)}, spearman ${f(c.spearman)}, ` +
      `real < predicted for ${(c.shareUnderPredicted * 100).toFixed(1)} %, ` +
      `mean predicted ${f(c.meanPredicted, 2)} vs real ${f(c.meanReal, 2)} ${c.unit}`,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      pred: { type: 'string' },
      gt: { type: 'string' },
      fit: { type: 'string' },
      'fit-gt': { type: 'string' },
      spacing: { type: 'string' },
      out: { type: 'string' },
    },
  });
  if (!values.pred || !values.gt) {
    throw new Error(
      'usage: bench/calibration.ts --pred PRED --gt DATASET[:split]|FILE [--fit PRED --fit-gt GT] [--spacing MM] [--out FILE]',
    );
  }
  const spacing = values.spacing ? parseSpacing(values.spacing) : undefined;
  const test = await points(values.pred, values.gt, spacing);
  let result: { calibration: ConfidenceCalibration; check: CalibrationCheck };
  if (values.fit) {
    const fit = await points(values.fit, values['fit-gt'] ?? values.gt, spacing);
    if (fit.unit !== test.unit)
      throw new Error(`the fit is in ${fit.unit}, the check in ${test.unit}: give --spacing`);
    const calibration = fitCalibration(fit.points, fit.unit);
    result = { calibration, check: checkCalibration(calibration, test.points) };
    print('fit on --fit, check on --pred', calibration, result.check);
  } else {
    // Two-fold by image: a point never helps fit the curve it is checked against.
    const ids = [...new Set(test.points.map((p) => p.imageId))].sort();
    const half = new Set(ids.filter((_, i) => i % 2 === 0));
    const a = test.points.filter((p) => half.has(p.imageId));
    const b = test.points.filter((p) => !half.has(p.imageId));
    const calA = fitCalibration(a, test.unit);
    const calB = fitCalibration(b, test.unit);
    print('fold 1 (fit even images, check odd)', calA, checkCalibration(calA, b));
    print('fold 2 (fit odd images, check even)', calB, checkCalibration(calB, a));
    const calibration = fitCalibration(test.points, test.unit);
    // Pooled over both folds: every point checked against the curve fitted without it.
    const pooled = [
      ...b.map((p) => ({ ...p, predicted: expectedError(calA, p.confidence) })),
      ...a.map((p) => ({ ...p, predicted: expectedError(calB, p.confidence) })),
    ];
    result = {
      calibration,
      check: compareErrors(
        pooled.map((p) => p.predicted),
        pooled.map((p) => p.error),
        test.unit,
      ),
    };
    print('both folds pooled (curve below: fitted on all)', calibration, result.check);
  }
  if (values.out) {
    await writeFile(
      values.out,
      JSON.stringify({ format: 'onemark-calibration', version: 1, ...result }, null, 2) + '\n',
    );
    console.log(`wrote ${values.out}`);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
