/**
 * One prediction file against one ground truth: errors, metrics and the facts a report must state.
 */
import type { AnnotationSet } from '../data';
import { radialErrors, type RadialErrorOptions, type RadialErrors } from './errors';
import { computeMetrics, DEFAULT_RADII_MM, type Metrics } from './metrics';

export interface EvaluateOptions extends RadialErrorOptions {
  /** Name shown in tables; defaults to the prediction's meta.method, then the file name. */
  method?: string;
  /** Number of trained models behind the prediction (Table 1's "Count"); defaults to meta.modelCount. */
  modelCount?: number;
  radii?: readonly number[];
}

export interface Evaluation {
  method: string;
  modelCount: number | null;
  predictionFile: string | null;
  groundTruthSource: string | null;
  /** The prediction file's provenance (seed, method, run, created-at...), copied as given. */
  provenance: Record<string, unknown>;
  errors: RadialErrors;
  metrics: Metrics;
}

function baseName(path: string): string {
  const name = path.split(/[\\/]/).pop() ?? path;
  return name.replace(/\.[^.]+$/, '');
}

export function evaluate(pred: AnnotationSet, gt: AnnotationSet, opts: EvaluateOptions = {}): Evaluation {
  const errors = radialErrors(pred, gt, opts);
  const metrics = computeMetrics(errors, gt.landmarkSet, opts.radii ?? DEFAULT_RADII_MM);
  const meta = pred.meta ?? {};
  const metaMethod = typeof meta.method === 'string' ? meta.method : undefined;
  const metaCount = typeof meta.modelCount === 'number' ? meta.modelCount : undefined;
  return {
    method: opts.method ?? metaMethod ?? (opts.predictionFile ? baseName(opts.predictionFile) : 'prediction'),
    modelCount: opts.modelCount ?? metaCount ?? null,
    predictionFile: opts.predictionFile ?? null,
    groundTruthSource: opts.groundTruthSource ?? null,
    provenance: { ...meta },
    errors,
    metrics,
  };
}
