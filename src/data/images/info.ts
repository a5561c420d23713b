/**
 * Image facts from headers alone (size, bit depth, spacing), without decoding pixels: what
 * `dataset inspect` and dataset scans need for hundreds of files.
 */
import { open, readFile, stat } from 'node:fs/promises';
import { decode as decodeTiff } from 'tiff';
import { DataError, unreadableFileError } from '../errors';
import type { Spacing } from '../types';
import { parseDicomDataSet, readDicomHeader, type DicomHeader } from './dicom/dicom';
import { detectImageFormat, type ImageFormat } from './formats';
import { resolveSpacing, type ReadImageOptions } from './read';

export interface ImageInfo {
  path: string;
  format: ImageFormat;
  width: number;
  height: number;
  bitsStored: number;
  /** Samples per pixel in the file (the readers reduce colour to grey). */
  channels: number;
  spacing: Spacing;
  fileSize: number;
  dicom?: DicomHeader;
}

const HEAD_BYTES = 1 << 20;

async function readHead(path: string, n: number): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** A cut JPEG lacks its final FFD9 marker (some writers pad after it, hence the window). */
async function jpegHasEnd(path: string, size: number): Promise<boolean> {
  const n = Math.min(size, 65536);
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    await fh.read(buf, 0, n, size - n);
    for (let i = n - 1; i >= 1; i--) if (buf[i] === 0xd9 && buf[i - 1] === 0xff) return true;
    return false;
  } finally {
    await fh.close();
  }
}

function jpegInfo(b: Uint8Array): { width: number; height: number; bits: number; channels: number } | null {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return null;
    const m = b[i + 1]!;
    if (m === 0xff) {
      i++;
      continue;
    }
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      return {
        bits: b[i + 4]!,
        height: (b[i + 5]! << 8) | b[i + 6]!,
        width: (b[i + 7]! << 8) | b[i + 8]!,
        channels: b[i + 9]!,
      };
    }
    i += 2 + ((b[i + 2]! << 8) | b[i + 3]!);
  }
  return null;
}

function headerFacts(
  bytes: Uint8Array,
  format: ImageFormat,
  path: string,
): (Omit<ImageInfo, 'path' | 'format' | 'spacing' | 'fileSize'> & { fileSpacing: Spacing | null }) | null {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (format) {
    case 'png': {
      if (bytes.length < 29) return null;
      const colorType = bytes[25]!;
      const channels = colorType === 0 || colorType === 3 ? 1 : colorType === 4 ? 2 : colorType === 2 ? 3 : 4;
      return {
        width: dv.getUint32(16),
        height: dv.getUint32(20),
        bitsStored: colorType === 3 ? 8 : bytes[24]!,
        channels,
        fileSpacing: null,
      };
    }
    case 'jpeg': {
      const j = jpegInfo(bytes);
      return (
        j && { width: j.width, height: j.height, bitsStored: j.bits, channels: j.channels, fileSpacing: null }
      );
    }
    case 'bmp': {
      if (bytes.length < 30) return null;
      // The 12-byte OS/2 core header keeps width, height and bit count in 16-bit fields; the
      // later headers in 32-bit ones, which moves the bit count along.
      const core = dv.getUint32(14, true) === 12;
      const width = core ? dv.getUint16(18, true) : dv.getInt32(18, true);
      const height = core ? dv.getInt16(20, true) : dv.getInt32(22, true);
      const bitCount = dv.getUint16(core ? 24 : 28, true);
      return {
        width,
        height: Math.abs(height),
        bitsStored: 8,
        channels: bitCount > 8 ? 3 : 1,
        fileSpacing: null,
      };
    }
    case 'tiff': {
      const ifd = decodeTiff(bytes, { ignoreImageData: true, pages: [0] })[0];
      if (!ifd) return null;
      return {
        width: ifd.width,
        height: ifd.height,
        bitsStored: ifd.bitsPerSample,
        channels: ifd.samplesPerPixel || 1,
        fileSpacing: null,
      };
    }
    case 'dicom': {
      const h = readDicomHeader(parseDicomDataSet(bytes, path, true), path);
      return {
        width: h.columns,
        height: h.rows,
        bitsStored: h.bitsStored,
        channels: h.samplesPerPixel,
        fileSpacing: h.spacing,
        dicom: h,
      };
    }
    default:
      return null;
  }
}

/** Size, depth and spacing from the file's header; throws a DataError naming the file when unreadable. */
export async function readImageInfo(path: string, opts: ReadImageOptions = {}): Promise<ImageInfo> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    throw unreadableFileError(path, e);
  }
  let bytes = await readHead(path, Math.min(size, HEAD_BYTES));
  const format = detectImageFormat(bytes, path);
  if (!format)
    throw new DataError(
      path,
      size === 0 ? 'file is empty' : 'unrecognised image format (expected PNG, JPEG, BMP, TIFF or DICOM)',
    );
  let facts;
  try {
    facts = headerFacts(bytes, format, path);
  } catch (e) {
    if (size <= bytes.length)
      throw e instanceof DataError
        ? e
        : new DataError(path, `unreadable ${format} header: ${(e as Error).message}`, { cause: e });
    facts = null;
  }
  if (!facts && size > bytes.length) {
    // The header did not fit in the first megabyte (big EXIF block, TIFF IFD at the end...).
    bytes = await readFile(path);
    try {
      facts = headerFacts(bytes, format, path);
    } catch (e) {
      throw e instanceof DataError
        ? e
        : new DataError(path, `unreadable ${format} header: ${(e as Error).message}`, { cause: e });
    }
  }
  if (!facts) throw new DataError(path, `unreadable ${format} header (truncated?)`);
  if (format === 'jpeg' && !(await jpegHasEnd(path, size)))
    throw new DataError(path, 'truncated JPEG: the end-of-image marker is missing');
  const { fileSpacing, ...rest } = facts;
  const info: ImageInfo = {
    path,
    format,
    ...rest,
    spacing: resolveSpacing(fileSpacing, opts, path),
    fileSize: size,
  };
  return info;
}
