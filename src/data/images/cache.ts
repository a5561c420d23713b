/**
 * Disk cache of downscaled copies, so a 400-image project decodes each full-resolution file once and
 * afterwards reads ~0.5 MB per image instead of holding 400 full images in memory.
 *
 * Key = absolute path + mtime + size + target long side + resize method + spacing override. Files are
 * written atomically (temp file + rename) and carry a CRC-32: a corrupt or foreign file is ignored and
 * rebuilt, never trusted.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import { unreadableFileError } from '../errors';
import type { Spacing } from '../types';
import { readImage, type ReadImageOptions } from './read';
import { resizeToLongSide, type ResizeMethod, type ScaledImage } from './resize';

const MAGIC = 0x43534d4f; // 'OMSC' little-endian
const VERSION = 1;

/** `$ONEMARK_CACHE`, else the OS cache folder (XDG / ~/Library/Caches / %LOCALAPPDATA%) + `onemark`. */
export function defaultCacheDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (env.ONEMARK_CACHE) return resolve(env.ONEMARK_CACHE);
  const home = homedir();
  if (platform === 'win32')
    return join(env.LOCALAPPDATA || join(home, 'AppData', 'Local'), 'onemark', 'Cache');
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'onemark');
  return join(env.XDG_CACHE_HOME || join(home, '.cache'), 'onemark');
}

export interface ScaledImageOptions extends ReadImageOptions {
  /** Cache folder; default `defaultCacheDir()`. */
  cacheDir?: string;
  /** false: decode and resize without touching the disk cache. */
  cache?: boolean;
  method?: ResizeMethod;
}

interface CacheHeader {
  key: string;
  width: number;
  height: number;
  bitsStored: number;
  spacing: Spacing;
  source: ScaledImage['source'];
  original: ScaledImage['original'];
}

export function scaledCacheKey(
  absPath: string,
  mtimeMs: number,
  size: number,
  longSide: number,
  opts: ScaledImageOptions = {},
): string {
  const material = JSON.stringify({
    v: VERSION,
    path: absPath,
    mtimeMs,
    size,
    longSide,
    method: opts.method ?? 'auto',
    spacing: opts.spacing ?? null,
    force: !!opts.forceSpacing,
  });
  return createHash('sha256').update(material).digest('hex');
}

export function cacheFilePath(cacheDir: string, key: string): string {
  return join(cacheDir, 'scaled', key.slice(0, 2), `${key}.omsc`);
}

export function encodeCacheFile(img: ScaledImage, key: string): Uint8Array {
  const header: CacheHeader = {
    key,
    width: img.width,
    height: img.height,
    bitsStored: img.bitsStored,
    spacing: img.spacing,
    source: img.source,
    original: img.original,
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const headerEnd = 12 + json.length;
  const dataStart = Math.ceil(headerEnd / 4) * 4;
  const total = dataStart + img.data.byteLength + 4;
  const buf = Buffer.alloc(total);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt32LE(VERSION, 4);
  buf.writeUInt32LE(json.length, 8);
  json.copy(buf, 12);
  Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength).copy(buf, dataStart);
  buf.writeUInt32LE(crc32(buf.subarray(0, total - 4)), total - 4);
  return buf;
}

/** Parse a cache file; null when it is corrupt, truncated, of another version or another key. */
export function decodeCacheFile(buf: Buffer, key: string): ScaledImage | null {
  if (buf.length < 16 || buf.readUInt32LE(0) !== MAGIC || buf.readUInt32LE(4) !== VERSION) return null;
  const jsonLen = buf.readUInt32LE(8);
  if (12 + jsonLen > buf.length - 4) return null;
  if (crc32(buf.subarray(0, buf.length - 4)) !== buf.readUInt32LE(buf.length - 4)) return null;
  let h: CacheHeader;
  try {
    h = JSON.parse(buf.subarray(12, 12 + jsonLen).toString('utf8')) as CacheHeader;
  } catch {
    return null;
  }
  if (h.key !== key || !(h.width > 0) || !(h.height > 0)) return null;
  const dataStart = Math.ceil((12 + jsonLen) / 4) * 4;
  const n = h.width * h.height;
  if (dataStart + n * 4 + 4 !== buf.length) return null;
  const data = new Float32Array(n);
  new Uint8Array(data.buffer).set(buf.subarray(dataStart, dataStart + n * 4));
  return {
    width: h.width,
    height: h.height,
    data,
    bitsStored: h.bitsStored,
    spacing: h.spacing,
    source: h.source,
    original: h.original,
  };
}

async function writeAtomic(file: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
}

const inFlight = new Map<string, Promise<ScaledImage>>();

/**
 * The image at `path` resized so its long side is `longSide`, from the disk cache when a valid entry
 * exists, else decoded, resized and stored. A cache that cannot be written (read-only disk, full)
 * does not fail the load.
 */
export async function loadScaledImage(
  path: string,
  longSide: number,
  opts: ScaledImageOptions = {},
): Promise<ScaledImage> {
  const abs = resolve(path);
  let st;
  try {
    st = await stat(abs);
  } catch (e) {
    throw unreadableFileError(path, e);
  }
  const build = async (): Promise<ScaledImage> => {
    const img = await readImage(path, opts);
    return resizeToLongSide(img, longSide, { method: opts.method });
  };
  if (opts.cache === false) return build();

  const key = scaledCacheKey(abs, st.mtimeMs, st.size, longSide, opts);
  const file = cacheFilePath(opts.cacheDir ?? defaultCacheDir(), key);
  const pending = inFlight.get(file);
  if (pending) return pending;
  const task = (async () => {
    const cached = await readFile(file).then(
      (b) => decodeCacheFile(b, key),
      () => null,
    );
    if (cached) return cached;
    const img = await build();
    await writeAtomic(file, encodeCacheFile(img, key)).catch(() => {});
    return img;
  })();
  inFlight.set(file, task);
  try {
    return await task;
  } finally {
    inFlight.delete(file);
  }
}

/** Remove every cached downscaled copy under `cacheDir`. */
export async function clearScaledCache(cacheDir: string = defaultCacheDir()): Promise<void> {
  await rm(join(cacheDir, 'scaled'), { recursive: true, force: true });
}
