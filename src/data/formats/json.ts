/**
 * OneMark landmark JSON: the AnnotationSet with a format tag, points flattened to {id, x, y}
 * (x = y = null for a missing landmark). Exact: spacing, confidence, source and meta survive.
 */
import { DataError, problem, type DataProblem } from '../errors';
import { findLandmark, landmarkSetFromIds, validateLandmarkSet } from '../landmarkSets';
import type {
  AnnotationSet,
  ImageAnnotation,
  LandmarkSet,
  LandmarkValue,
  Spacing,
  SpacingSource,
} from '../types';
import { landmarkFileFormat, type LandmarkReadOptions, type LandmarkReadResult } from './landmarkFile';
import { checkJsonNumber } from './numbers';

export const LANDMARKS_JSON_FORMAT = 'onemark.landmarks';
export const LANDMARKS_JSON_VERSION = 1;

interface JsonLandmark {
  id: number;
  x: number | null;
  y: number | null;
  confidence?: number;
  source?: string;
}

export function formatLandmarkJson(set: AnnotationSet): string {
  const doc = {
    format: LANDMARKS_JSON_FORMAT,
    version: LANDMARKS_JSON_VERSION,
    landmarkSet: set.landmarkSet,
    meta: set.meta ?? {},
    images: set.images.map((a) => ({
      imageId: a.imageId,
      ...(a.spacing ? { spacing: a.spacing } : {}),
      landmarks: a.landmarks.map((v): JsonLandmark => {
        const o: JsonLandmark = { id: v.id, x: v.point ? v.point.x : null, y: v.point ? v.point.y : null };
        if (v.confidence !== undefined) o.confidence = v.confidence;
        if (v.source !== undefined) o.source = v.source;
        return o;
      }),
    })),
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

const SOURCES: readonly SpacingSource[] = ['PixelSpacing', 'ImagerPixelSpacing', 'dataset', 'user', 'none'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Lenient parse: bad images are reported and left out; a wrong document shape throws. */
export function parseLandmarkJson(
  text: string,
  path: string,
  opts: LandmarkReadOptions = {},
): LandmarkReadResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new DataError(path, `not valid JSON: ${(e as Error).message}`, { kind: 'landmarks', cause: e });
  }
  if (!isObject(doc) || !Array.isArray(doc.images))
    throw new DataError(path, `not a OneMark landmark file (no "images" array)`, { kind: 'landmarks' });
  if (doc.format !== undefined && doc.format !== LANDMARKS_JSON_FORMAT) {
    throw new DataError(
      path,
      `unknown format '${String(doc.format)}' (expected '${LANDMARKS_JSON_FORMAT}')`,
      { kind: 'landmarks' },
    );
  }
  if (typeof doc.version === 'number' && doc.version > LANDMARKS_JSON_VERSION) {
    throw new DataError(
      path,
      `format version ${doc.version} is newer than this OneMark reads (${LANDMARKS_JSON_VERSION})`,
      { kind: 'landmarks' },
    );
  }
  const problems: DataProblem[] = [];
  let fileSet: LandmarkSet | undefined;
  if (isObject(doc.landmarkSet) && Array.isArray(doc.landmarkSet.landmarks)) {
    fileSet = doc.landmarkSet as unknown as LandmarkSet;
    const errs = validateLandmarkSet(fileSet);
    if (errs.length) throw new DataError(path, `landmark set: ${errs.join('; ')}`, { kind: 'landmarks' });
  }
  const checkSet = opts.landmarkSet ?? fileSet;
  const images: ImageAnnotation[] = [];
  const seenImages = new Set<string>();
  const ids = new Set<number>();
  (doc.images as unknown[]).forEach((raw, idx) => {
    const where = `images[${idx}]`;
    if (
      !isObject(raw) ||
      typeof raw.imageId !== 'string' ||
      raw.imageId === '' ||
      !Array.isArray(raw.landmarks)
    ) {
      problems.push(problem('landmarks', path, `${where}: needs "imageId" (string) and "landmarks" (array)`));
      return;
    }
    const imageId = raw.imageId;
    const bad = (why: string): void =>
      void problems.push(problem('landmarks', path, `image '${imageId}': ${why}`, { itemId: imageId }));
    if (seenImages.has(imageId)) return bad('appears twice');
    seenImages.add(imageId);
    const values: LandmarkValue[] = [];
    const seen = new Set<number>();
    for (const l of raw.landmarks as unknown[]) {
      if (!isObject(l) || !Number.isInteger(l.id) || (l.id as number) < 1)
        return bad(`landmark entry without an integer id >= 1: ${JSON.stringify(l)}`);
      const id = l.id as number;
      if (seen.has(id)) return bad(`duplicate landmark id ${id}`);
      seen.add(id);
      if (checkSet && !findLandmark(checkSet, id))
        return bad(`landmark id ${id} is not in the landmark set '${checkSet.name}'`);
      const v: LandmarkValue = { id, point: null };
      if (!(l.x === null && l.y === null) && !(l.x === undefined && l.y === undefined)) {
        const x = checkJsonNumber(l.x, `x of landmark ${id}`);
        if (!x.ok) return bad(x.why);
        const y = checkJsonNumber(l.y, `y of landmark ${id}`);
        if (!y.ok) return bad(y.why);
        v.point = { x: x.value, y: y.value };
      }
      if (l.confidence !== undefined) {
        const c = checkJsonNumber(l.confidence, `confidence of landmark ${id}`);
        if (!c.ok) return bad(c.why);
        v.confidence = c.value;
      }
      if (typeof l.source === 'string') v.source = l.source;
      values.push(v);
      ids.add(id);
    }
    const ann: ImageAnnotation = { imageId, landmarks: values };
    if (isObject(raw.spacing)) {
      const s = raw.spacing;
      if (
        typeof s.x === 'number' &&
        typeof s.y === 'number' &&
        s.x > 0 &&
        s.y > 0 &&
        SOURCES.includes(s.source as SpacingSource)
      ) {
        ann.spacing = { x: s.x, y: s.y, source: s.source as SpacingSource } satisfies Spacing;
      } else return bad(`invalid spacing ${JSON.stringify(s)}`);
    }
    images.push(ann);
  });
  const landmarkSet = opts.landmarkSet ?? fileSet ?? landmarkSetFromIds(opts.setName ?? 'from JSON', ids);
  const set: AnnotationSet = { landmarkSet, images };
  if (isObject(doc.meta) && Object.keys(doc.meta).length) set.meta = doc.meta;
  return { set, problems };
}

const jsonFile = landmarkFileFormat(parseLandmarkJson, formatLandmarkJson);
export const readLandmarkJsonFile = jsonFile.readFile;
export const readLandmarkJson = jsonFile.read;
export const writeLandmarkJson = jsonFile.write;
