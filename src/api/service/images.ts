/**
 * Project images: importing files (by reference or copied in) and decoding them for the viewer.
 * Decoding happens here, with src/data, so DICOM, TIFF, BMP, PNG and JPEG reach the renderer as
 * the same plain pixel arrays (8-bit or 16-bit) with window presets.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { detectImageFormat, isImageFileName, loadScaledImage, readImage, resizeToLongSide } from '../../data';
import { resolveInside, toSafeFileStem } from '../../data/safeName';
import type { GrayImage } from '../../data/types';
import { CACHE_DIR, IMAGES_DIR, imageAbsolutePath } from '../disk/project-file';

/** Requests up to this long side are served from the scaled-image cache. */
const THUMBNAIL_MAX = 256;
import type { ImagePixels, ImportImagesRequest, ImportSkip, Project, ProjectImage } from '../contract/types';
import { ApiInputError } from '../contract/errors';
import { requireAbsolutePath } from '../disk/validate';

/**
 * Expands folders to their image files (sorted, not recursive). A path that is missing or not an
 * image is reported in `skipped` rather than refusing the whole list: one typo among forty files
 * must not cost the other thirty-nine.
 */
export async function expandImagePaths(
  paths: readonly unknown[],
): Promise<{ files: string[]; skipped: ImportSkip[] }> {
  const out: string[] = [];
  const skipped: ImportSkip[] = [];
  for (const p of paths) {
    if (typeof p !== 'string' || p.trim() === '') continue;
    if (!path.isAbsolute(p)) {
      skipped.push({
        path: p,
        reason: 'is not an absolute path (give the full path from the root, e.g. /data/scans)',
      });
      continue;
    }
    const abs = requireAbsolutePath(p, 'image path');
    let st;
    try {
      st = await fs.stat(abs);
    } catch {
      skipped.push({ path: abs, reason: 'does not exist' });
      continue;
    }
    if (st.isDirectory()) {
      const files = (await fs.readdir(abs)).filter((f) => isImageFileName(f)).sort();
      if (files.length === 0) skipped.push({ path: abs, reason: 'holds no image files' });
      out.push(...files.map((f) => path.join(abs, f)));
    } else if (isImageFileName(abs)) {
      out.push(abs);
    } else {
      skipped.push({ path: abs, reason: 'is not an image file (PNG, JPEG, BMP, TIFF, DICOM)' });
    }
  }
  return { files: out, skipped };
}

/** The file's name without extension, made safe as a file name (ids name copies and export files). */
function baseId(file: string): string {
  const name = path.basename(file);
  return toSafeFileStem(name.replace(/\.(nii\.gz|[^.]+)$/i, '') || name);
}

/** Adds images to the project; ids are file names without extension, made unique with -2, -3... */
export async function importImagesInto(
  project: Project,
  request: ImportImagesRequest,
): Promise<Project & { skipped: ImportSkip[] }> {
  if (typeof request !== 'object' || request === null || !Array.isArray(request.paths)) {
    throw new ApiInputError('importImages(request): expected {paths: string[], mode}');
  }
  if (request.mode !== 'reference' && request.mode !== 'copy') {
    throw new ApiInputError(
      `importImages(request.mode): expected 'reference' or 'copy', got ${String(request.mode)}`,
    );
  }
  const { files, skipped } = await expandImagePaths(request.paths);
  if (files.length === 0) {
    throw new ApiInputError(
      skipped.length === 0
        ? 'No image to import: give image files or folders, one a line'
        : `Nothing imported: ${skipped.map((s) => `${s.path} ${s.reason}`).join('; ')}`,
    );
  }
  const ids = new Set(project.images.map((im) => im.id));
  const known = new Set(project.images.map((im) => imageAbsolutePath(project.path, im.file)));
  const added: ProjectImage[] = [];
  if (request.mode === 'copy') await fs.mkdir(path.join(project.path, IMAGES_DIR), { recursive: true });
  for (const src of files) {
    if (known.has(src)) continue;
    let id = baseId(src);
    for (let k = 2; ids.has(id); k++) id = `${baseId(src)}-${k}`;
    ids.add(id);
    let stored: string;
    if (request.mode === 'copy') {
      const dest = resolveInside(path.join(project.path, IMAGES_DIR), `${id}${path.extname(src)}`);
      await fs.copyFile(src, dest);
      stored = path.relative(project.path, dest);
    } else {
      const rel = path.relative(project.path, src);
      stored = rel.startsWith('..') || path.isAbsolute(rel) ? src : rel;
    }
    known.add(src);
    added.push({ id, file: stored });
  }
  const images = [...project.images, ...added];
  return { ...project, images, imageCount: images.length, skipped };
}

export function findImage(project: Project, imageId: unknown, what: string): ProjectImage {
  if (typeof imageId !== 'string') throw new ApiInputError(`${what}: expected an image id string`);
  const image = project.images.find((im) => im.id === imageId);
  if (!image) throw new ApiInputError(`${what}: project ${project.path} has no image "${imageId}"`);
  return image;
}

function percentile(sorted: ArrayLike<number>, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];
}

/** Maps any grey image to 8 or 16 bits (min..max) and proposes windows: full range and 1–99 %. */
export function toDisplayPixels(
  img: GrayImage,
  imageId: string,
  original: { width: number; height: number },
): ImagePixels {
  const src = img.data;
  // 8-bit sources stay 8-bit even after a (float) resize; deeper ones get 16 bits.
  const deep = img.bitsStored > 8;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const maxValue = deep ? 65535 : 255;
  let pixels: Uint8Array | Uint16Array;
  if (!deep) {
    if (src instanceof Uint8Array) pixels = src;
    else {
      pixels = new Uint8Array(src.length);
      for (let i = 0; i < src.length; i++) pixels[i] = Math.max(0, Math.min(255, Math.round(src[i])));
    }
    min = Math.max(0, Math.round(min));
    max = Math.min(255, Math.round(max));
  } else {
    const scale = max > min ? maxValue / (max - min) : 0;
    pixels = new Uint16Array(src.length);
    for (let i = 0; i < src.length; i++) pixels[i] = Math.round((src[i] - min) * scale);
  }
  const sample: number[] = [];
  const step = Math.max(1, Math.floor(pixels.length / 20000));
  for (let i = 0; i < pixels.length; i += step) sample.push(pixels[i]);
  sample.sort((a, b) => a - b);
  const lo = percentile(sample, 0.01);
  const hi = Math.max(lo + 1, percentile(sample, 0.99));
  const fullLo = deep ? 0 : min;
  const fullHi = deep ? maxValue : Math.max(fullLo + 1, max);
  return {
    imageId,
    width: img.width,
    height: img.height,
    originalWidth: original.width,
    originalHeight: original.height,
    pixels,
    maxValue,
    windows: [
      { name: 'Full range', center: (fullLo + fullHi) / 2, width: fullHi - fullLo },
      { name: 'Auto (1–99 %)', center: (lo + hi) / 2, width: hi - lo },
    ],
  };
}

export async function readImagePixels(
  project: Project,
  imageId: unknown,
  maxSide: unknown,
): Promise<ImagePixels> {
  const image = findImage(project, imageId, 'imagePixels(imageId)');
  const side = maxSide === undefined ? 1024 : Number(maxSide);
  if (!Number.isInteger(side) || side < 16 || side > 8192) {
    throw new ApiInputError(`imagePixels(maxSide): expected an integer in 16..8192, got ${String(maxSide)}`);
  }
  const file = imageAbsolutePath(project.path, image.file);
  if (side <= THUMBNAIL_MAX) {
    // Thumbnails come from the project's downscaled-image cache: a strip of 150 images must not
    // decode 150 full files every time the review opens.
    const small = await loadScaledImage(file, side, { cacheDir: path.join(project.path, CACHE_DIR) });
    return toDisplayPixels(small, image.id, small.original);
  }
  const img = await readImage(file);
  // Only ever shrink: small images are shown at their own resolution.
  const shown = Math.max(img.width, img.height) > side ? resizeToLongSide(img, side) : img;
  return toDisplayPixels(shown, image.id, { width: img.width, height: img.height });
}

/** Larger DICOM files are refused rather than sent whole to the renderer. */
const DICOM_FILE_MAX = 512 * 1024 * 1024;

/** The stored bytes of a DICOM image of the project (the viewer decodes DICOM itself). */
export async function readDicomFile(project: Project, imageId: unknown): Promise<Uint8Array> {
  const image = findImage(project, imageId, 'dicomFile(imageId)');
  const file = imageAbsolutePath(project.path, image.file);
  let size: number;
  try {
    size = (await fs.stat(file)).size;
  } catch {
    throw new ApiInputError(`dicomFile: ${file} (image "${image.id}") does not exist`);
  }
  if (size > DICOM_FILE_MAX) {
    throw new ApiInputError(`dicomFile: ${file} is larger than ${DICOM_FILE_MAX} bytes`);
  }
  const bytes = await fs.readFile(file);
  if (detectImageFormat(bytes.subarray(0, 132), file) !== 'dicom') {
    throw new ApiInputError(`dicomFile: image "${image.id}" (${file}) is not a DICOM file`);
  }
  // A plain Uint8Array of exactly the file: IPC clones the whole underlying buffer of a view.
  return new Uint8Array(bytes);
}
