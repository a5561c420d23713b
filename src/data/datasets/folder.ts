/**
 * A generic dataset: a folder of images plus a landmark file (OneMark CSV or JSON, or a folder of
 * per-image Slicer/ISBI files). Image id = file name without extension (relative path without
 * extension when recursive), matched against the landmark file's image column.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { hasKnownSpacing } from '../annotations';
import { DataError, problem, toProblem, type DataProblem } from '../errors';
import { loadLandmarks, type LoadLandmarksOptions } from '../formats';
import { extensionOf, isImageFileName } from '../images/formats';
import { readImageInfo } from '../images/info';
import type { SpacingOverride } from '../images/read';
import type { ImageAnnotation, LandmarkSet, Spacing } from '../types';
import { makeDataset, mapLimit, summarizeSplits } from './dataset';
import type { Dataset, DatasetItem } from './types';

export interface FolderDatasetOptions {
  /** Landmark file (.csv/.json) or folder of .mrk.json/.txt; default: `landmarks.csv` or `landmarks.json` in the folder, if present. */
  landmarks?: string;
  landmarkSet?: LandmarkSet;
  /** Spacing for images whose files state none (PNG/JPEG/BMP/TIFF, DICOM without spacing tags). */
  spacing?: SpacingOverride;
  /** Use `spacing` even for DICOM files that state their own. */
  forceSpacing?: boolean;
  recursive?: boolean;
  /** Split name for every item; default 'all'. */
  split?: string;
  name?: string;
  /** Extra landmark-reading options (ISBI txt count...). */
  landmarkOptions?: Omit<LoadLandmarksOptions, 'landmarkSet'>;
}

const DEFAULT_LANDMARK_FILES = ['landmarks.csv', 'landmarks.json', 'annotations.csv', 'annotations.json'];

async function listImages(dir: string, recursive: boolean): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (recursive) await walk(p);
      } else if (isImageFileName(e.name)) out.push(p);
    }
  };
  await walk(dir);
  return out;
}

/** Landmark files name images with or without extension: compare without. */
function normaliseImageRef(ref: string): string {
  const r = ref.replace(/\\/g, '/');
  const ext = extensionOf(r);
  return isImageFileName(r) ? r.slice(0, r.length - ext.length) : r;
}

export async function openFolderDataset(dir: string, opts: FolderDatasetOptions = {}): Promise<Dataset> {
  const root = resolve(dir);
  const st = await stat(root).catch(() => null);
  if (!st || !st.isDirectory())
    throw new DataError(dir, st ? 'not a folder' : 'folder not found', { kind: 'dataset' });
  const problems: DataProblem[] = [];
  const split = opts.split ?? 'all';

  const files = await listImages(root, !!opts.recursive);
  const items: DatasetItem[] = [];
  const byId = new Map<string, DatasetItem>();
  for (const f of files) {
    const rel = relative(root, f).replace(/\\/g, '/');
    const id = normaliseImageRef(rel);
    const prev = byId.get(id);
    if (prev) {
      problems.push(
        problem('dataset', f, `duplicate image id '${id}' (also ${prev.imagePath}); this file is skipped`, {
          itemId: id,
        }),
      );
      continue;
    }
    const item: DatasetItem = {
      id,
      split,
      imagePath: f,
      spacing: { x: 1, y: 1, source: 'none' },
      landmarks: null,
    };
    byId.set(id, item);
    items.push(item);
  }
  if (items.length === 0)
    problems.push(problem('dataset', root, 'no images found (PNG, JPEG, BMP, TIFF, DICOM)'));

  // Landmarks.
  let landmarksPath = opts.landmarks;
  if (!landmarksPath) {
    for (const n of DEFAULT_LANDMARK_FILES) {
      if (
        await stat(join(root, n)).then(
          (s) => s.isFile(),
          () => false,
        )
      ) {
        landmarksPath = join(root, n);
        break;
      }
    }
  }
  let landmarkSet = opts.landmarkSet;
  const annotationSpacing = new Map<string, Spacing>();
  if (landmarksPath) {
    try {
      const { set, problems: lp } = await loadLandmarks(landmarksPath, {
        ...opts.landmarkOptions,
        landmarkSet: opts.landmarkSet,
      });
      problems.push(...lp);
      landmarkSet = set.landmarkSet;
      const anns = new Map<string, ImageAnnotation>();
      for (const a of set.images) anns.set(normaliseImageRef(a.imageId), a);
      for (const [ref, a] of anns) {
        const item = byId.get(ref);
        if (!item) {
          problems.push(
            problem(
              'landmarks',
              landmarksPath,
              `landmarks for image '${a.imageId}', which is not in ${root}`,
              { itemId: a.imageId },
            ),
          );
          continue;
        }
        item.landmarks = a.landmarks.map((v) => ({ ...v, source: v.source ?? 'gt' }));
        item.annotationPaths = [landmarksPath];
        if (hasKnownSpacing(a.spacing)) annotationSpacing.set(item.id, a.spacing);
      }
      // Images with a bad annotation were reported by the reader under the file's image name.
      for (const p of lp) if (p.itemId) p.itemId = normaliseImageRef(p.itemId);
    } catch (e) {
      problems.push(toProblem(e, 'landmarks', landmarksPath));
    }
  }
  if (!landmarkSet) landmarkSet = { name: 'none', landmarks: [] };

  // Spacing: a forced user value; else the file's own (DICOM headers only, read without pixels);
  // else the landmark file's mm columns; else the user's fallback; else unknown.
  await mapLimit(items, 4, async (item) => {
    if (opts.spacing && opts.forceSpacing) {
      item.spacing = { x: opts.spacing.x, y: opts.spacing.y, source: opts.spacing.source ?? 'user' };
      return;
    }
    const ext = extensionOf(item.imagePath);
    if (ext === '.dcm' || ext === '.dicom' || ext === '.dic' || ext === '') {
      try {
        const info = await readImageInfo(item.imagePath);
        if (info.spacing.source !== 'none') {
          item.spacing = info.spacing;
          return;
        }
      } catch (e) {
        problems.push(toProblem(e, 'image', item.imagePath, item.id));
      }
    }
    const fromAnn = annotationSpacing.get(item.id);
    if (fromAnn) item.spacing = { ...fromAnn };
    else if (opts.spacing)
      item.spacing = { x: opts.spacing.x, y: opts.spacing.y, source: opts.spacing.source ?? 'user' };
  });

  const order = new Map(items.map((it, i) => [it.id, i]));
  problems.sort((a, b) => (order.get(a.itemId ?? '') ?? -1) - (order.get(b.itemId ?? '') ?? -1));
  return makeDataset({
    kind: 'folder',
    name: opts.name ?? root.split(/[\\/]/).pop() ?? root,
    root,
    landmarkSet,
    items,
    splits: summarizeSplits(items, [split]),
    problems,
    forceSpacing: !!opts.forceSpacing,
  });
}
