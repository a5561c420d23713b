/**
 * A project on disk: a folder holding `onemark-project.json` (name, landmark set, images) and,
 * once something was marked, `annotations.json`. Image paths are stored relative to the folder
 * so a project can be moved or copied to a cluster as a whole.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { LandmarkSet } from '../data/types';
import type { Project, ProjectImage } from './types';
import { ApiInputError, validateLandmarkSet } from './validate';

export const PROJECT_FILE = 'onemark-project.json';
export const ANNOTATIONS_FILE = 'annotations.json';
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
  if (
    !Array.isArray(images) ||
    images.some((im) => typeof im?.id !== 'string' || typeof im?.file !== 'string')
  ) {
    throw new ProjectFileError(`${file}: "images" must be a list of {id, file} strings`);
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

/** Write-then-rename, so a crash mid-save never leaves a half-written project or annotation file. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(value, null, 2) + '\n', 'utf8');
  await fs.rename(tmp, file);
}
