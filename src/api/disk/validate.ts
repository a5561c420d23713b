/**
 * Checks for values that arrive from the renderer or from disk. The renderer is untrusted (it
 * shows user files), so the service re-checks every argument instead of trusting the types.
 */
import path from 'node:path';
import type { AnnotationSet, LandmarkSet } from '../../data/types';
import { ApiInputError } from '../contract/errors';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function requireAbsolutePath(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ApiInputError(`${what}: expected a path string, got ${describe(value)}`);
  }
  if (value.includes('\0')) throw new ApiInputError(`${what}: path contains a NUL character`);
  if (!path.isAbsolute(value)) throw new ApiInputError(`${what}: expected an absolute path, got "${value}"`);
  return path.resolve(value);
}

export function requireNonEmptyString(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw new ApiInputError(`${what}: expected a non-empty string, got ${describe(value)}`);
  }
  return value.trim();
}

/** `where` names the file or argument, so the message says what to fix. */
export function validateLandmarkSet(value: unknown, where: string): LandmarkSet {
  if (!isRecord(value)) throw new ApiInputError(`${where}: landmarkSet must be an object`);
  if (typeof value.name !== 'string') throw new ApiInputError(`${where}: landmarkSet.name must be a string`);
  if (!Array.isArray(value.landmarks)) {
    throw new ApiInputError(`${where}: landmarkSet.landmarks must be an array`);
  }
  const seen = new Set<number>();
  value.landmarks.forEach((lm, i) => {
    if (!isRecord(lm) || !Number.isInteger(lm.id) || (lm.id as number) < 1 || typeof lm.name !== 'string') {
      throw new ApiInputError(
        `${where}: landmarkSet.landmarks[${i}] needs an integer id >= 1 (ids are 1-based) and a name`,
      );
    }
    if (seen.has(lm.id as number)) {
      throw new ApiInputError(`${where}: landmark id ${String(lm.id)} appears twice`);
    }
    seen.add(lm.id as number);
  });
  return value as unknown as LandmarkSet;
}

export function validateAnnotationSet(value: unknown, where: string): AnnotationSet {
  if (!isRecord(value)) throw new ApiInputError(`${where}: annotations must be an object`);
  const landmarkSet = validateLandmarkSet(value.landmarkSet, where);
  if (!Array.isArray(value.images)) throw new ApiInputError(`${where}: annotations.images must be an array`);
  const known = new Set(landmarkSet.landmarks.map((l) => l.id));
  value.images.forEach((img, i) => {
    if (!isRecord(img) || typeof img.imageId !== 'string' || !Array.isArray(img.landmarks)) {
      throw new ApiInputError(`${where}: images[${i}] needs an imageId string and a landmarks array`);
    }
    for (const lm of img.landmarks as unknown[]) {
      if (!isRecord(lm) || !known.has(lm.id as number)) {
        throw new ApiInputError(
          `${where}: images[${i}] (${img.imageId}) has a landmark whose id is not in the landmark set`,
        );
      }
      const p = lm.point;
      if (p !== null && !(isRecord(p) && Number.isFinite(p.x) && Number.isFinite(p.y))) {
        throw new ApiInputError(
          `${where}: images[${i}] (${img.imageId}) landmark ${String(lm.id)}: point must be null or finite {x, y}`,
        );
      }
    }
  });
  return value as unknown as AnnotationSet;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? `"${v}"` : typeof v;
}
