/**
 * Parsing of the arguments several commands share: dataset specs (`PATH[:split,...]`), SDR radii,
 * spacings, and opening a dataset folder or a landmark file as ground truth.
 */
import { readdir, stat } from 'node:fs/promises';
import {
  isImageFileName,
  isIsbi2015Root,
  LANDMARK_FORMATS,
  loadLandmarks,
  openDataset,
  problemsError,
  type AnnotationSet,
  type Dataset,
  type LandmarkFormat,
  type LandmarkSet,
  type Spacing,
} from '../data';
import { CliError } from './errors';

export interface DatasetSpec {
  path: string;
  /** Split names after the colon; empty = all. */
  splits: string[];
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/**
 * `PATH` or `PATH:split[,split]`. A path that exists as written wins, so a folder whose name
 * contains a colon (or a Windows drive letter) is not cut.
 */
export async function parseDatasetSpec(spec: string): Promise<DatasetSpec> {
  if (await exists(spec)) return { path: spec, splits: [] };
  const m = /^(.*):([A-Za-z0-9_,-]+)$/.exec(spec);
  if (m && m[1] && (await exists(m[1]))) {
    return { path: m[1], splits: m[2]!.split(',').filter(Boolean) };
  }
  throw new CliError(`${spec}: no such file or folder`);
}

/**
 * True when `path` is a dataset folder: the ISBI 2015 layout, or a folder holding images (a folder
 * of only .txt / .mrk.json files is a landmark folder instead).
 */
export async function isDatasetFolder(path: string): Promise<boolean> {
  const s = await stat(path).catch(() => null);
  if (!s?.isDirectory()) return false;
  if (await isIsbi2015Root(path)) return true;
  const names = await readdir(path).catch(() => [] as string[]);
  return names.some((n) => isImageFileName(n));
}

export interface OpenDatasetCliOptions {
  /** Landmark file for a plain folder of images. */
  landmarks?: string;
  /** Spacing for images whose files state none. */
  spacing?: Spacing;
}

/** Opens a dataset folder: the ISBI 2015 layout, or a folder of images with a landmark file. */
export async function openDatasetAt(path: string, opts: OpenDatasetCliOptions = {}): Promise<Dataset> {
  const s = await stat(path).catch(() => null);
  if (!s) throw new CliError(`${path}: no such folder`);
  if (!s.isDirectory()) throw new CliError(`${path}: expected a dataset folder, found a file`);
  return openDataset(path, {
    ...(opts.landmarks ? { landmarks: opts.landmarks } : {}),
    ...(opts.spacing
      ? { spacing: { x: opts.spacing.x, y: opts.spacing.y, source: opts.spacing.source } }
      : {}),
  });
}

/** Checks split names against the dataset, naming the known ones in the error. */
export function checkSplits(ds: Dataset, splits: readonly string[]): void {
  const known = ds.splits.map((s) => s.name);
  const unknown = splits.filter((s) => !known.includes(s));
  if (unknown.length > 0) {
    throw new CliError(
      `${ds.root}: unknown split(s) ${unknown.join(', ')} (this dataset has: ${known.join(', ')})`,
    );
  }
}

/** "2,2.5,3,4" -> [2, 2.5, 3, 4]. */
export function parseRadii(text: string): number[] {
  const parts = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const radii = parts.map(Number);
  const bad = parts.filter((_, i) => !Number.isFinite(radii[i]) || radii[i]! <= 0);
  if (parts.length === 0 || bad.length > 0) {
    throw new CliError(
      `--radii: expected positive numbers separated by commas (e.g. 2,2.5,3,4), got '${text}'`,
    );
  }
  return radii;
}

/** "0.1" or "0.1,0.12" (x,y) mm per pixel -> a user spacing. */
export function parseSpacing(text: string): Spacing {
  const parts = text.split(/[,x×]/).map((s) => Number(s.trim()));
  if ((parts.length !== 1 && parts.length !== 2) || parts.some((v) => !Number.isFinite(v) || v <= 0)) {
    throw new CliError(`--spacing: expected mm per pixel as 'S' or 'SX,SY' (e.g. 0.1), got '${text}'`);
  }
  return { x: parts[0]!, y: parts[1] ?? parts[0]!, source: 'user' };
}

export function parseFormat(text: string | undefined, flag: string): LandmarkFormat | undefined {
  if (text === undefined) return undefined;
  if (!(LANDMARK_FORMATS as readonly string[]).includes(text)) {
    throw new CliError(`${flag}: unknown landmark format '${text}' (known: ${LANDMARK_FORMATS.join(', ')})`);
  }
  return text as LandmarkFormat;
}

/**
 * Reads a landmark file strictly: any unreadable row, duplicate image or duplicate landmark is an
 * error naming the file, because evaluating around it would silently change the figures.
 */
export async function readLandmarkFileStrict(
  path: string,
  opts: {
    landmarkSet?: LandmarkSet;
    format?: LandmarkFormat;
    spacingFor?: (id: string) => Spacing | undefined;
  } = {},
): Promise<AnnotationSet> {
  const { set, problems } = await loadLandmarks(path, opts);
  if (problems.length > 0) throw problemsError(path, problems, 'landmarks');
  return set;
}

export interface GroundTruth {
  set: AnnotationSet;
  /** What to call it in reports: "ISBI 2015 cephalometric (…/isbi2015), split test1, floor((senior + junior) / 2)". */
  description: string;
  /** Short form for one-line messages: the --gt argument as given. */
  label: string;
  /** Every image id of the source (the whole dataset), so predictions outside the split are not "unmatched". */
  knownImageIds: string[];
  dataset?: Dataset;
}

/** `--gt`: a dataset folder with optional splits, or a landmark file. */
export async function loadGroundTruth(spec: string): Promise<GroundTruth> {
  const { path, splits } = await parseDatasetSpec(spec);
  if (await isDatasetFolder(path)) {
    const ds = await openDatasetAt(path);
    checkSplits(ds, splits);
    const set = ds.groundTruth(...splits);
    const withheld = ds.splits.filter(
      (s) => (splits.length === 0 || splits.includes(s.name)) && s.labelsWithheld,
    );
    if (set.images.length === 0) {
      const why = withheld.length
        ? ` (labels of ${withheld.map((s) => s.name).join(', ')} are withheld)`
        : '';
      throw new CliError(
        `${path}: no labelled image in ${splits.length ? `split(s) ${splits.join(', ')}` : 'the dataset'}${why}`,
      );
    }
    const description =
      `${ds.name} (${ds.root})` +
      (splits.length ? `, split ${splits.join(', ')}` : ', all splits') +
      (ds.groundTruthRule ? `, ground truth = ${ds.groundTruthRule}` : '');
    return { set, description, label: spec, knownImageIds: ds.items.map((i) => i.id), dataset: ds };
  }
  if (splits.length > 0)
    throw new CliError(`${path}: a split (:${splits.join(',')}) needs a dataset folder, not a file`);
  const set = await readLandmarkFileStrict(path);
  return { set, description: path, label: spec, knownImageIds: set.images.map((i) => i.imageId) };
}
