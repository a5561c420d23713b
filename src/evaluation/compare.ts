/**
 * Several prediction files against the same ground truth, side by side: one Table 1 row each,
 * Table 2 with the methods in adjacent columns, a combined CDF and grouped error bars.
 */
import type { Evaluation } from './evaluate';
import { cdfSvg } from './plots/cdf';
import { errorBarsSvg } from './plots/error-bars';
import { errorValues, table2Radius } from './tables';

export interface Comparison {
  evaluations: Evaluation[];
  /** Whether every method was scored on exactly the same image × landmark points. */
  samePoints: boolean;
  notes: string[];
}

function pointKeys(e: Evaluation): Set<string> {
  return new Set(e.errors.errors.map((p) => `${p.imageId}#${p.landmarkId}`));
}

export function compare(evals: readonly Evaluation[]): Comparison {
  if (evals.length < 2)
    throw new Error(`a comparison needs two or more prediction files, got ${evals.length}`);
  const notes: string[] = [];
  const units = new Set(evals.map((e) => e.metrics.unit));
  if (units.size > 1) throw new Error('cannot compare evaluations in mm with evaluations in pixels');
  const radii = evals[0].metrics.radii.join(',');
  if (evals.some((e) => e.metrics.radii.join(',') !== radii))
    throw new Error('cannot compare evaluations with different SDR radii');
  const names = evals.map((e) => e.method);
  const dupNames = names.filter((nm, i) => names.indexOf(nm) !== i);
  if (dupNames.length > 0)
    throw new Error(`two prediction files have the same method name "${dupNames[0]}"; name them (--name)`);
  const landmarks = evals[0].errors.landmarkIds.join(',');
  if (evals.some((e) => e.errors.landmarkIds.join(',') !== landmarks)) {
    throw new Error('cannot compare evaluations over different landmark sets');
  }

  const first = pointKeys(evals[0]);
  let samePoints = true;
  for (const e of evals.slice(1)) {
    const keys = pointKeys(e);
    if (keys.size !== first.size || [...keys].some((k) => !first.has(k))) samePoints = false;
  }
  if (!samePoints) {
    notes.push(
      'The methods were not scored on the same image × landmark points (missing predictions or images differ): ' +
        evals.map((e) => `${e.method} ${e.metrics.counts.evaluatedPoints} points`).join(', ') +
        '. Differences in MRE/SDR are then partly differences in what was scored.',
    );
  }
  return { evaluations: [...evals], samePoints, notes };
}

export function comparisonCdfSvg(c: Comparison): string {
  const e0 = c.evaluations[0];
  return cdfSvg(
    c.evaluations.map((e) => ({ label: e.method, values: errorValues(e) })),
    { unit: e0.metrics.unit, radii: e0.metrics.radii, title: 'Radial error CDF, methods compared' },
  );
}

export function comparisonErrorBarsSvg(c: Comparison): string {
  const e0 = c.evaluations[0];
  return errorBarsSvg(
    c.evaluations.map((e) => ({
      label: e.method,
      values: e.metrics.perLandmark.map((lm) => ({
        landmarkId: lm.landmarkId,
        mean: lm.summary.mean,
        std: lm.summary.std,
      })),
    })),
    {
      unit: e0.metrics.unit,
      referenceRadius: table2Radius(e0.metrics),
      title: 'Radial error per landmark, methods compared',
    },
  );
}
