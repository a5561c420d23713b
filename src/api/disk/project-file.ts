/**
 * A project on disk (docs/app.md, "Project folder"): `onemark-project.json` (name, landmark set,
 * images, template), `annotations.json` (the template's marked landmarks), `corrections.json` and
 * `reviews.json` (review), `ground-truth.json` (optional), `runs/<id>/` (training runs) and
 * `exports/`. Image paths are stored relative to the folder when inside it, so a project can be
 * moved or copied to a cluster as a whole. Every write is write-then-rename.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { LandmarkSet } from '../../data/types';
import type { Project, ProjectImage } from '../contract/types';
import { storedRevision } from './revision';
import { ApiInputError } from '../contract/errors';
import { validateLandmarkSet } from './validate';

export const PROJECT_FILE = 'onemark-project.json';
export const ANNOTATIONS_FILE = 'annotations.json';
export const CORRECTIONS_FILE = 'corrections.json';
export const REVIEWS_FILE = 'reviews.json';
export const GROUND_TRUTH_FILE = 'ground-truth.json';
export const RUNS_DIR = 'runs';
export const EXPORTS_DIR = 'exports';
export const IMAGES_DIR = 'images';
export const CACHE_DIR = '.cache';
const FORMAT = 'onemark-project';
const VERSION = 1;

interface ProjectFileV1 {
  format: typeof FORMAT;
  version: typeof VERSION;
  name: string;
  createdAt: string;
  modifiedAt: string;
  landmarkSet: LandmarkSet;
  images: ProjectImage[];
  templateImageId: string | null;
  /** Counts changes of the content above (src/api/disk/revision.ts); absent in older files: 0. */
  revision?: number;
}

export class ProjectFileError extends Error {
  override name = 'ProjectFileError';
}

export function projectFilePath(dir: string): string {
  return path.join(dir, PROJECT_FILE);
}

export async function hasProjectFile(dir: string): Promise<boolean> {
  try {
    return (await fs.stat(projectFilePath(dir))).isFile();
  } catch {
    return false;
  }
}

/** Reads and checks `<dir>/onemark-project.json`; errors name the file and what is wrong with it. */
export async function readProject(dir: string): Promise<Project> {
  const file = projectFilePath(dir);
  const raw = await readJson(file, `no OneMark project in ${dir}`);
  if (typeof raw !== 'object' || raw === null || (raw as { format?: unknown }).format !== FORMAT) {
    throw new ProjectFileError(`${file}: not a OneMark project file (expected "format": "${FORMAT}")`);
  }
  const doc = raw as Partial<ProjectFileV1> & { version?: unknown };
  if (doc.version !== VERSION) {
    throw new ProjectFileError(
      `${file}: project file version ${String(doc.version)} is not supported (this build reads ${VERSION})`,
    );
  }
  if (typeof doc.name !== 'string') throw new ProjectFileError(`${file}: "name" must be a string`);
  let landmarkSet: LandmarkSet;
  try {
    landmarkSet = validateLandmarkSet(doc.landmarkSet, file);
  } catch (e) {
    throw new ProjectFileError((e as Error).message);
  }
  const images = doc.images ?? [];
  if (!Array.isArray(images)) throw new ProjectFileError(`${file}: "images" must be a list of {id, file}`);
  const ids = new Set<string>();
  images.forEach((im, i) => {
    if (typeof im?.id !== 'string' || typeof im?.file !== 'string' || im.id.length === 0) {
      throw new ProjectFileError(`${file}: images[${i}] must be {id, file} with non-empty strings`);
    }
    if (ids.has(im.id)) throw new ProjectFileError(`${file}: image id "${im.id}" appears twice`);
    ids.add(im.id);
  });
  if (typeof doc.templateImageId === 'string' && !ids.has(doc.templateImageId)) {
    throw new ProjectFileError(
      `${file}: templateImageId "${doc.templateImageId}" is not one of the project's images`,
    );
  }
  return {
    path: dir,
    name: doc.name,
    createdAt: String(doc.createdAt ?? ''),
    modifiedAt: String(doc.modifiedAt ?? doc.createdAt ?? ''),
    imageCount: images.length,
    landmarkCount: landmarkSet.landmarks.length,
    landmarkSet,
    images,
    templateImageId: typeof doc.templateImageId === 'string' ? doc.templateImageId : null,
    revision: storedRevision(doc),
  };
}

export async function writeProject(project: Project): Promise<void> {
  const doc: ProjectFileV1 = {
    format: FORMAT,
    version: VERSION,
    name: project.name,
    createdAt: project.createdAt,
    modifiedAt: project.modifiedAt,
    landmarkSet: project.landmarkSet,
    images: project.images,
    templateImageId: project.templateImageId,
    revision: project.revision ?? 0,
  };
  await writeJsonAtomic(projectFilePath(project.path), doc);
}

/** Parses a JSON file; `missingMessage` replaces the bare ENOENT so the user learns what was expected. */
export async function readJson(file: string, missingMessage?: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ApiInputError(
        missingMessage ? `${missingMessage} (${file} not found)` : `${file}: not found`,
      );
    }
    throw new ProjectFileError(`${file}: cannot read (${code ?? (e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ProjectFileError(`${file}: invalid JSON (${(e as Error).message})`);
  }
}

let tmpCounter = 0;

/** Write-then-rename, so a crash mid-save never leaves a half-written project or annotation file. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeTextAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

export async function writeTextAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${Date.now()}.${tmpCounter++}.tmp`;
  const handle = await fs.open(tmp, 'w');
  try {
    try {
      await handle.writeFile(text, 'utf8');
      // Flush before the rename: after a power cut the new name must not point at empty blocks.
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  } catch (e) {
    // A full disk or a failed rename must not leave the scratch file behind.
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

// writeTextAtomic's scratch names: `<file>.<pid>.<ms>.<n>.tmp`.
const TEMP_NAME = /^.+\.(\d+)\.(\d+)\.(\d+)\.tmp$/;
/** A scratch file this old cannot belong to a write still going on. */
const STALE_TEMP_MS = 10 * 60 * 1000;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes scratch files a killed writer left behind: `*.tmp` of writeTextAtomic in the project
 * folder (when their process is gone or they are older than ten minutes; a fresh one of a live
 * process may be a write in flight) and half-written `exports/*.slicer.tmp` folders. Returns the
 * names removed. Never throws: a leftover costs disk space, not correctness.
 */
export async function removeStaleTempFiles(dir: string, nowMs = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  const sweep = async (folder: string, isStale: (name: string, ageMs: number) => boolean) => {
    let names: string[];
    try {
      names = await fs.readdir(folder);
    } catch {
      return;
    }
    for (const name of names) {
      if (!name.endsWith('.tmp')) continue;
      const full = path.join(folder, name);
      try {
        const st = await fs.lstat(full);
        if (!isStale(name, nowMs - st.mtimeMs)) continue;
        await fs.rm(full, { recursive: true, force: true });
        removed.push(path.relative(dir, full));
      } catch {
        // gone already (another opener swept it): nothing to do
      }
    }
  };
  await sweep(dir, (name, age) => {
    const m = TEMP_NAME.exec(name);
    if (!m) return false;
    return age > STALE_TEMP_MS || !processAlive(Number(m[1]));
  });
  await sweep(
    path.join(dir, EXPORTS_DIR),
    (name, age) => name.endsWith('.slicer.tmp') && age > STALE_TEMP_MS,
  );
  return removed;
}

/** An image's absolute path: stored paths are relative to the project folder unless absolute. */
export function imageAbsolutePath(projectDir: string, file: string): string {
  return path.isAbsolute(file) ? file : path.join(projectDir, file);
}
