/**
 * Review and export: predictions of the latest finished run, the user's corrections (a separate
 * file a new run never touches), the reviewed flags, ground truth and evaluation, and exports.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { formatLandmarkCsv, formatLandmarkJson, readLandmarks, writeLandmarks } from '../../data';
import type { AnnotationSet, ImageAnnotation, LandmarkValue, Point } from '../../data/types';
import { unsafeFileStemReason } from '../../data/safeName';
import { evaluate } from '../../evaluation';
import { latestFinishedRun, PREDICTIONS_FILE } from '../disk/job-files';
import { usedSpacings } from './spacing';

export const CALIBRATION_FILE = 'calibration.json';
import {
  ANNOTATIONS_FILE,
  CORRECTIONS_FILE,
  EXPORTS_DIR,
  GROUND_TRUTH_FILE,
  readJson,
  REVIEWS_FILE,
  writeJsonAtomic,
  writeTextAtomic,
} from '../disk/project-file';
import type { EvaluationSummary, ExportRequest, ExportResult, Project, ReviewState } from '../contract/types';
import { ApiInputError } from '../contract/errors';
import { requireAbsolutePath, validateAnnotationSet } from '../disk/validate';

async function readSetOrEmpty(project: Project, name: string): Promise<AnnotationSet> {
  const file = path.join(project.path, name);
  try {
    await fs.access(file);
  } catch {
    return { landmarkSet: project.landmarkSet, images: [] };
  }
  return validateAnnotationSet(await readJson(file), file);
}

export async function readReviewed(project: Project): Promise<string[]> {
  const file = path.join(project.path, REVIEWS_FILE);
  try {
    await fs.access(file);
  } catch {
    return [];
  }
  const doc = (await readJson(file)) as { reviewed?: unknown };
  if (!Array.isArray(doc?.reviewed) || doc.reviewed.some((v) => typeof v !== 'string')) {
    throw new ApiInputError(`${file}: "reviewed" must be a list of image ids`);
  }
  return doc.reviewed as string[];
}

/** The project's confidence calibration (bench/calibration.ts --out), or null; a bad file is named. */
async function readCalibration(project: Project): Promise<ReviewState['calibration']> {
  const file = path.join(project.path, CALIBRATION_FILE);
  try {
    await fs.access(file);
  } catch {
    return null;
  }
  const doc = (await readJson(file)) as { calibration?: Record<string, unknown> };
  const c = doc?.calibration;
  if (
    !c ||
    !Number.isFinite(c.a) ||
    !Number.isFinite(c.b) ||
    (c.unit !== 'mm' && c.unit !== 'px') ||
    !Number.isFinite(c.n)
  ) {
    throw new ApiInputError(
      `${file}: not a confidence calibration (expected {calibration: {a, b, unit, n}})`,
    );
  }
  return { a: c.a as number, b: c.b as number, unit: c.unit, n: c.n as number };
}

export async function loadReviewState(project: Project): Promise<ReviewState> {
  const run = await latestFinishedRun(project.path);
  const predictions = run
    ? validateAnnotationSet(
        await readJson(path.join(run.dir, PREDICTIONS_FILE)),
        path.join(run.dir, PREDICTIONS_FILE),
      )
    : { landmarkSet: project.landmarkSet, images: [] };
  // The spacing the figures use (the user's entry may differ from what the engine saw).
  const spacings = await usedSpacings(project);
  for (const a of predictions.images) {
    const s = spacings.get(a.imageId);
    if (s) a.spacing = s;
  }
  const gt = await readSetOrEmpty(project, GROUND_TRUTH_FILE);
  const calibration = await readCalibration(project);
  return {
    runId: run?.id ?? null,
    predictions,
    corrections: await readSetOrEmpty(project, CORRECTIONS_FILE),
    reviewed: await readReviewed(project),
    groundTruth: gt.images.length > 0 ? gt : null,
    calibration,
  };
}

function requirePoint(value: unknown): Point | null {
  if (value === null) return null;
  const p = value as Point;
  if (typeof p !== 'object' || !Number.isFinite(p?.x) || !Number.isFinite(p?.y)) {
    throw new ApiInputError('saveCorrection(point): expected null or finite {x, y}');
  }
  return { x: p.x, y: p.y };
}

export async function saveCorrection(
  project: Project,
  imageId: string,
  landmarkId: unknown,
  pointArg: unknown,
): Promise<void> {
  if (!project.landmarkSet.landmarks.some((l) => l.id === landmarkId)) {
    throw new ApiInputError(
      `saveCorrection: landmark ${String(landmarkId)} is not in the project's landmark set`,
    );
  }
  const point = requirePoint(pointArg);
  const set = await readSetOrEmpty(project, CORRECTIONS_FILE);
  set.landmarkSet = project.landmarkSet;
  let ann = set.images.find((a) => a.imageId === imageId);
  if (!ann) {
    ann = { imageId, landmarks: [] };
    set.images.push(ann);
  }
  ann.landmarks = ann.landmarks.filter((v) => v.id !== landmarkId);
  if (point) ann.landmarks.push({ id: landmarkId as number, point, source: 'correction' });
  ann.landmarks.sort((a, b) => a.id - b.id);
  set.images = set.images.filter((a) => a.landmarks.length > 0);
  await writeJsonAtomic(path.join(project.path, CORRECTIONS_FILE), set);
}

export async function setReviewed(project: Project, imageId: string, reviewed: unknown): Promise<void> {
  if (typeof reviewed !== 'boolean') throw new ApiInputError('setReviewed(reviewed): expected true or false');
  const list = new Set(await readReviewed(project));
  if (reviewed) list.add(imageId);
  else list.delete(imageId);
  await writeJsonAtomic(path.join(project.path, REVIEWS_FILE), { version: 1, reviewed: [...list].sort() });
}

/** Predictions with corrections applied; the template keeps its marked points. */
export async function landmarkValues(
  project: Project,
  values: 'predicted' | 'corrected',
): Promise<AnnotationSet> {
  const review = await loadReviewState(project);
  const template = await readSetOrEmpty(project, ANNOTATIONS_FILE);
  const byImage = new Map<string, ImageAnnotation>();
  for (const a of review.predictions.images) byImage.set(a.imageId, structuredClone(a));
  if (values === 'corrected') {
    const apply = (a: ImageAnnotation, source: string) => {
      const target = byImage.get(a.imageId) ?? { imageId: a.imageId, landmarks: [] };
      for (const v of a.landmarks) {
        const rest = target.landmarks.filter((t) => t.id !== v.id);
        rest.push({ id: v.id, point: v.point, source });
        target.landmarks = rest.sort((x, y) => x.id - y.id);
      }
      byImage.set(a.imageId, target);
    };
    const t = template.images.find((a) => a.imageId === project.templateImageId);
    if (t) apply(t, 'template');
    for (const a of review.corrections.images) apply(a, 'correction');
  }
  const order = project.images.map((im) => im.id);
  const images = order.map((id) => byImage.get(id)).filter((a): a is ImageAnnotation => !!a);
  // Exports in mm (CSV x_mm, Slicer LPS) wherever a spacing is known, the template included.
  const spacings = await usedSpacings(project);
  for (const a of images) {
    const s = spacings.get(a.imageId);
    if (s) a.spacing = s;
  }
  return {
    landmarkSet: project.landmarkSet,
    images,
    meta: { ...(review.predictions.meta ?? {}), values, run: review.runId },
  };
}

/**
 * `exports/<stamp>-<values>-<images>`, with -2, -3... when an export of the same second exists:
 * two exports must never overwrite (or, for Slicer folders, fail to rename onto) each other.
 * Called inside the project lock, so the name cannot be taken between the check and the write.
 */
async function freshExportBase(dir: string, request: ExportRequest): Promise<string> {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const stem = `${stamp}-${request.values}-${request.images}`;
  const taken = new Set(await fs.readdir(dir));
  const ext = request.format === 'slicer' ? '.slicer' : `.${request.format}`;
  let name = stem;
  for (let k = 2; taken.has(`${name}${ext}`); k++) name = `${stem}-${k}`;
  return path.join(dir, name);
}

export async function exportLandmarks(project: Project, request: ExportRequest): Promise<ExportResult> {
  if (!['csv', 'json', 'slicer'].includes(request.format)) {
    throw new ApiInputError(
      `exportLandmarks(format): expected csv, json or slicer, got ${String(request.format)}`,
    );
  }
  if (request.images !== 'all' && request.images !== 'reviewed') {
    throw new ApiInputError(`exportLandmarks(images): expected 'all' or 'reviewed'`);
  }
  if (request.values !== 'predicted' && request.values !== 'corrected') {
    throw new ApiInputError(`exportLandmarks(values): expected 'predicted' or 'corrected'`);
  }
  const set = await landmarkValues(project, request.values);
  if (request.images === 'reviewed') {
    const reviewed = new Set(await readReviewed(project));
    set.images = set.images.filter((a) => reviewed.has(a.imageId));
  }
  if (set.images.length === 0) {
    throw new ApiInputError(
      request.images === 'reviewed'
        ? 'exportLandmarks: no reviewed image has landmarks yet'
        : 'exportLandmarks: nothing to export yet (train a model first)',
    );
  }
  if (request.format === 'slicer') {
    // One file per image id: an id that cannot be a file name is refused before anything is written.
    for (const a of set.images) {
      const why = unsafeFileStemReason(a.imageId);
      if (why) {
        throw new ApiInputError(
          `exportLandmarks: image id ${JSON.stringify(a.imageId)} cannot name a Slicer file (${why}); ` +
            `rename the image in ${project.path} or export CSV/JSON`,
        );
      }
    }
  }
  const dir = path.join(project.path, EXPORTS_DIR);
  await fs.mkdir(dir, { recursive: true });
  const base = await freshExportBase(dir, request);
  let files: string[];
  if (request.format === 'csv') {
    await writeTextAtomic(`${base}.csv`, formatLandmarkCsv(set));
    files = [`${base}.csv`];
  } else if (request.format === 'json') {
    await writeTextAtomic(`${base}.json`, formatLandmarkJson(set));
    files = [`${base}.json`];
  } else {
    // One file per image: write them into a scratch folder, then rename it into place whole.
    const tmp = `${base}.slicer.tmp`;
    await fs.rm(tmp, { recursive: true, force: true });
    const written = await writeLandmarks(tmp, set, { format: 'slicer' });
    await fs.rename(tmp, `${base}.slicer`);
    files = written.map((f) => path.join(`${base}.slicer`, path.basename(f)));
  }
  return { files, imageCount: set.images.length };
}

export async function importGroundTruth(project: Project, fileArg: unknown): Promise<number> {
  const file = requireAbsolutePath(fileArg, 'importGroundTruth(file)');
  const set = await readLandmarks(file, { landmarkSet: project.landmarkSet });
  const ids = new Set(project.images.map((im) => im.id));
  set.images = set.images.filter((a) => ids.has(a.imageId));
  if (set.images.length === 0) {
    throw new ApiInputError(`${file}: none of its images is an image of this project`);
  }
  set.images.forEach((a) => a.landmarks.forEach((v: LandmarkValue) => (v.source = 'gt')));
  await writeJsonAtomic(path.join(project.path, GROUND_TRUTH_FILE), {
    ...set,
    landmarkSet: project.landmarkSet,
  });
  return set.images.length;
}

export async function evaluateProject(
  project: Project,
  values: 'predicted' | 'corrected',
): Promise<EvaluationSummary | null> {
  const gt = await readSetOrEmpty(project, GROUND_TRUTH_FILE);
  if (gt.images.length === 0) return null;
  const pred = await landmarkValues(project, values);
  const gtIds = new Set(gt.images.map((a) => a.imageId));
  // The template is not a prediction: scoring it would flatter the figures.
  pred.images = pred.images.filter((a) => gtIds.has(a.imageId) && a.imageId !== project.templateImageId);
  gt.images = gt.images.filter((a) => pred.images.some((p) => p.imageId === a.imageId));
  if (pred.images.length === 0) return null;
  // Images without a known spacing are scored in pixels rather than refused.
  const ev = evaluate(pred, gt, { groundTruthSource: GROUND_TRUTH_FILE, allowPixels: true });
  const m = ev.metrics;
  return {
    unit: m.unit,
    imageCount: m.counts.images,
    mre: m.overall.mean,
    sd: m.overall.std,
    perLandmark: m.perLandmark.map((l) => ({
      id: l.landmarkId,
      name: l.name,
      mre: l.summary.mean,
      sd: l.summary.std,
    })),
    sdr: m.overall.sdr.map((s) => ({ threshold: s.radius, rate: s.rate })),
  };
}
