/**
 * `onemark dataset inspect`: counts, sizes, spacing, labelled/unlabelled and every problem found.
 * Headers only by default (fast for hundreds of files); `decode: true` also decodes every image,
 * which finds corrupt pixel data that a header cannot show.
 */
import { formatProblem, problem, toProblem, type DataProblem } from '../errors';
import { readImageInfo } from '../images/info';
import type { SpacingSource } from '../types';
import { itemReadOptions, mapLimit } from './dataset';
import type { Dataset, SplitInfo } from './types';

export interface DatasetReport {
  name: string;
  kind: Dataset['kind'];
  root: string;
  landmarkSet: { name: string; count: number };
  groundTruthRule?: string;
  images: number;
  labelled: number;
  unlabelled: number;
  splits: SplitInfo[];
  /** Files per format ('jpeg', 'dicom'...). */
  formats: Record<string, number>;
  /** Distinct sizes, most common first. */
  sizes: Array<{ width: number; height: number; count: number }>;
  /** Distinct spacings with their source, most common first. */
  spacings: Array<{ x: number; y: number; source: SpacingSource; count: number }>;
  bitDepths: Record<string, number>;
  /** Landmarks marked missing on labelled images. */
  missingLandmarks: number;
  /** Images whose header or pixels could not be read. */
  unreadable: number;
  problems: DataProblem[];
  /** Mean decode time per image, when decoded. */
  decodeMsPerImage?: number;
}

export interface InspectOptions {
  decode?: boolean;
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

function bump<K extends string>(m: Record<K, number>, k: K): void {
  m[k] = (m[k] ?? 0) + 1;
}

export async function inspectDataset(ds: Dataset, opts: InspectOptions = {}): Promise<DatasetReport> {
  const problems: DataProblem[] = [...ds.problems];
  const formats: Record<string, number> = {};
  const bitDepths: Record<string, number> = {};
  const sizes = new Map<string, { width: number; height: number; count: number }>();
  const spacings = new Map<string, { x: number; y: number; source: SpacingSource; count: number }>();
  let unreadable = 0;
  let missingLandmarks = 0;
  let decodeMs = 0;
  let decoded = 0;
  let done = 0;
  await mapLimit(ds.items, opts.concurrency ?? 4, async (item) => {
    try {
      const info = await readImageInfo(item.imagePath, itemReadOptions(item));
      bump(formats, info.format);
      bump(bitDepths, String(info.bitsStored));
      const sk = `${info.width}x${info.height}`;
      const s = sizes.get(sk) ?? { width: info.width, height: info.height, count: 0 };
      s.count++;
      sizes.set(sk, s);
      const pk = `${info.spacing.x}|${info.spacing.y}|${info.spacing.source}`;
      const p = spacings.get(pk) ?? {
        x: info.spacing.x,
        y: info.spacing.y,
        source: info.spacing.source,
        count: 0,
      };
      p.count++;
      spacings.set(pk, p);
      for (const v of item.landmarks ?? []) {
        if (!v.point) {
          missingLandmarks++;
          continue;
        }
        const { x, y } = v.point;
        if (x < -0.5 || y < -0.5 || x > info.width - 0.5 || y > info.height - 0.5) {
          problems.push(
            problem(
              'landmarks',
              item.annotationPaths?.[0] ?? item.imagePath,
              `image '${item.id}': landmark ${v.id} at (${x}, ${y}) lies outside the ${info.width} x ${info.height} image`,
              { itemId: item.id },
            ),
          );
        }
      }
      if (opts.decode) {
        const t = performance.now();
        await ds.loadImage(item);
        decodeMs += performance.now() - t;
        decoded++;
      }
    } catch (e) {
      unreadable++;
      const pr = toProblem(e, 'image', item.imagePath, item.id);
      if (!problems.some((q) => q.path === pr.path && q.message === pr.message)) problems.push(pr);
    } finally {
      opts.onProgress?.(++done, ds.items.length);
    }
  });
  const labelled = ds.items.filter((i) => i.landmarks).length;
  const report: DatasetReport = {
    name: ds.name,
    kind: ds.kind,
    root: ds.root,
    landmarkSet: { name: ds.landmarkSet.name, count: ds.landmarkSet.landmarks.length },
    images: ds.items.length,
    labelled,
    unlabelled: ds.items.length - labelled,
    splits: ds.splits,
    formats,
    sizes: [...sizes.values()].sort((a, b) => b.count - a.count),
    spacings: [...spacings.values()].sort((a, b) => b.count - a.count),
    bitDepths,
    missingLandmarks,
    unreadable,
    problems,
  };
  if (ds.groundTruthRule) report.groundTruthRule = ds.groundTruthRule;
  if (decoded) report.decodeMsPerImage = decodeMs / decoded;
  return report;
}

/** Plain-text rendering for the CLI. */
export function formatDatasetReport(r: DatasetReport): string {
  const lines: string[] = [];
  lines.push(`Dataset: ${r.name} (${r.kind}) at ${r.root}`);
  lines.push(
    `Landmarks: ${r.landmarkSet.name}, ${r.landmarkSet.count} per image${r.groundTruthRule ? `; ground truth = ${r.groundTruthRule}` : ''}`,
  );
  lines.push(
    `Images: ${r.images} (${r.labelled} labelled, ${r.unlabelled} unlabelled${r.unreadable ? `, ${r.unreadable} unreadable` : ''})`,
  );
  for (const s of r.splits) {
    const tail = s.labelsWithheld
      ? ` - unlabelled${s.note ? `: ${s.note}` : ''}`
      : s.note
        ? ` - ${s.note}`
        : '';
    lines.push(`  ${s.name}: ${s.count} images, ${s.labelled} labelled${tail}`);
  }
  const fmt = (m: Record<string, number>) =>
    Object.entries(m)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || '-';
  lines.push(`Formats: ${fmt(r.formats)}; bits stored: ${fmt(r.bitDepths)}`);
  lines.push(`Sizes: ${r.sizes.map((s) => `${s.width}x${s.height} (${s.count})`).join(', ') || '-'}`);
  lines.push(
    `Spacing: ${r.spacings.map((s) => (s.source === 'none' ? `unknown (${s.count})` : `${s.x} x ${s.y} mm from ${s.source} (${s.count})`)).join(', ') || '-'}`,
  );
  if (r.missingLandmarks) lines.push(`Missing landmarks on labelled images: ${r.missingLandmarks}`);
  if (r.decodeMsPerImage !== undefined) lines.push(`Decode: ${r.decodeMsPerImage.toFixed(1)} ms per image`);
  lines.push(r.problems.length ? `Problems (${r.problems.length}):` : 'Problems: none');
  for (const p of r.problems) lines.push(`  ${formatProblem(p)}`);
  return lines.join('\n');
}
