/**
 * Synthetic project images the e2e tests draw: a dim textured background with three bright
 * shapes (disk, square, cross) whose positions shift from image to image, so a one-shot detector
 * has something learnable and the true landmark positions are known.
 */
import { encode } from 'fast-png';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TS, writeDicom } from '../data/helpers/dicomWriter';

export const SYNTH_SIZE = 128;
export const SYNTH_LANDMARKS = ['Disk', 'Square', 'Cross'] as const;

export interface SyntheticImage {
  file: string;
  id: string;
  /** True landmark positions in pixels, in SYNTH_LANDMARKS order. */
  points: { x: number; y: number }[];
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function drawSynthetic(index: number): { data: Uint8Array; points: { x: number; y: number }[] } {
  const n = SYNTH_SIZE;
  const r = rng(1000 + index);
  const dx = Math.round((r() - 0.5) * 16);
  const dy = Math.round((r() - 0.5) * 16);
  const points = [
    { x: 36 + dx, y: 40 + dy },
    { x: 90 + dx, y: 44 + dy },
    { x: 62 + dx, y: 92 + dy },
  ];
  const data = new Uint8Array(n * n);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      data[y * n + x] = 30 + Math.round(20 * Math.sin((x + y) / 9) + r() * 12);
    }
  }
  const put = (x: number, y: number, v: number) => {
    if (x >= 0 && y >= 0 && x < n && y < n) data[y * n + x] = v;
  };
  const [disk, square, cross] = points;
  for (let y = -7; y <= 7; y++)
    for (let x = -7; x <= 7; x++) if (x * x + y * y <= 49) put(disk.x + x, disk.y + y, 220);
  for (let y = -6; y <= 6; y++) for (let x = -6; x <= 6; x++) put(square.x + x, square.y + y, 170);
  for (let k = -9; k <= 9; k++) {
    for (let w = -1; w <= 1; w++) {
      put(cross.x + k, cross.y + w, 250);
      put(cross.x + w, cross.y + k, 250);
    }
  }
  return { data, points };
}

/**
 * Writes `count` images as 8-bit PNG, except the indices in `dicom`: those become DICOM files
 * (Explicit VR Little Endian, 8-bit MONOCHROME2, 0.1 mm pixels) with the same pixels.
 */
export async function writeSyntheticImages(
  dir: string,
  count: number,
  opts: { dicom?: number[] } = {},
): Promise<SyntheticImage[]> {
  await mkdir(dir, { recursive: true });
  const out: SyntheticImage[] = [];
  for (let i = 0; i < count; i++) {
    const { data, points } = drawSynthetic(i);
    const id = `img${String(i + 1).padStart(2, '0')}`;
    const dicom = opts.dicom?.includes(i) ?? false;
    const file = path.join(dir, `${id}.${dicom ? 'dcm' : 'png'}`);
    const bytes = dicom
      ? writeDicom({
          transferSyntax: TS.explicitLE,
          rows: SYNTH_SIZE,
          columns: SYNTH_SIZE,
          bitsAllocated: 8,
          pixelSpacing: [0.1, 0.1],
          pixelData: data,
        })
      : encode({ width: SYNTH_SIZE, height: SYNTH_SIZE, data, channels: 1, depth: 8 });
    await writeFile(file, bytes);
    out.push({ file, id, points });
  }
  return out;
}
