/**
 * Writes an evaluation (or a comparison) to a folder a person can open and a program can parse:
 *   report.md          Table 1 row, Table 2, per-landmark and per-image tables, rules, provenance
 *   metrics.json       the same numbers with the rules and spacing stated
 *   per_landmark.csv   per_image.csv   point_errors.csv
 *   plots/*.svg|png    error bars per landmark, error CDF, GT-vs-prediction overlays
 * Every mm figure is accompanied by the spacing it used and its source, the SDR radii and the
 * "strictly below" rule, and the prediction file's provenance (seed, method, run).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { GrayImage, LandmarkSet } from '../data';
import { resolveInside, toSafeFileStem } from '../data/safeName';
import { compare, comparisonCdfSvg, comparisonErrorBarsSvg, type Comparison } from './compare';
import type { Evaluation } from './evaluate';
import { SDR_RULE, STD_RULE } from './metrics';
import { cdfSvg } from './plots/cdf';
import { errorBarsSvg } from './plots/error-bars';
import { overlaySvg, type OverlayPoint } from './plots/overlay';
import { svgToPng } from './plots/raster';
import {
  errorValues,
  metricsJson,
  perImageCsv,
  perImageMarkdown,
  perLandmarkCsv,
  perLandmarkMarkdown,
  pointErrorsCsv,
  table1Csv,
  table1Markdown,
  table2Markdown,
  table2Radius,
} from './tables';

export type PlotFormat = 'svg' | 'png';

export interface ReportOptions {
  outDir: string;
  /** Plot formats to write (default both). */
  formats?: readonly PlotFormat[];
  /** Landmark names and colours for tables and overlays. */
  landmarkSet?: LandmarkSet;
  /** Supplies images for overlays; without it no overlay is drawn. */
  loadImage?: (imageId: string) => Promise<GrayImage | null>;
  /** Images to overlay; default: the image with the median MRE and the one with the largest. */
  overlayImageIds?: readonly string[];
  /** The command line or call that produced the report, for provenance. */
  command?: string;
  /** Called as each file is written (for a progress line). */
  onFile?: (path: string) => void;
}

export interface ReportFiles {
  outDir: string;
  files: string[];
  /** Problems that happened while writing (e.g. an overlay image that could not be read). */
  warnings: string[];
}

class Writer {
  readonly files: string[] = [];
  readonly warnings: string[] = [];
  constructor(
    readonly outDir: string,
    private readonly onFile?: (path: string) => void,
  ) {}
  async write(rel: string, content: string | Uint8Array): Promise<void> {
    const path = resolveInside(this.outDir, rel);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, content);
    this.files.push(path);
    this.onFile?.(path);
  }
  /** `zoom`: PNG pixels per SVG unit (charts 2 for crisp text; overlays 1, their image is already full size). */
  async plot(name: string, svg: string, formats: readonly PlotFormat[], zoom = 2): Promise<string[]> {
    const written: string[] = [];
    if (formats.includes('svg')) {
      await this.write(`plots/${name}.svg`, svg);
      written.push(`plots/${name}.svg`);
    }
    if (formats.includes('png')) {
      await this.write(`plots/${name}.png`, svgToPng(svg, { zoom }));
      written.push(`plots/${name}.png`);
    }
    return written;
  }
}

function spacingLines(e: Evaluation): string[] {
  if (e.metrics.unit === 'px') {
    return [
      '- **Unit: pixels.** No mm spacing was known for some image, so every figure is in original pixels.',
    ];
  }
  const uses = e.errors.spacings
    .map((s) => `${s.x} × ${s.y} mm/pixel (x × y, source: ${s.source}) for ${s.images} image(s)`)
    .join('; ');
  return [
    `- Radial error = Euclidean distance between prediction and ground truth in original pixels, converted to mm with the image spacing: ${uses || 'no image evaluated'}.`,
  ];
}

function provenanceLines(e: Evaluation): string[] {
  const p = e.provenance;
  const keys = Object.keys(p);
  const seed = p.seed ?? p.Seed;
  const lines = [`- Seed: ${seed === undefined ? 'not recorded in the prediction file' : String(seed)}`];
  for (const k of keys) {
    if (k === 'seed' || k === 'Seed') continue;
    const v = p[k];
    lines.push(`- ${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  }
  return lines;
}

function rulesLines(e: Evaluation): string[] {
  const unit = e.metrics.unit;
  return [
    `- SDR radii: ${e.metrics.radii.map((r) => `${r} ${unit}`).join(', ')}. ${SDR_RULE}.`,
    `- MRE = mean radial error over all evaluated images × landmarks; ${STD_RULE}.`,
    '- Missing landmarks (no prediction or no ground truth) are excluded from the figures and counted below.',
  ];
}

function countLines(e: Evaluation): string[] {
  const c = e.metrics.counts;
  return [
    `- Images evaluated: ${c.images}; landmarks: ${c.landmarks}; points scored: ${c.evaluatedPoints}`,
    `- Missing predictions: ${c.missingPredictions}; missing ground truth: ${c.missingGroundTruth}`,
  ];
}

function problemLines(e: Evaluation): string[] {
  if (e.errors.problems.length === 0) return ['None.'];
  return e.errors.problems.map((p) => `- **${p.severity}**: ${p.message}`);
}

/** The images drawn by default: where the method is typical (median MRE) and where it is worst. */
export function defaultOverlayIds(e: Evaluation): string[] {
  const ims = e.metrics.perImage.filter((im) => im.summary.count > 0);
  if (ims.length === 0) return [];
  const sorted = [...ims].sort((a, b) => a.summary.mean - b.summary.mean);
  const medianId = sorted[Math.floor((sorted.length - 1) / 2)].imageId;
  const worstId = sorted[sorted.length - 1].imageId;
  return medianId === worstId ? [medianId] : [medianId, worstId];
}

function overlayPoints(e: Evaluation, imageId: string): OverlayPoint[] {
  const byId = new Map<number, OverlayPoint>();
  for (const p of e.errors.errors) {
    if (p.imageId === imageId) byId.set(p.landmarkId, { landmarkId: p.landmarkId, gt: p.gt, pred: p.pred });
  }
  return e.errors.landmarkIds.filter((id) => byId.has(id)).map((id) => byId.get(id)!);
}

/** Ids and method names come from the files evaluated: ".." or "CON" must not pick where files go. */
function safeName(id: string): string {
  return toSafeFileStem(id.replace(/[^A-Za-z0-9._-]+/g, '_'));
}

async function writeOverlays(
  w: Writer,
  e: Evaluation,
  opts: ReportOptions,
  prefix: string,
): Promise<string[]> {
  if (!opts.loadImage) return [];
  const written: string[] = [];
  const ids = opts.overlayImageIds ?? defaultOverlayIds(e);
  const evaluated = new Set(e.errors.imageIds);
  for (const id of ids) {
    if (!evaluated.has(id)) {
      w.warnings.push(`overlay: image ${id} was not evaluated, no overlay drawn`);
      continue;
    }
    let image: GrayImage | null;
    try {
      image = await opts.loadImage(id);
    } catch (err) {
      w.warnings.push(`overlay: image ${id} could not be read: ${(err as Error).message}`);
      continue;
    }
    if (!image) {
      w.warnings.push(`overlay: no image file for ${id}`);
      continue;
    }
    const im = e.metrics.perImage.find((x) => x.imageId === id);
    const unit = e.metrics.unit;
    const title = `${e.method} — image ${id}${im ? `: MRE ${im.summary.mean.toFixed(2)} ${unit}` : ''}`;
    const svg = overlaySvg(image, overlayPoints(e, id), { title, landmarks: opts.landmarkSet?.landmarks });
    written.push(
      ...(await w.plot(`${prefix}overlay_${safeName(id)}`, svg, opts.formats ?? ['svg', 'png'], 1)),
    );
  }
  return written;
}

function plotLinks(plots: readonly string[]): string[] {
  const pngs = plots.filter((p) => p.endsWith('.png'));
  const shown = pngs.length > 0 ? pngs : plots.filter((p) => p.endsWith('.svg'));
  return shown.map((p) => `![${p}](${p})`);
}

/** Writes one evaluation's report folder. */
export async function writeReport(e: Evaluation, opts: ReportOptions): Promise<ReportFiles> {
  const w = new Writer(opts.outDir, opts.onFile);
  const formats = opts.formats ?? ['svg', 'png'];
  const unit = e.metrics.unit;
  const plots: string[] = [];
  plots.push(
    ...(await w.plot(
      'error_bars',
      errorBarsSvg(
        [
          {
            label: e.method,
            values: e.metrics.perLandmark.map((lm) => ({
              landmarkId: lm.landmarkId,
              mean: lm.summary.mean,
              std: lm.summary.std,
            })),
          },
        ],
        { unit, referenceRadius: table2Radius(e.metrics), title: `${e.method}: radial error per landmark` },
      ),
      formats,
    )),
  );
  plots.push(
    ...(await w.plot(
      'cdf',
      cdfSvg([{ label: e.method, values: errorValues(e) }], {
        unit,
        radii: e.metrics.radii,
        title: `${e.method}: radial error CDF`,
      }),
      formats,
    )),
  );
  plots.push(...(await writeOverlays(w, e, opts, '')));

  await w.write(
    'metrics.json',
    JSON.stringify({ ...metricsJson(e), command: opts.command ?? null }, null, 2) + '\n',
  );
  await w.write('per_landmark.csv', perLandmarkCsv(e));
  await w.write('per_image.csv', perImageCsv(e));
  await w.write('point_errors.csv', pointErrorsCsv(e));

  const md = [
    `# Evaluation: ${e.method}`,
    '',
    `- Prediction file: ${e.predictionFile ?? '(in memory)'}`,
    `- Ground truth: ${e.groundTruthSource ?? '(in memory)'}`,
    ...(opts.command ? [`- Command: \`${opts.command}\``] : []),
    ...countLines(e),
    '',
    '## Rules',
    ...spacingLines(e),
    ...rulesLines(e),
    '',
    '## Provenance of the predictions',
    ...provenanceLines(e),
    '',
    '## Problems found',
    ...problemLines(e),
    '',
    '## Table 1',
    table1Markdown([e]),
    '',
    `## Table 2 (per landmark: MRE and SDR@${table2Radius(e.metrics)} ${unit})`,
    table2Markdown([e]),
    '',
    '## Per landmark',
    perLandmarkMarkdown(e),
    '',
    '## Plots',
    ...plotLinks(plots),
    '',
    '## Per image',
    perImageMarkdown(e),
    '',
  ].join('\n');
  await w.write('report.md', md);
  return { outDir: opts.outDir, files: w.files, warnings: w.warnings };
}

/**
 * Writes a comparison: each evaluation's own report in a subfolder named after its method, and at
 * the top Table 1 with one row per method, Table 2 side by side, a combined CDF and error bars.
 */
export async function writeComparisonReport(
  evals: readonly Evaluation[],
  opts: ReportOptions,
): Promise<ReportFiles & { comparison: Comparison }> {
  const c = compare(evals);
  const w = new Writer(opts.outDir, opts.onFile);
  const formats = opts.formats ?? ['svg', 'png'];
  const subdirs: string[] = [];
  const used = new Set<string>();
  for (const e of c.evaluations) {
    // Distinct method names can still map to one folder name ("a b", "a_b"): number the later ones.
    let name = safeName(e.method);
    for (let k = 2; used.has(name); k++) name = `${safeName(e.method)}_${k}`;
    used.add(name);
    const dir = join(opts.outDir, name);
    const sub = await writeReport(e, { ...opts, outDir: dir });
    w.files.push(...sub.files);
    w.warnings.push(...sub.warnings.map((x) => `${e.method}: ${x}`));
    subdirs.push(relative(opts.outDir, dir));
  }
  const plots = [
    ...(await w.plot('cdf', comparisonCdfSvg(c), formats)),
    ...(await w.plot('error_bars', comparisonErrorBarsSvg(c), formats)),
  ];
  await w.write('table1.csv', table1Csv(c.evaluations));
  await w.write(
    'comparison.json',
    JSON.stringify(
      {
        samePoints: c.samePoints,
        notes: c.notes,
        command: opts.command ?? null,
        methods: c.evaluations.map(metricsJson),
      },
      null,
      2,
    ) + '\n',
  );
  const e0 = c.evaluations[0];
  const md = [
    `# Comparison: ${c.evaluations.map((e) => e.method).join(' vs ')}`,
    '',
    `- Ground truth: ${e0.groundTruthSource ?? '(in memory)'}`,
    ...c.evaluations.map(
      (e, i) =>
        `- ${e.method}: ${e.predictionFile ?? '(in memory)'} (details in [${subdirs[i]}/report.md](${subdirs[i]}/report.md))`,
    ),
    ...(opts.command ? [`- Command: \`${opts.command}\``] : []),
    '',
    '## Rules',
    ...spacingLines(e0),
    ...rulesLines(e0),
    ...c.notes.map((nt) => `- **Note:** ${nt}`),
    '',
    '## Table 1',
    table1Markdown(c.evaluations),
    '',
    `## Table 2 (per landmark: MRE and SDR@${table2Radius(e0.metrics)} ${e0.metrics.unit})`,
    table2Markdown(c.evaluations),
    '',
    '## Plots',
    ...plotLinks(plots),
    '',
  ].join('\n');
  await w.write('report.md', md);
  return { outDir: opts.outDir, files: w.files, warnings: w.warnings, comparison: c };
}
