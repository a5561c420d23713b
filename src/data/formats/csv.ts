/**
 * OneMark landmark CSV: one row per image and landmark (see docs/formats.md):
 *   image,landmark_id,name,x_px,y_px,x_mm,y_mm,confidence,source
 * Leading `# key: value` lines carry provenance (`# meta: {json}`) and the landmark set's name.
 */
import { hasKnownSpacing } from '../annotations';
import { DataError, problem, type DataProblem } from '../errors';
import { findLandmark, landmarkSetFromIds } from '../landmarkSets';
import type { AnnotationSet, ImageAnnotation, LandmarkValue, Spacing, SpacingSource } from '../types';
import { csvLine, parseCsvRows } from './csvText';
import { landmarkFileFormat, type LandmarkReadOptions, type LandmarkReadResult } from './landmarkFile';
import { formatNumber, formatRounded, parseFiniteNumber } from './numbers';

export const CSV_COLUMNS = [
  'image',
  'landmark_id',
  'name',
  'x_px',
  'y_px',
  'x_mm',
  'y_mm',
  'confidence',
  'source',
] as const;
const REQUIRED = ['image', 'landmark_id', 'x_px', 'y_px'] as const;

const SPACING_SOURCES: readonly SpacingSource[] = [
  'PixelSpacing',
  'ImagerPixelSpacing',
  'dataset',
  'user',
  'none',
];

/** Lenient parse: every problem is collected, the good images are kept. */
export function parseLandmarkCsv(
  text: string,
  path: string,
  opts: LandmarkReadOptions = {},
): LandmarkReadResult {
  const problems: DataProblem[] = [];
  const meta: Record<string, unknown> = {};
  let setName: string | undefined;
  let spacingSource: SpacingSource | undefined;
  // Comment lines are taken off before CSV parsing: their JSON holds quotes and commas.
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  let k = 0;
  for (; k < lines.length; k++) {
    const t = lines[k]!.trim();
    if (t === '') continue;
    if (!t.startsWith('#')) break;
    const m = /^#\s*([\w-]+)\s*:\s*(.*)$/.exec(t);
    if (!m) continue;
    const key = m[1]!;
    const value = m[2]!.trim();
    if (key === 'meta') {
      try {
        Object.assign(meta, JSON.parse(value) as Record<string, unknown>);
      } catch {
        problems.push(problem('landmarks', path, `unreadable '# meta:' JSON`, { line: k + 1 }));
      }
    } else if (key === 'landmark_set') setName = value;
    else if (key === 'spacing_source' && (SPACING_SOURCES as string[]).includes(value))
      spacingSource = value as SpacingSource;
  }
  const rows = parseCsvRows(lines.slice(k).join('\n'), k + 1);
  const r = 0;
  const headerRow = rows[r];
  if (!headerRow) throw new DataError(path, 'CSV has no header row', { kind: 'landmarks' });
  const header = headerRow.fields.map((h) => h.trim().toLowerCase());
  const col: Record<string, number> = {};
  header.forEach((h, i) => {
    if (!(h in col)) col[h] = i;
  });
  const missingCols = REQUIRED.filter((c) => !(c in col));
  if (missingCols.length) {
    throw new DataError(
      path,
      `CSV header lacks column(s) ${missingCols.join(', ')} (expected ${CSV_COLUMNS.join(',')})`,
      { kind: 'landmarks', line: headerRow.line },
    );
  }
  const get = (f: string[], name: string): string | undefined => (name in col ? f[col[name]!] : undefined);

  interface Acc {
    values: Map<number, { value: LandmarkValue; line: number }>;
    bad: boolean;
    ratioX?: { px: number; mm: number };
    ratioY?: { px: number; mm: number };
  }
  const images = new Map<string, Acc>();
  const names = new Map<number, string>();
  for (const row of rows.slice(r + 1)) {
    const f = row.fields;
    if (f.length === 1 && f[0]!.trim() === '') continue;
    if (f[0]!.trimStart().startsWith('#')) continue;
    const imageId = (get(f, 'image') ?? '').trim();
    const bad = (why: string): void => {
      problems.push(
        problem('landmarks', path, imageId ? `image '${imageId}': ${why}` : why, {
          line: row.line,
          itemId: imageId || undefined,
        }),
      );
      const acc = images.get(imageId);
      if (acc) acc.bad = true;
    };
    if (!imageId) {
      bad('empty image column');
      continue;
    }
    let acc = images.get(imageId);
    if (!acc) images.set(imageId, (acc = { values: new Map(), bad: false }));
    const idText = (get(f, 'landmark_id') ?? '').trim();
    const id = Number(idText);
    if (!/^\d+$/.test(idText) || !Number.isInteger(id) || id < 1) {
      bad(`landmark_id must be an integer >= 1, found '${idText}'`);
      continue;
    }
    if (opts.landmarkSet && !findLandmark(opts.landmarkSet, id)) {
      bad(`landmark id ${id} is not in the landmark set '${opts.landmarkSet.name}'`);
      continue;
    }
    const prev = acc.values.get(id);
    if (prev) {
      bad(`duplicate landmark id ${id} (first on line ${prev.line})`);
      continue;
    }
    const name = (get(f, 'name') ?? '').trim();
    if (name && !names.has(id)) names.set(id, name);
    const xs = get(f, 'x_px') ?? '';
    const ys = get(f, 'y_px') ?? '';
    let point: LandmarkValue['point'] = null;
    if (xs.trim() !== '' || ys.trim() !== '') {
      const x = parseFiniteNumber(xs, `x_px of landmark ${id}`);
      const y = parseFiniteNumber(ys, `y_px of landmark ${id}`);
      if (!x.ok || !y.ok) {
        bad((!x.ok ? x : (y as { why: string })).why);
        continue;
      }
      point = { x: x.value, y: y.value };
      const xm = parseFiniteNumber(get(f, 'x_mm'), 'x_mm');
      const ym = parseFiniteNumber(get(f, 'y_mm'), 'y_mm');
      if (xm.ok && Math.abs(x.value) > Math.abs(acc.ratioX?.px ?? 0))
        acc.ratioX = { px: x.value, mm: xm.value };
      if (ym.ok && Math.abs(y.value) > Math.abs(acc.ratioY?.px ?? 0))
        acc.ratioY = { px: y.value, mm: ym.value };
    } else if ((get(f, 'x_mm') ?? '').trim() !== '') {
      bad(`landmark ${id} has mm but no pixel coordinates (x_px, y_px are required)`);
      continue;
    }
    const value: LandmarkValue = { id, point };
    const confText = (get(f, 'confidence') ?? '').trim();
    if (confText !== '') {
      const c = parseFiniteNumber(confText, `confidence of landmark ${id}`);
      if (!c.ok) {
        bad(c.why);
        continue;
      }
      value.confidence = c.value;
    }
    const source = (get(f, 'source') ?? '').trim();
    if (source) value.source = source;
    acc.values.set(id, { value, line: row.line });
  }

  const landmarkSet =
    opts.landmarkSet ??
    landmarkSetFromIds(
      setName ?? opts.setName ?? 'from CSV',
      [...images.values()].flatMap((a) => [...a.values.keys()]),
      names,
    );
  const out: ImageAnnotation[] = [];
  for (const [imageId, acc] of images) {
    if (acc.bad) continue;
    const ann: ImageAnnotation = {
      imageId,
      landmarks: [...acc.values.values()].map((v) => v.value).sort((a, b) => a.id - b.id),
    };
    if (acc.ratioX && acc.ratioY && acc.ratioX.px !== 0 && acc.ratioY.px !== 0) {
      const sx = Number((acc.ratioX.mm / acc.ratioX.px).toPrecision(9));
      const sy = Number((acc.ratioY.mm / acc.ratioY.px).toPrecision(9));
      if (sx > 0 && sy > 0) ann.spacing = { x: sx, y: sy, source: spacingSource ?? 'dataset' };
    }
    out.push(ann);
  }
  const set: AnnotationSet = { landmarkSet, images: out };
  if (Object.keys(meta).length) set.meta = meta;
  return { set, problems };
}

/** CSV text; mm columns are filled where the image's spacing is known. */
export function formatLandmarkCsv(set: AnnotationSet): string {
  const lines: string[] = [];
  lines.push(`# onemark-landmarks: 1`);
  lines.push(`# landmark_set: ${set.landmarkSet.name.replace(/[\r\n]/g, ' ')}`);
  const sources = new Set(set.images.map((a) => (hasKnownSpacing(a.spacing) ? a.spacing!.source : 'none')));
  if (sources.size === 1) lines.push(`# spacing_source: ${[...sources][0]}`);
  if (set.meta && Object.keys(set.meta).length) lines.push(`# meta: ${JSON.stringify(set.meta)}`);
  lines.push(CSV_COLUMNS.join(','));
  for (const ann of set.images) {
    const sp: Spacing | undefined = hasKnownSpacing(ann.spacing) ? ann.spacing : undefined;
    for (const v of [...ann.landmarks].sort((a, b) => a.id - b.id)) {
      const name = findLandmark(set.landmarkSet, v.id)?.name ?? '';
      const p = v.point;
      lines.push(
        csvLine([
          ann.imageId,
          String(v.id),
          name,
          p ? formatNumber(p.x) : '',
          p ? formatNumber(p.y) : '',
          p && sp ? formatRounded(p.x * sp.x, 6) : '',
          p && sp ? formatRounded(p.y * sp.y, 6) : '',
          v.confidence !== undefined ? formatNumber(v.confidence) : '',
          v.source ?? '',
        ]),
      );
    }
  }
  return lines.join('\n') + '\n';
}

const csvFile = landmarkFileFormat(parseLandmarkCsv, formatLandmarkCsv);
export const readLandmarkCsvFile = csvFile.readFile;
export const readLandmarkCsv = csvFile.read;
export const writeLandmarkCsv = csvFile.write;
