/**
 * Landmark files by format: pick the reader/writer from the path (or an explicit format) and give
 * every caller one shape, an AnnotationSet plus the problems found.
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { landmarksFromPoints } from '../annotations';
import { DataError, toProblem, unreadableFileError, type DataProblem } from '../errors';
import { assertWritableRealDir } from '../realDir';
import { findLandmark, landmarkSetFromIds } from '../landmarkSets';
import type { AnnotationSet, ImageAnnotation, Spacing } from '../types';
import { readLandmarkCsvFile, writeLandmarkCsv } from './csv';
import { ISBI_LANDMARK_COUNT, readIsbiTxt, writeIsbiTxt } from './isbiTxt';
import { readLandmarkJsonFile, writeLandmarkJson } from './json';
import { parseSlicerMarkups, SLICER_EXTENSION, writeSlicerMarkups } from './slicer';
import {
  readText,
  setWithoutProblems,
  type LandmarkReadOptions,
  type LandmarkReadResult,
} from './landmarkFile';
import { pointsInSetOrder } from '../annotations';
import { requireSafeFileStem, resolveInside } from '../safeName';

export type LandmarkFormat = 'isbi-txt' | 'csv' | 'json' | 'slicer';

export const LANDMARK_FORMATS: readonly LandmarkFormat[] = ['csv', 'json', 'slicer', 'isbi-txt'];

/** Format from a file name: `.mrk.json` Slicer, `.json` OneMark JSON, `.csv`, `.txt` ISBI. */
export function landmarkFormatOf(path: string): LandmarkFormat | null {
  const p = path.toLowerCase();
  if (p.endsWith(SLICER_EXTENSION)) return 'slicer';
  if (p.endsWith('.json')) return 'json';
  if (p.endsWith('.csv')) return 'csv';
  if (p.endsWith('.txt')) return 'isbi-txt';
  return null;
}

export interface LoadLandmarksOptions extends LandmarkReadOptions {
  format?: LandmarkFormat;
  /** ISBI txt: how many leading lines are landmarks (default 19, or the set's size). */
  count?: number;
  /** Slicer: mm -> pixel spacing per image id (the files do not store it); default 1 mm/pixel. */
  spacingFor?: (imageId: string) => Spacing | undefined;
}

function baseId(path: string, ext: RegExp): string {
  return (path.split(/[\\/]/).pop() ?? path).replace(ext, '');
}

/**
 * Read a landmark file, or a folder of per-image files (Slicer `.mrk.json` or ISBI `.txt`, image id =
 * file name). Lenient: problems are returned, the readable images kept.
 */
export async function loadLandmarks(
  path: string,
  opts: LoadLandmarksOptions = {},
): Promise<LandmarkReadResult> {
  let isDir = false;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (e) {
    throw unreadableFileError(path, e, 'landmarks');
  }
  if (isDir) return loadLandmarkFolder(path, opts);
  const format = opts.format ?? landmarkFormatOf(path);
  switch (format) {
    case 'csv':
      return readLandmarkCsvFile(path, opts);
    case 'json':
      return readLandmarkJsonFile(path, opts);
    case 'slicer':
    case 'isbi-txt':
      return loadPerImageFiles([path], format, opts);
    default:
      throw new DataError(path, 'unknown landmark file type (expected .csv, .json, .mrk.json or .txt)', {
        kind: 'landmarks',
      });
  }
}

async function loadLandmarkFolder(dir: string, opts: LoadLandmarksOptions): Promise<LandmarkReadResult> {
  const names = (await readdir(dir)).sort();
  const slicer = names.filter((n) => n.toLowerCase().endsWith(SLICER_EXTENSION));
  const txt = names.filter((n) => n.toLowerCase().endsWith('.txt'));
  const format = opts.format ?? (slicer.length ? 'slicer' : txt.length ? 'isbi-txt' : null);
  if (format !== 'slicer' && format !== 'isbi-txt') {
    throw new DataError(dir, 'folder holds no per-image landmark files (.mrk.json or .txt)', {
      kind: 'landmarks',
    });
  }
  return loadPerImageFiles(
    (format === 'slicer' ? slicer : txt).map((n) => join(dir, n)),
    format,
    opts,
  );
}

async function loadPerImageFiles(
  paths: string[],
  format: 'slicer' | 'isbi-txt',
  opts: LoadLandmarksOptions,
): Promise<LandmarkReadResult> {
  const problems: DataProblem[] = [];
  const images: ImageAnnotation[] = [];
  const count = opts.count ?? opts.landmarkSet?.landmarks.length ?? ISBI_LANDMARK_COUNT;
  for (const p of paths) {
    try {
      if (format === 'isbi-txt') {
        const imageId = baseId(p, /\.txt$/i);
        const ids = opts.landmarkSet?.landmarks.map((l) => l.id);
        images.push({ imageId, landmarks: landmarksFromPoints(await readIsbiTxt(p, count), { ids }) });
      } else {
        const imageId = baseId(p, /\.mrk\.json$/i);
        const r = parseSlicerMarkups(await readText(p), p, {
          imageId,
          landmarkSet: opts.landmarkSet,
          spacing: opts.spacingFor?.(imageId),
        });
        problems.push(...r.problems);
        if (r.annotation) images.push(r.annotation);
      }
    } catch (e) {
      problems.push(toProblem(e, 'landmarks', p));
    }
  }
  const ids = images.flatMap((a) => a.landmarks.map((v) => v.id));
  const landmarkSet =
    opts.landmarkSet ??
    landmarkSetFromIds(opts.setName ?? (format === 'slicer' ? 'from Slicer markups' : 'from ISBI txt'), ids);
  return { set: { landmarkSet, images }, problems };
}

/** Strict read: throws a DataError listing every problem. */
export async function readLandmarks(path: string, opts: LoadLandmarksOptions = {}): Promise<AnnotationSet> {
  return setWithoutProblems(path, await loadLandmarks(path, opts));
}

export interface WriteLandmarksOptions {
  format?: LandmarkFormat;
}

/**
 * Write a set. CSV and JSON go to one file; Slicer and ISBI txt write one file per image into the
 * folder `path` (created). Returns the files written.
 */
/**
 * A NaN or infinite coordinate is never written: every reader would take it for a landmark, and
 * a damaged model is the usual cause, which the user must hear about.
 */
function requireFinitePoints(path: string, set: AnnotationSet): void {
  for (const ann of set.images) {
    for (const l of ann.landmarks) {
      if (l.point && !(Number.isFinite(l.point.x) && Number.isFinite(l.point.y))) {
        throw new DataError(
          path,
          `image ${ann.imageId}, landmark ${l.id}: coordinate (${l.point.x}, ${l.point.y}) is not a number; nothing written`,
          { kind: 'landmarks' },
        );
      }
    }
  }
}

export async function writeLandmarks(
  path: string,
  set: AnnotationSet,
  opts: WriteLandmarksOptions = {},
): Promise<string[]> {
  const format = opts.format ?? landmarkFormatOf(path);
  requireFinitePoints(path, set);
  // mkdir under /proc never returns (Node 20): refuse pseudo file systems before any write.
  await assertWritableRealDir(format === 'slicer' || format === 'isbi-txt' ? path : dirname(path), 'output');
  switch (format) {
    case 'csv':
      await writeLandmarkCsv(path, set);
      return [path];
    case 'json':
      await writeLandmarkJson(path, set);
      return [path];
    case 'slicer':
    case 'isbi-txt': {
      // Every id is checked before the first file is written, so a bad id leaves no half output.
      for (const ann of set.images) requireSafeFileStem(ann.imageId, path);
      await mkdir(path, { recursive: true });
      const out: string[] = [];
      for (const ann of set.images) {
        if (format === 'slicer') {
          const f = resolveInside(path, `${ann.imageId}${SLICER_EXTENSION}`);
          await writeSlicerMarkups(f, ann, set.landmarkSet);
          out.push(f);
        } else {
          const f = resolveInside(path, `${ann.imageId}.txt`);
          const unknown = ann.landmarks.find((v) => !findLandmark(set.landmarkSet, v.id));
          if (unknown)
            throw new DataError(f, `landmark id ${unknown.id} is not in the set '${set.landmarkSet.name}'`, {
              kind: 'landmarks',
            });
          await writeIsbiTxt(f, pointsInSetOrder(ann.landmarks, set.landmarkSet));
          out.push(f);
        }
      }
      return out;
    }
    default:
      throw new DataError(path, 'unknown landmark format: give one of csv, json, slicer, isbi-txt', {
        kind: 'landmarks',
      });
  }
}

export * from './landmarkFile';
export * from './csv';
export * from './json';
export * from './isbiTxt';
export * from './slicer';
export { parseCsvRows } from './csvText';
