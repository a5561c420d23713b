import { readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encode as encodePng } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cacheFilePath,
  clearScaledCache,
  defaultCacheDir,
  loadScaledImage,
  scaledCacheKey,
} from '../../../src/data';
import { makeTempDir } from '../helpers/imageWriters';

let dir: string;
let cleanup: () => Promise<void>;
const W = 120;
const H = 80;
const pixels = Uint8Array.from({ length: W * H }, (_, i) => (i * 7) % 256);

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
  await writeFile(
    join(dir, 'img.png'),
    encodePng({ width: W, height: H, data: pixels, channels: 1, depth: 8 }),
  );
});
afterAll(() => cleanup());

async function cacheFiles(cacheDir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else out.push(join(d, e.name));
    }
  };
  await walk(cacheDir);
  return out;
}

describe('downscaled-image disk cache', () => {
  it('writes one entry, then serves identical data from it', async () => {
    const cacheDir = join(dir, 'c1');
    const a = await loadScaledImage(join(dir, 'img.png'), 30, { cacheDir });
    expect([a.width, a.height]).toEqual([30, 20]);
    const files = await cacheFiles(cacheDir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/\.omsc$/); // no temp file left behind
    const before = (await stat(files[0]!)).mtimeMs;
    const b = await loadScaledImage(join(dir, 'img.png'), 30, { cacheDir });
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
    expect(b.original).toEqual(a.original);
    expect((await stat(files[0]!)).mtimeMs).toBe(before); // served, not rewritten
  });

  it('is really read from disk: a (valid) entry with other pixels is what comes back', async () => {
    // Prove the second load does not decode: swap the cached pixels and see them returned.
    const cacheDir = join(dir, 'c2');
    const path = join(dir, 'img.png');
    await loadScaledImage(path, 30, { cacheDir });
    const [file] = await cacheFiles(cacheDir);
    const { encodeCacheFile, decodeCacheFile } = await import('../../../src/data/images/cache');
    const st = await stat(path);
    const key = scaledCacheKey(path, st.mtimeMs, st.size, 30);
    const entry = decodeCacheFile(await readFile(file!), key)!;
    entry.data.fill(123);
    await writeFile(file!, encodeCacheFile(entry, key));
    const c = await loadScaledImage(path, 30, { cacheDir });
    expect(c.data[0]).toBe(123);
  });

  it('a corrupt cache file is ignored and rebuilt', async () => {
    const cacheDir = join(dir, 'c3');
    const path = join(dir, 'img.png');
    const good = await loadScaledImage(path, 30, { cacheDir });
    const [file] = await cacheFiles(cacheDir);
    const bytes = await readFile(file!);
    bytes[bytes.length - 10] ^= 0xff; // flip pixel bits: CRC no longer matches
    await writeFile(file!, bytes);
    const again = await loadScaledImage(path, 30, { cacheDir });
    expect(Array.from(again.data)).toEqual(Array.from(good.data));
    await writeFile(file!, 'garbage');
    expect(Array.from((await loadScaledImage(path, 30, { cacheDir })).data)).toEqual(Array.from(good.data));
    expect((await readFile(file!)).length).toBeGreaterThan(100); // rewritten
  });

  it('the key changes with mtime, size and target size', async () => {
    const path = join(dir, 'img.png');
    const k = scaledCacheKey(path, 1000, 50, 384);
    expect(scaledCacheKey(path, 2000, 50, 384)).not.toBe(k);
    expect(scaledCacheKey(path, 1000, 51, 384)).not.toBe(k);
    expect(scaledCacheKey(path, 1000, 50, 256)).not.toBe(k);
    expect(scaledCacheKey(path + 'x', 1000, 50, 384)).not.toBe(k);
    expect(cacheFilePath('/c', k)).toBe(`/c/scaled/${k.slice(0, 2)}/${k}.omsc`);
  });

  it('a modified source file gets a new entry', async () => {
    const cacheDir = join(dir, 'c4');
    const path = join(dir, 'img2.png');
    await writeFile(path, encodePng({ width: W, height: H, data: pixels, channels: 1, depth: 8 }));
    await loadScaledImage(path, 30, { cacheDir });
    await writeFile(
      path,
      encodePng({ width: W, height: H, data: new Uint8Array(W * H).fill(9), channels: 1, depth: 8 }),
    );
    await utimes(path, new Date(), new Date(Date.now() + 5000));
    const r = await loadScaledImage(path, 30, { cacheDir });
    expect(r.data[0]).toBeCloseTo(9, 5);
    expect(await cacheFiles(cacheDir)).toHaveLength(2);
  });

  it('cache: false touches no disk; clearScaledCache empties the folder', async () => {
    const cacheDir = join(dir, 'c5');
    await loadScaledImage(join(dir, 'img.png'), 30, { cacheDir, cache: false });
    expect(await cacheFiles(cacheDir)).toHaveLength(0);
    await loadScaledImage(join(dir, 'img.png'), 30, { cacheDir });
    await clearScaledCache(cacheDir);
    expect(await cacheFiles(cacheDir)).toHaveLength(0);
  });

  it('default folder: ONEMARK_CACHE, else the OS cache folder', () => {
    expect(defaultCacheDir({ ONEMARK_CACHE: '/tmp/om' }, 'linux')).toBe('/tmp/om');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/xdg' }, 'linux')).toBe('/xdg/onemark');
    expect(defaultCacheDir({}, 'darwin')).toMatch(/Library\/Caches\/onemark$/);
    expect(defaultCacheDir({ LOCALAPPDATA: 'C:/Users/u/AppData/Local' }, 'win32')).toMatch(
      /onemark[\\/]Cache$/,
    );
  });

  it('a missing source file is an error naming it', async () => {
    await expect(loadScaledImage(join(dir, 'none.png'), 30, { cacheDir: join(dir, 'c6') })).rejects.toThrow(
      /none\.png: file not found/,
    );
  });
});
