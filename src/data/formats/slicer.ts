/**
 * 3D Slicer markups (`.mrk.json`): one point list per image, following Slicer's markups schema.
 *
 * Pixel -> LPS mapping (docs/formats.md): the file places landmark (x, y) at
 *   position = [x * sx, y * sy, 0]   (LPS, mm)
 * which is where Slicer puts pixel (x, y) of a 2D image it loads with origin 0, identity direction and
 * spacing (sx, sy): ITK's LPS physical point of index (i, j) is (i * sx, j * sy), pixel centres at
 * integers like OneMark's. Slicer shows it as RAS (-x * sx, -y * sy, 0). Without a known spacing
 * sx = sy = 1 (Slicer's default for PNG/JPEG). Missing landmarks are control points with
 * positionStatus "missing".
 */
import { writeFile } from 'node:fs/promises';
import { hasKnownSpacing } from '../annotations';
import { DataError, problem, type DataProblem } from '../errors';
import { findLandmark } from '../landmarkSets';
import type { ImageAnnotation, LandmarkSet, LandmarkValue, Spacing } from '../types';
import { readText } from './landmarkFile';
import { checkJsonNumber, formatNumber } from './numbers';

export const SLICER_MARKUPS_SCHEMA =
  'https://raw.githubusercontent.com/slicer/slicer/master/Modules/Loadable/Markups/Resources/Schema/markups-schema-v1.0.3.json#';

export const SLICER_EXTENSION = '.mrk.json';

function snapPx(v: number): number {
  return Math.round(v * 1e9) / 1e9;
}

function mmPerPixel(spacing: Spacing | undefined): { sx: number; sy: number } {
  return hasKnownSpacing(spacing) ? { sx: spacing.x, sy: spacing.y } : { sx: 1, sy: 1 };
}

/** Confidence and source ride in the control point's description, e.g. "confidence=0.93; source=cc2d". */
function describe(v: LandmarkValue): string {
  const parts: string[] = [];
  if (v.confidence !== undefined) parts.push(`confidence=${formatNumber(v.confidence)}`);
  if (v.source) parts.push(`source=${v.source}`);
  return parts.join('; ');
}

export interface SlicerWriteOptions {
  /** Spacing for the pixel -> mm mapping; defaults to the annotation's. */
  spacing?: Spacing;
  /** Node name shown in Slicer; default the image id. */
  name?: string;
}

export function formatSlicerMarkups(
  ann: ImageAnnotation,
  set: LandmarkSet,
  opts: SlicerWriteOptions = {},
): string {
  const { sx, sy } = mmPerPixel(opts.spacing ?? ann.spacing);
  const byId = new Map(ann.landmarks.map((v) => [v.id, v]));
  // Every landmark of the set is listed, so a missing one stays visible (and placeable) in Slicer.
  const ids = [...new Set([...set.landmarks.map((l) => l.id), ...ann.landmarks.map((v) => v.id)])];
  const controlPoints = ids.map((id) => {
    const v = byId.get(id) ?? { id, point: null };
    const def = findLandmark(set, id);
    const p = v.point;
    return {
      id: String(id),
      label: def?.abbreviation ?? def?.name ?? `L${id}`,
      description: [def?.name && def.abbreviation ? def.name : '', describe(v)].filter(Boolean).join('; '),
      associatedNodeID: '',
      position: p ? [p.x * sx, p.y * sy, 0] : [0, 0, 0],
      orientation: [-1, -0, -0, -0, -1, -0, 0, 0, 1],
      selected: true,
      locked: false,
      visibility: true,
      positionStatus: p ? 'defined' : 'missing',
    };
  });
  const doc = {
    '@schema': SLICER_MARKUPS_SCHEMA,
    markups: [
      {
        type: 'Fiducial',
        coordinateSystem: 'LPS',
        coordinateUnits: 'mm',
        locked: false,
        fixedNumberOfControlPoints: false,
        labelFormat: '%N-%d',
        lastUsedControlPointNumber: controlPoints.length,
        controlPoints,
        measurements: [],
        display: {
          visibility: true,
          opacity: 1.0,
          color: [0.4, 1.0, 1.0],
          selectedColor: [1.0, 0.5, 0.5],
          activeColor: [0.4, 1.0, 0.0],
          propertiesLabelVisibility: false,
          pointLabelsVisibility: true,
          textScale: 3.0,
          glyphType: 'Sphere3D',
          glyphScale: 1.0,
          glyphSize: 5.0,
          useGlyphScale: true,
          sliceProjection: false,
          sliceProjectionUseFiducialColor: true,
          sliceProjectionOutlinedBehindSlicePlane: false,
          sliceProjectionColor: [1.0, 1.0, 1.0],
          sliceProjectionOpacity: 0.6,
          lineThickness: 0.2,
          lineColorFadingStart: 1.0,
          lineColorFadingEnd: 10.0,
          lineColorFadingSaturation: 1.0,
          lineColorFadingHueOffset: 0.0,
          handlesInteractive: false,
          snapMode: 'toVisibleSurface',
        },
      },
    ],
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

export interface SlicerReadOptions {
  /** Image id of the result; default the file name without `.mrk.json`. */
  imageId?: string;
  /** Maps labels to ids when control point ids are not numbers, and checks ids. */
  landmarkSet?: LandmarkSet;
  /** Spacing for the mm -> pixel mapping (the file does not store it); default 1 mm/pixel. */
  spacing?: Spacing;
}

export function imageIdFromSlicerPath(path: string): string {
  const base = path.split(/[\\/]/).pop() ?? path;
  return base.replace(/\.mrk\.json$/i, '').replace(/\.json$/i, '');
}

/** Parse one markups file; bad control points are reported and the image is returned null. */
export function parseSlicerMarkups(
  text: string,
  path: string,
  opts: SlicerReadOptions = {},
): { annotation: ImageAnnotation | null; problems: DataProblem[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new DataError(path, `not valid JSON: ${(e as Error).message}`, { kind: 'landmarks', cause: e });
  }
  const d = doc as { markups?: unknown };
  if (!d || typeof d !== 'object' || !Array.isArray(d.markups))
    throw new DataError(path, 'not a Slicer markups file (no "markups" array)', { kind: 'landmarks' });
  const markup = (d.markups as Array<Record<string, unknown>>).find(
    (m) => m && (m.type === 'Fiducial' || m.type === undefined),
  );
  if (!markup) throw new DataError(path, 'no Fiducial (point list) markup in file', { kind: 'landmarks' });
  const cs = markup.coordinateSystem ?? 'LPS';
  if (cs !== 'LPS' && cs !== 'RAS')
    throw new DataError(path, `unsupported coordinateSystem '${String(cs)}' (LPS or RAS)`, {
      kind: 'landmarks',
    });
  if (markup.coordinateUnits !== undefined && markup.coordinateUnits !== 'mm') {
    throw new DataError(path, `unsupported coordinateUnits '${String(markup.coordinateUnits)}' (mm)`, {
      kind: 'landmarks',
    });
  }
  const imageId = opts.imageId ?? imageIdFromSlicerPath(path);
  const problems: DataProblem[] = [];
  const bad = (why: string) => {
    problems.push(problem('landmarks', path, why, { itemId: imageId }));
    return { annotation: null, problems };
  };
  const { sx, sy } = mmPerPixel(opts.spacing);
  const values: LandmarkValue[] = [];
  const seen = new Set<number>();
  const cps = Array.isArray(markup.controlPoints)
    ? (markup.controlPoints as Array<Record<string, unknown>>)
    : [];
  for (const [i, cp] of cps.entries()) {
    const label = typeof cp.label === 'string' ? cp.label : '';
    let id =
      typeof cp.id === 'string' && /^\d+$/.test(cp.id)
        ? Number(cp.id)
        : typeof cp.id === 'number'
          ? cp.id
          : NaN;
    if (!Number.isInteger(id) && opts.landmarkSet) {
      const l = opts.landmarkSet.landmarks.find((x) => x.name === label || x.abbreviation === label);
      if (l) id = l.id;
    }
    if (!Number.isInteger(id) || id < 1) {
      if (!opts.landmarkSet)
        id = i + 1; // Slicer's own point ids are arbitrary strings: fall back on order.
      else
        return bad(`control point ${i + 1} ('${label}') matches no landmark of '${opts.landmarkSet.name}'`);
    }
    if (seen.has(id)) return bad(`duplicate landmark id ${id}`);
    seen.add(id);
    if (opts.landmarkSet && !findLandmark(opts.landmarkSet, id))
      return bad(`landmark id ${id} is not in the landmark set '${opts.landmarkSet.name}'`);
    const status = cp.positionStatus ?? 'defined';
    const v: LandmarkValue = { id, point: null };
    if (status === 'defined' || status === 'preview') {
      const pos = cp.position;
      if (!Array.isArray(pos) || pos.length < 2) return bad(`control point ${id} has no position`);
      const px = checkJsonNumber(pos[0], `position[0] of control point ${id}`);
      if (!px.ok) return bad(px.why);
      const py = checkJsonNumber(pos[1], `position[1] of control point ${id}`);
      if (!py.ok) return bad(py.why);
      const lx = cs === 'RAS' ? -px.value : px.value;
      const ly = cs === 'RAS' ? -py.value : py.value;
      // mm → px divides by a decimal spacing (2.9 / 0.1 = 28.999…); snap to 1e-9 px so a
      // written-then-read file gives back the coordinates it was written from.
      v.point = { x: snapPx(lx / sx), y: snapPx(ly / sy) };
    }
    const desc = typeof cp.description === 'string' ? cp.description : '';
    const conf = /(?:^|;\s*)confidence=([^;]+)/.exec(desc);
    if (conf) {
      const c = checkJsonNumber(conf[1]!.trim(), `confidence of control point ${id}`);
      if (c.ok) v.confidence = c.value;
    }
    const src = /(?:^|;\s*)source=([^;]+)/.exec(desc);
    if (src) v.source = src[1]!.trim();
    values.push(v);
  }
  values.sort((a, b) => a.id - b.id);
  const annotation: ImageAnnotation = { imageId, landmarks: values };
  if (opts.spacing) annotation.spacing = { ...opts.spacing };
  return { annotation, problems };
}

export async function readSlicerMarkups(
  path: string,
  opts: SlicerReadOptions = {},
): Promise<ImageAnnotation> {
  const { annotation, problems } = parseSlicerMarkups(await readText(path), path, opts);
  if (!annotation)
    throw new DataError(path, problems[0]?.message ?? 'unreadable markups', { kind: 'landmarks' });
  return annotation;
}

export async function writeSlicerMarkups(
  path: string,
  ann: ImageAnnotation,
  set: LandmarkSet,
  opts: SlicerWriteOptions = {},
): Promise<void> {
  await writeFile(path, formatSlicerMarkups(ann, set, opts), 'utf8');
}
