/**
 * Pixel spacing (mm per pixel) of a project's images: what the files say (DICOM PixelSpacing or
 * ImagerPixelSpacing), what the user entered for the whole project or one image, and which one
 * counts. Kept in its own file (`spacing.json`) so the project file's format does not change.
 *
 * Which spacing an image uses, first found: the user's value for that image, the file's own, the
 * user's project-wide value. Without any, figures stay in pixels and say so.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readImageInfo } from '../../data';
import type { Spacing } from '../../data/types';
import { imageAbsolutePath, readJson, writeJsonAtomic } from '../disk/project-file';
import type { ImageSpacing, Project, ProjectSpacing } from '../contract/types';
import { ApiInputError } from '../contract/errors';

export const SPACING_FILE = 'spacing.json';

interface SpacingFileV1 {
  version: 1;
  /** mm per pixel for every image without a better value; null: not entered. */
  project: { x: number; y: number } | null;
  /** The user's value for single images. */
  images: Record<string, { x: number; y: number }>;
}

function checkMm(value: unknown, what: string): { x: number; y: number } {
  const v = value as { x?: unknown; y?: unknown } | null;
  const ok = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n > 0 && n < 100;
  if (typeof v !== 'object' || v === null || !ok(v.x) || !ok(v.y)) {
    throw new ApiInputError(`${what}: a pixel spacing is two numbers of mm per pixel, above 0 (e.g. 0.1)`);
  }
  return { x: v.x as number, y: v.y as number };
}

async function readSpacingFile(project: Project): Promise<SpacingFileV1> {
  const file = path.join(project.path, SPACING_FILE);
  try {
    await fs.access(file);
  } catch {
    return { version: 1, project: null, images: {} };
  }
  const doc = (await readJson(file)) as Partial<SpacingFileV1>;
  const images: Record<string, { x: number; y: number }> = {};
  for (const [id, s] of Object.entries(doc.images ?? {})) images[id] = checkMm(s, `${file}: images.${id}`);
  return {
    version: 1,
    project: doc.project ? checkMm(doc.project, `${file}: project`) : null,
    images,
  };
}

/** Spacing the file itself carries (DICOM tags); none for PNG, JPEG, BMP and most TIFF. */
interface HeaderFacts {
  spacing: Spacing | null;
  size: { width: number; height: number } | null;
}
const fileSpacingCache = new Map<string, { mtimeMs: number; facts: HeaderFacts }>();
async function headerFacts(file: string): Promise<HeaderFacts> {
  let mtimeMs: number;
  try {
    mtimeMs = (await fs.stat(file)).mtimeMs;
  } catch {
    return { spacing: null, size: null };
  }
  const hit = fileSpacingCache.get(file);
  if (hit && hit.mtimeMs === mtimeMs) return hit.facts;
  const facts: HeaderFacts = { spacing: null, size: null };
  try {
    const info = await readImageInfo(file);
    facts.size = { width: info.width, height: info.height };
    if (info.spacing.source !== 'none' && info.spacing.x > 0 && info.spacing.y > 0)
      facts.spacing = info.spacing;
  } catch {
    // an unreadable header: no spacing from the file (the viewer reports the decode error)
  }
  fileSpacingCache.set(file, { mtimeMs, facts });
  return facts;
}

export async function projectSpacing(project: Project): Promise<ProjectSpacing> {
  const saved = await readSpacingFile(project);
  const images: Record<string, ImageSpacing> = {};
  for (const im of project.images) {
    const user = saved.images[im.id];
    const facts = await headerFacts(imageAbsolutePath(project.path, im.file));
    const own = facts.spacing;
    const used: Spacing | null = user
      ? { ...user, source: 'user' }
      : own
        ? own
        : saved.project
          ? { ...saved.project, source: 'user' }
          : null;
    images[im.id] = {
      file: own ? { x: own.x, y: own.y, source: own.source } : null,
      user: user ?? null,
      used: used ? { x: used.x, y: used.y, source: used.source } : null,
      size: facts.size,
    };
  }
  return { project: saved.project, images };
}

/** `imageId` undefined: the project-wide value; `spacing` null removes the user's value. */
export async function setProjectSpacing(
  project: Project,
  spacingArg: unknown,
  imageId: unknown,
): Promise<ProjectSpacing> {
  const spacing = spacingArg === null ? null : checkMm(spacingArg, 'Pixel spacing');
  const saved = await readSpacingFile(project);
  if (imageId === undefined || imageId === null) saved.project = spacing;
  else {
    if (typeof imageId !== 'string' || !project.images.some((im) => im.id === imageId)) {
      throw new ApiInputError(`Pixel spacing: the project has no image "${String(imageId)}"`);
    }
    if (spacing) saved.images[imageId] = spacing;
    else delete saved.images[imageId];
  }
  await writeJsonAtomic(path.join(project.path, SPACING_FILE), saved);
  return projectSpacing(project);
}

/** The spacing each image uses, for annotations about to be exported or scored. */
export async function usedSpacings(project: Project): Promise<Map<string, Spacing>> {
  const all = await projectSpacing(project);
  const out = new Map<string, Spacing>();
  for (const [id, s] of Object.entries(all.images)) if (s.used) out.set(id, s.used);
  return out;
}
