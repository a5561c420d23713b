/**
 * Tables in the paper's layouts (PAPER.md): Table 1 = one row per method (count, MRE ± std, SDR
 * at each radius); Table 2 = per-landmark MRE and SDR@2mm, methods side by side. Plus per-image
 * tables and CSV/JSON forms of the same numbers.
 */
import type { Evaluation } from './evaluate';
import { errorValue } from './errors';
import { SDR_RULE, STD_RULE, type ErrorSummary, type Metrics } from './metrics';

/** Fixed decimals; '–' for NaN so an empty landmark never prints "NaN". */
export function fmt(value: number, decimals = 2): string {
  return Number.isFinite(value) ? value.toFixed(decimals) : '–';
}

/** Signed fixed decimals ("+0.30", "−1.25" with a minus sign), '–' for NaN. */
export function signed(value: number, decimals = 2): string {
  if (!Number.isFinite(value)) return '–';
  const t = Math.abs(value).toFixed(decimals);
  return Number(t) === 0 ? t : `${value > 0 ? '+' : '−'}${t}`;
}

export function pct(rate: number, decimals = 2): string {
  return Number.isFinite(rate) ? (rate * 100).toFixed(decimals) : '–';
}

/** "2 mm", "2.5 mm": radii as written in headers. */
export function radiusLabel(r: number, unit: 'mm' | 'px'): string {
  return `${r} ${unit}`;
}

function mdRow(cells: readonly string[]): string {
  return `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
}

function mdTable(
  header: readonly string[],
  align: readonly ('l' | 'r')[],
  rows: readonly string[][],
): string {
  const sep = align.map((a) => (a === 'r' ? '---:' : ':---'));
  return [mdRow(header), `| ${sep.join(' | ')} |`, ...rows.map(mdRow)].join('\n');
}

function sdrAt(summary: ErrorSummary, radius: number): number {
  return summary.sdr.find((s) => s.radius === radius)?.rate ?? Number.NaN;
}

function commonUnit(evals: readonly Evaluation[]): 'mm' | 'px' {
  const units = new Set(evals.map((e) => e.metrics.unit));
  if (units.size > 1) throw new Error('cannot put evaluations in mm and in pixels in one table');
  return evals[0]?.metrics.unit ?? 'mm';
}

function commonRadii(evals: readonly Evaluation[]): number[] {
  const first = evals[0]?.metrics.radii ?? [];
  for (const e of evals) {
    if (e.metrics.radii.join(',') !== first.join(',')) {
      throw new Error(
        `evaluations use different SDR radii (${first.join(', ')} vs ${e.metrics.radii.join(', ')})`,
      );
    }
  }
  return first;
}

/** Table 1: Method | Count | MRE ± std | SDR at each radius (%). */
export function table1Markdown(evals: readonly Evaluation[]): string {
  const unit = commonUnit(evals);
  const radii = commonRadii(evals);
  const header = [
    'Method',
    'Count',
    `MRE ± std (${unit})`,
    ...radii.map((r) => `SDR ${radiusLabel(r, unit)} (%)`),
    `p99 (${unit})`,
  ];
  const rows = evals.map((e) => table1Cells(e));
  return mdTable(header, ['l', 'r', 'r', ...radii.map(() => 'r' as const), 'r'], rows);
}

/** The cells of one Table 1 row, for reports that quote a single row. */
export function table1Cells(e: Evaluation): string[] {
  const o = e.metrics.overall;
  return [
    e.method,
    e.modelCount === null ? '–' : String(e.modelCount),
    `${fmt(o.mean)} ± ${fmt(o.std)}`,
    ...o.sdr.map((s) => pct(s.rate)),
    fmt(o.p99),
  ];
}

/** The radius Table 2 reports: 2 (mm) as in the paper when evaluated, else the smallest. */
export function table2Radius(metrics: Metrics): number {
  return metrics.radii.includes(2) ? 2 : metrics.radii[0];
}

/** Table 2: one row per landmark, MRE and SDR at one radius for each method; last row = mean. */
export function table2Markdown(evals: readonly Evaluation[]): string {
  const unit = commonUnit(evals);
  commonRadii(evals);
  const r = table2Radius(evals[0].metrics);
  const header = ['Landmark'];
  for (const e of evals) header.push(`${e.method} MRE`, `${e.method} SDR(${radiusLabel(r, unit)})`);
  const first = evals[0].metrics.perLandmark;
  const rows: string[][] = first.map((lm, i) => {
    const cells = [lm.abbreviation ? `${lm.landmarkId} ${lm.abbreviation}` : `${lm.landmarkId} ${lm.name}`];
    for (const e of evals) {
      const s = e.metrics.perLandmark[i]?.summary;
      cells.push(s ? fmt(s.mean) : '–', s ? pct(sdrAt(s, r), 1) : '–');
    }
    return cells;
  });
  const mean = ['Mean'];
  for (const e of evals) mean.push(fmt(e.metrics.overall.mean), pct(sdrAt(e.metrics.overall, r), 1));
  rows.push(mean);
  return mdTable(header, ['l', ...evals.flatMap(() => ['r', 'r'] as const)], rows);
}

/** Per-landmark detail for one method (all radii, std, median, max, missing). */
export function perLandmarkMarkdown(e: Evaluation): string {
  const { unit, radii, perLandmark } = e.metrics;
  const header = [
    'Landmark',
    'Name',
    'n',
    'Missing',
    `MRE (${unit})`,
    'std',
    'median',
    'max',
    `mean offset x, y (${unit})`,
    ...radii.map((r) => `SDR ${radiusLabel(r, unit)} (%)`),
  ];
  const rows = perLandmark.map((lm) => [
    String(lm.landmarkId),
    lm.name,
    String(lm.summary.count),
    String(lm.missingPredictions),
    fmt(lm.summary.mean),
    fmt(lm.summary.std),
    fmt(lm.summary.median),
    fmt(lm.summary.max),
    `${signed(lm.meanOffset.x)}, ${signed(lm.meanOffset.y)}`,
    ...lm.summary.sdr.map((s) => pct(s.rate)),
  ]);
  return mdTable(
    header,
    ['r', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', ...radii.map(() => 'r' as const)],
    rows,
  );
}

/** Per-image table for one method. */
export function perImageMarkdown(e: Evaluation): string {
  const { unit, radii, perImage } = e.metrics;
  const header = [
    'Image',
    'n',
    'Missing',
    `MRE (${unit})`,
    'std',
    'max',
    'Worst landmark',
    ...radii.map((r) => `SDR ${radiusLabel(r, unit)} (%)`),
  ];
  const rows = perImage.map((im) => [
    im.imageId,
    String(im.summary.count),
    String(im.missingPredictions),
    fmt(im.summary.mean),
    fmt(im.summary.std),
    fmt(im.summary.max),
    im.worstLandmarkId === null ? '–' : String(im.worstLandmarkId),
    ...im.summary.sdr.map((s) => pct(s.rate)),
  ]);
  return mdTable(header, ['l', 'r', 'r', 'r', 'r', 'r', 'r', ...radii.map(() => 'r' as const)], rows);
}

// ---- CSV ------------------------------------------------------------------------------------

export function csvCell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(Number(v.toPrecision(10))) : '';
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function toCsv(
  header: readonly string[],
  rows: readonly (string | number | null | undefined)[][],
): string {
  return [header.map(csvCell).join(','), ...rows.map((r) => r.map(csvCell).join(','))].join('\n') + '\n';
}

function sdrColumns(radii: readonly number[], unit: string): string[] {
  return radii.map((r) => `sdr_${r}${unit}_pct`);
}

export function perLandmarkCsv(e: Evaluation): string {
  const { unit, radii } = e.metrics;
  const header = [
    'landmark_id',
    'name',
    'count',
    'missing_predictions',
    `mre_${unit}`,
    `std_${unit}`,
    `median_${unit}`,
    `max_${unit}`,
    `mean_offset_x_${unit}`,
    `mean_offset_y_${unit}`,
    ...sdrColumns(radii, unit),
  ];
  const rows = e.metrics.perLandmark.map((lm) => [
    lm.landmarkId,
    lm.name,
    lm.summary.count,
    lm.missingPredictions,
    lm.summary.mean,
    lm.summary.std,
    lm.summary.median,
    lm.summary.max,
    lm.meanOffset.x,
    lm.meanOffset.y,
    ...lm.summary.sdr.map((s) => s.rate * 100),
  ]);
  return toCsv(header, rows);
}

export function perImageCsv(e: Evaluation): string {
  const { unit, radii } = e.metrics;
  const header = [
    'image_id',
    'count',
    'missing_predictions',
    `mre_${unit}`,
    `std_${unit}`,
    `max_${unit}`,
    'worst_landmark_id',
    ...sdrColumns(radii, unit),
  ];
  const rows = e.metrics.perImage.map((im) => [
    im.imageId,
    im.summary.count,
    im.missingPredictions,
    im.summary.mean,
    im.summary.std,
    im.summary.max,
    im.worstLandmarkId,
    ...im.summary.sdr.map((s) => s.rate * 100),
  ]);
  return toCsv(header, rows);
}

/** Every evaluated point: where the truth was, where the prediction was, and the error. */
export function pointErrorsCsv(e: Evaluation): string {
  const header = [
    'image_id',
    'landmark_id',
    'gt_x',
    'gt_y',
    'pred_x',
    'pred_y',
    'error_px',
    'error_mm',
    'confidence',
  ];
  const rows = e.errors.errors.map((p) => [
    p.imageId,
    p.landmarkId,
    p.gt.x,
    p.gt.y,
    p.pred.x,
    p.pred.y,
    p.errorPx,
    e.errors.unit === 'mm' ? p.errorMm : null,
    p.confidence ?? null,
  ]);
  return toCsv(header, rows);
}

/** Table 1 rows as CSV, one per evaluation (used by comparisons). */
export function table1Csv(evals: readonly Evaluation[]): string {
  const unit = commonUnit(evals);
  const radii = commonRadii(evals);
  const header = [
    'method',
    'count',
    'prediction_file',
    'images',
    'points',
    'missing_predictions',
    `mre_${unit}`,
    `std_${unit}`,
    ...sdrColumns(radii, unit),
  ];
  const rows = evals.map((e) => [
    e.method,
    e.modelCount,
    e.predictionFile,
    e.metrics.counts.images,
    e.metrics.counts.evaluatedPoints,
    e.metrics.counts.missingPredictions,
    e.metrics.overall.mean,
    e.metrics.overall.std,
    ...e.metrics.overall.sdr.map((s) => s.rate * 100),
  ]);
  return toCsv(header, rows);
}

// ---- JSON -----------------------------------------------------------------------------------

/** NaN/Infinity become null: JSON has no NaN and a reader should see "no value", not 0. */
function finite(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

function summaryJson(s: ErrorSummary) {
  return {
    count: s.count,
    mean: finite(s.mean),
    std: finite(s.std),
    median: finite(s.median),
    max: finite(s.max),
    sdr: Object.fromEntries(s.sdr.map((x) => [String(x.radius), { hits: x.hits, rate: finite(x.rate) }])),
  };
}

/** Everything a program needs to reuse the evaluation, with the rules stated. */
export function metricsJson(e: Evaluation): Record<string, unknown> {
  const m = e.metrics;
  return {
    method: e.method,
    modelCount: e.modelCount,
    predictionFile: e.predictionFile,
    groundTruth: e.groundTruthSource,
    unit: m.unit,
    radii: m.radii,
    rules: { sdr: SDR_RULE, std: STD_RULE, mre: 'mean radial error over all evaluated images × landmarks' },
    spacing: e.errors.spacings,
    provenance: e.provenance,
    counts: m.counts,
    overall: summaryJson(m.overall),
    perLandmark: m.perLandmark.map((lm) => ({
      landmarkId: lm.landmarkId,
      name: lm.name,
      missingPredictions: lm.missingPredictions,
      ...summaryJson(lm.summary),
    })),
    perImage: m.perImage.map((im) => ({
      imageId: im.imageId,
      missingPredictions: im.missingPredictions,
      worstLandmarkId: im.worstLandmarkId,
      ...summaryJson(im.summary),
    })),
    problems: e.errors.problems,
  };
}

/** All error values of an evaluation in its unit (for plots). */
export function errorValues(e: Evaluation): number[] {
  return e.errors.errors.map((p) => errorValue(p, e.errors.unit));
}
