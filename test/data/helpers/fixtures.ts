/** Small datasets written to a temp folder: the ISBI layout and a generic folder + CSV. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encode as encodePng } from 'fast-png';
import { encodeJpegBaseline } from './codecs';
import { writeBmp } from './imageWriters';

export const IMG_W = 48;
export const IMG_H = 40;

export function smoothImage(seed: number): Uint8Array {
  return Uint8Array.from({ length: IMG_W * IMG_H }, (_, i) =>
    Math.round(128 + 80 * Math.sin(((i % IMG_W) + seed) / 6) * Math.cos(Math.floor(i / IMG_W) / 5)),
  );
}

export function isbiLines(points: Array<[number, number]>, trailing = true): string {
  return points.map(([x, y]) => `${x},${y}`).join('\n') + (trailing ? '\n3\n1\n2\n' : '\n');
}

/** Doctor annotations with odd sums so flooring the mean matters. */
export function doctor(id: number, who: 'senior' | 'junior'): Array<[number, number]> {
  return Array.from(
    { length: 19 },
    (_, k) =>
      [
        1 + ((id * 3 + k * 2 + (who === 'senior' ? 1 : 0)) % 40),
        1 + ((id + k + (who === 'senior' ? 0 : 3)) % 35),
      ] as [number, number],
  );
}

/**
 * RawImage/{TrainingData: 001-003, Test1Data: 004-005, Test2Data: 006-007}; annotations for 001-005.
 * 001 is a BMP, the others JPEG.
 */
export async function writeIsbiLayout(root: string): Promise<void> {
  const split = (id: number) => (id <= 3 ? 'TrainingData' : id <= 5 ? 'Test1Data' : 'Test2Data');
  for (const d of ['TrainingData', 'Test1Data', 'Test2Data'])
    await mkdir(join(root, 'RawImage', d), { recursive: true });
  await mkdir(join(root, 'AnnotationsByMD', '400_senior'), { recursive: true });
  await mkdir(join(root, 'AnnotationsByMD', '400_junior'), { recursive: true });
  for (let id = 1; id <= 7; id++) {
    const name = String(id).padStart(3, '0');
    const px = smoothImage(id);
    const file = id === 1 ? writeBmp(px, IMG_W, IMG_H) : await encodeJpegBaseline(px, IMG_W, IMG_H, 1, 90);
    await writeFile(join(root, 'RawImage', split(id), `${name}.${id === 1 ? 'bmp' : 'jpg'}`), file);
    if (id <= 5) {
      await writeFile(
        join(root, 'AnnotationsByMD', '400_senior', `${name}.txt`),
        isbiLines(doctor(id, 'senior')),
      );
      await writeFile(
        join(root, 'AnnotationsByMD', '400_junior', `${name}.txt`),
        isbiLines(doctor(id, 'junior')),
      );
    }
  }
}

export async function writePng(path: string, seed: number): Promise<void> {
  await writeFile(
    path,
    encodePng({ width: IMG_W, height: IMG_H, data: smoothImage(seed), channels: 1, depth: 8 }),
  );
}
