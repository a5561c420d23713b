/**
 * Decode + downscale timings on ISBI 2015 images: full decode, decode + resize to a long side, and a
 * load from the disk cache. Prints ms per image.
 *
 *   npx tsx bench/data-decode.ts [isbi-root] [--n 20] [--long-side 384]
 *
 * The root defaults to <repo>/../shared/isbi2015.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScaledImage, openIsbi2015, readImage, resizeToLongSide } from '../src/data';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const root =
  args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--')) ??
  fileURLToPath(new URL('../../shared/isbi2015', import.meta.url));
const n = opt('--n', 20);
const longSide = opt('--long-side', 384);

const ds = await openIsbi2015(root);
const items = ds.items.slice(0, n);
if (items.length === 0) throw new Error(`no ISBI images under ${root}`);
const cacheDir = await mkdtemp(join(tmpdir(), 'onemark-bench-'));

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
// Wall time and this process's CPU time: on a shared machine the CPU figure is the steadier one.
type Timing = { wall: number[]; cpu: number[] };
const mk = (): Timing => ({ wall: [], cpu: [] });
const decode = mk();
const resize = mk();
const cold = mk();
const warm = mk();
async function time<T>(into: Timing, fn: () => Promise<T> | T): Promise<T> {
  const c = process.cpuUsage();
  const t = performance.now();
  const r = await fn();
  into.wall.push(performance.now() - t);
  const u = process.cpuUsage(c);
  into.cpu.push((u.user + u.system) / 1000);
  return r;
}
await readImage(items[0]!.imagePath); // instantiate the wasm codec once, outside the timings
for (const it of items) {
  const img = await time(decode, () => readImage(it.imagePath));
  await time(resize, () => resizeToLongSide(img, longSide));
  await time(cold, () => loadScaledImage(it.imagePath, longSide, { cacheDir }));
  await time(warm, () => loadScaledImage(it.imagePath, longSide, { cacheDir }));
}
await rm(cacheDir, { recursive: true, force: true });
const row = (label: string, t: Timing) =>
  console.log(
    `${label.padEnd(40)} wall mean ${mean(t.wall).toFixed(1)} / median ${median(t.wall).toFixed(1)} ms;` +
      ` cpu mean ${mean(t.cpu).toFixed(1)} ms`,
  );
console.log(`ISBI 2015, ${items.length} images (${root}), long side ${longSide}`);
row('decode JPEG 1935x2400 -> grey', decode);
row(`resize to long side ${longSide} (area)`, resize);
row('decode + resize + write cache (cold)', cold);
row('load from disk cache (warm)', warm);
