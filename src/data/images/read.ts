/**
 * Reading any supported image file into a GrayImage: format sniffing, decoding, spacing resolution.
 * This is the one entry point training, prediction, the CLI and the app use for pixels.
 */
import { readFile } from 'node:fs/promises';
import { DataError } from '../errors';
import type { GrayImage, Spacing } from '../types';
import { decodeBmpGray } from './bmp';
import { decodeDicomGray, type DicomHeader } from './dicom/dicom';
import { detectImageFormat, type ImageFormat } from './formats';
import { decodeJpegGray } from './jpeg';
import { decodePngGray } from './png';
import type { RawGray } from './raw';
import { decodeTiffGray } from './tiff';

export interface SpacingOverride {
  /** mm per pixel along x (columns) and y (rows). */
  x: number;
  y: number;
  /** Defaults to 'user'; datasets pass 'dataset' for conventions such as ISBI's 0.1 mm. */
  source?: Spacing['source'];
}

export interface ReadImageOptions {
  /**
   * Spacing to use when the file states none (PNG/JPEG/BMP/TIFF always, DICOM without
   * PixelSpacing/ImagerPixelSpacing). Without it such images get `{x: 1, y: 1, source: 'none'}`.
   */
  spacing?: SpacingOverride;
  /** Use `spacing` even when the file states its own. */
  forceSpacing?: boolean;
}

/** Extra facts a reader found, for inspect and provenance. */
export interface ImageDetails {
  dicom?: DicomHeader;
}

export type DecodedImage = GrayImage & { details?: ImageDetails };

export function resolveSpacing(fromFile: Spacing | null, opts: ReadImageOptions, path: string): Spacing {
  const o = opts.spacing;
  if (o) {
    if (!(o.x > 0) || !(o.y > 0) || !Number.isFinite(o.x) || !Number.isFinite(o.y)) {
      throw new DataError(path, `invalid spacing override ${o.x} x ${o.y} mm (must be positive numbers)`);
    }
    if (!fromFile || opts.forceSpacing) return { x: o.x, y: o.y, source: o.source ?? 'user' };
  }
  return fromFile ?? { x: 1, y: 1, source: 'none' };
}

/** Decode bytes already in memory; `path` names the file in errors and provenance. */
export async function decodeImage(
  bytes: Uint8Array,
  path: string,
  opts: ReadImageOptions = {},
): Promise<DecodedImage> {
  const format = detectImageFormat(bytes, path);
  if (!format) {
    if (bytes.length === 0) throw new DataError(path, 'file is empty');
    throw new DataError(path, 'unrecognised image format (expected PNG, JPEG, BMP, TIFF or DICOM)');
  }
  let raw: RawGray;
  let fileSpacing: Spacing | null = null;
  let details: ImageDetails | undefined;
  switch (format) {
    case 'png':
      raw = decodePngGray(bytes, path);
      break;
    case 'jpeg':
      raw = await decodeJpegGray(bytes, path);
      break;
    case 'bmp':
      raw = decodeBmpGray(bytes, path);
      break;
    case 'tiff':
      raw = decodeTiffGray(bytes, path);
      break;
    case 'dicom': {
      const d = await decodeDicomGray(bytes, path);
      raw = d;
      fileSpacing = d.header.spacing;
      details = { dicom: d.header };
      break;
    }
    default:
      throw new DataError(path, `format ${format as string} cannot be decoded`);
  }
  const img: DecodedImage = {
    width: raw.width,
    height: raw.height,
    data: raw.data,
    bitsStored: raw.bitsStored,
    spacing: resolveSpacing(fileSpacing, opts, path),
    source: { path, format: format as ImageFormat },
  };
  if (details) img.details = details;
  return img;
}

/** Read and decode one image file. Errors are DataErrors naming the file. */
export async function readImage(path: string, opts: ReadImageOptions = {}): Promise<DecodedImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(
      path,
      code === 'ENOENT'
        ? 'file not found'
        : code === 'EISDIR'
          ? 'is a directory, not an image'
          : `cannot read: ${(e as Error).message}`,
      { cause: e },
    );
  }
  return decodeImage(bytes, path, opts);
}
