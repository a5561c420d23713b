/**
 * The ISBI 2015 cephalometric layout (the challenge's own):
 *   RawImage/{TrainingData,Test1Data,Test2Data}/NNN.{bmp,jpg}
 *   AnnotationsByMD/{400_senior,400_junior}/NNN.txt
 * Ground truth = floor((senior + junior) / 2) per coordinate, as in the one-shot literature. Test2's
 * labels may be withheld on purpose: such a split loads as unlabelled, not as an error.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { floorMeanPoint, landmarksFromPoints } from '../annotations';
import { DataError, problem, toProblem, type DataProblem } from '../errors';
import { ISBI_LANDMARK_COUNT, readIsbiTxt } from '../formats/isbiTxt';
import { extensionOf, isImageFileName } from '../images/formats';
import { cloneLandmarkSet, ISBI2015_LANDMARK_SET } from '../landmarkSets';
import type { Point, Spacing } from '../types';
import { makeDataset, mapLimit, summarizeSplits } from './dataset';
import type { Dataset, DatasetItem } from './types';

export const ISBI2015_SPLITS = [
  { name: 'train', folder: 'TrainingData' },
  { name: 'test1', folder: 'Test1Data' },
  { name: 'test2', folder: 'Test2Data' },
] as const;

export const ISBI2015_SPACING_MM = 0.1;
export const ISBI2015_TEMPLATE_ID = '125';

/**
 * The development set (../shared/isbi2015/README.md): the labels of training images 10, 20, …, 100,
 * read to choose settings and to score them, never by training. None of them is the template.
 */
export const ISBI2015_DEV_IDS: readonly number[] = Array.from({ length: 10 }, (_, i) => 10 * (i + 1)).filter(
  (n) => n !== Number(ISBI2015_TEMPLATE_ID),
);

/** The development set's items; ids are zero-padded file names ("010"), so they are compared as numbers. */
export function isbi2015DevItems(ds: Dataset): DatasetItem[] {
  return ds.split('train').filter((it) => ISBI2015_DEV_IDS.includes(Number(it.id)));
}

export type IsbiGroundTruth = 'mean' | 'senior' | 'junior';

export interface IsbiOptions {
  /** Which labels form the ground truth; default 'mean' = floor((senior + junior) / 2). */
  groundTruth?: IsbiGroundTruth;
  /** mm per pixel; default 0.1 (the challenge's). */
  spacingMm?: number;
}

async function isDir(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** A child folder by name, ignoring case (copies of the data differ in capitalisation). */
async function child(dir: string, name: string): Promise<string | null> {
  const exact = join(dir, name);
  if (await isDir(exact)) return exact;
  const entries = await readdir(dir).catch(() => [] as string[]);
  const hit = entries.find((e) => e.toLowerCase() === name.toLowerCase());
  return hit && (await isDir(join(dir, hit))) ? join(dir, hit) : null;
}

/** True when `root` has the challenge layout (RawImage/ with at least one split folder). */
export async function isIsbi2015Root(root: string): Promise<boolean> {
  const raw = await child(root, 'RawImage');
  if (!raw) return false;
  for (const s of ISBI2015_SPLITS) if (await child(raw, s.folder)) return true;
  return false;
}

/** Prefer the original BMP, then lossless copies, when one id has several files. */
const EXT_RANK = ['.bmp', '.png', '.tif', '.tiff', '.jpg', '.jpeg'];

export async function openIsbi2015(root: string, opts: IsbiOptions = {}): Promise<Dataset> {
  const rawDir = await child(root, 'RawImage');
  if (!rawDir) throw new DataError(root, 'not an ISBI 2015 folder: RawImage/ not found', { kind: 'dataset' });
  const annDir = await child(root, 'AnnotationsByMD');
  const seniorDir = annDir ? await child(annDir, '400_senior') : null;
  const juniorDir = annDir ? await child(annDir, '400_junior') : null;
  const gt = opts.groundTruth ?? 'mean';
  const mm = opts.spacingMm ?? ISBI2015_SPACING_MM;
  const spacing: Spacing = { x: mm, y: mm, source: 'dataset' };
  const problems: DataProblem[] = [];
  if (!annDir)
    problems.push(
      problem(
        'dataset',
        join(root, 'AnnotationsByMD'),
        'annotation folder not found: every image is unlabelled',
      ),
    );

  const items: DatasetItem[] = [];
  for (const s of ISBI2015_SPLITS) {
    const dir = await child(rawDir, s.folder);
    if (!dir) {
      problems.push(problem('dataset', join(rawDir, s.folder), 'split folder not found'));
      continue;
    }
    const files = (await readdir(dir)).filter(isImageFileName);
    const best = new Map<string, string>();
    for (const f of files) {
      const id = f.slice(0, f.length - extensionOf(f).length);
      const prev = best.get(id);
      if (!prev || EXT_RANK.indexOf(extensionOf(f)) < EXT_RANK.indexOf(extensionOf(prev))) best.set(id, f);
    }
    const ids = [...best.keys()].sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
    for (const id of ids)
      items.push({
        id,
        split: s.name,
        imagePath: join(dir, best.get(id)!),
        spacing: { ...spacing },
        landmarks: null,
      });
  }

  // Two small text files per labelled image: read them a few at a time.
  const missing = new Map<string, number>();
  const annBase = annDir ?? join(root, 'AnnotationsByMD');
  const dirs = {
    senior: seniorDir ?? join(annBase, '400_senior'),
    junior: juniorDir ?? join(annBase, '400_junior'),
  };
  const want = gt === 'mean' ? (['senior', 'junior'] as const) : ([gt] as const);
  await mapLimit(items, 8, async (item) => {
    const paths = want.map((w) => join(dirs[w], `${item.id}.txt`));
    const exists = await Promise.all(
      paths.map((p) =>
        stat(p).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (exists.every((e) => !e)) {
      missing.set(item.split, (missing.get(item.split) ?? 0) + 1);
      return;
    }
    try {
      const pts: Point[][] = [];
      for (const [i, p] of paths.entries()) {
        if (!exists[i])
          throw new DataError(p, `${want[i]} annotation missing while the ${want[1 - i]}'s exists`, {
            kind: 'landmarks',
          });
        pts.push(await readIsbiTxt(p, ISBI_LANDMARK_COUNT));
      }
      const points = gt === 'mean' ? pts[0]!.map((p, k) => floorMeanPoint(p, pts[1]![k]!)) : pts[0]!;
      item.landmarks = landmarksFromPoints(points, { source: 'gt' });
      item.annotationPaths = paths;
    } catch (e) {
      problems.push(toProblem(e, 'landmarks', paths[0]!, item.id));
    }
  });

  // A split with images but no annotation at all is unlabelled on purpose (Test2); a partly
  // annotated split is a problem for each image without labels.
  const withheld = new Set<string>();
  const notes: Record<string, string> = {};
  for (const s of ISBI2015_SPLITS) {
    const its = items.filter((i) => i.split === s.name);
    const m = missing.get(s.name) ?? 0;
    if (its.length > 0 && m === its.length) {
      withheld.add(s.name);
      notes[s.name] =
        s.name === 'test2'
          ? 'labels withheld on purpose (held-out check); usable as unlabelled images'
          : 'no annotations found: unlabelled';
    } else if (m > 0) {
      for (const it of its) {
        if (!it.landmarks && !problems.some((p) => p.itemId === it.id)) {
          problems.push(
            problem(
              'landmarks',
              join(dirs[want[0]], `${it.id}.txt`),
              `no annotation for image ${it.id} (split ${s.name})`,
              { itemId: it.id },
            ),
          );
        }
      }
    }
  }
  // Reads ran concurrently: report problems in dataset order, whatever finished first.
  const order = new Map(items.map((it, i) => [it.id, i]));
  problems.sort((a, b) => (order.get(a.itemId ?? '') ?? -1) - (order.get(b.itemId ?? '') ?? -1));
  return makeDataset({
    kind: 'isbi2015',
    name: 'ISBI 2015 cephalometric',
    root,
    landmarkSet: cloneLandmarkSet(ISBI2015_LANDMARK_SET),
    items,
    splits: summarizeSplits(
      items,
      ISBI2015_SPLITS.map((s) => s.name),
      withheld,
      notes,
    ),
    problems,
    groundTruthRule: gt === 'mean' ? 'floor((senior + junior) / 2)' : `${gt} doctor`,
  });
}
