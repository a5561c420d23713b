/** Which image format a file holds, from its first bytes (extension only as a fallback). */
import type { GrayImage } from '../types';

export type ImageFormat = GrayImage['source']['format'];

/** Extensions the readers accept, for folder scans. */
export const IMAGE_EXTENSIONS: readonly string[] = [
  '.png',
  '.jpg',
  '.jpeg',
  '.bmp',
  '.tif',
  '.tiff',
  '.dcm',
  '.dicom',
  '.dic',
];

export function extensionOf(path: string): string {
  const base = path.split(/[\\/]/).pop() ?? path;
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot).toLowerCase() : '';
}

/** True when the name looks like an image the readers handle (extensionless files may be DICOM). */
export function isImageFileName(path: string): boolean {
  return IMAGE_EXTENSIONS.includes(extensionOf(path));
}

export function detectImageFormat(bytes: Uint8Array, path = ''): ImageFormat | null {
  const b = bytes;
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return 'bmp';
  if (
    b.length >= 4 &&
    ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 42 && b[3] === 0) ||
      (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && b[3] === 42))
  ) {
    return 'tiff';
  }
  if (b.length >= 132 && b[128] === 0x44 && b[129] === 0x49 && b[130] === 0x43 && b[131] === 0x4d)
    return 'dicom';
  // DICOM without the 128-byte preamble: fall back on the extension.
  const ext = extensionOf(path);
  if (ext === '.dcm' || ext === '.dicom' || ext === '.dic') return 'dicom';
  return null;
}
