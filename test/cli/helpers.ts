/**
 * Runs the real `onemark` binary as a child process (or `main` in this process), and writes small
 * dataset fixtures.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LandmarkSet, Point } from '../../src/data/types';
import { writeLandmarks } from '../../src/data/formats';
import { syntheticSet, type SyntheticSet } from '../../src/data/synthetic';
import { encodePng } from '../../src/evaluation/plots/png';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(REPO, 'bin', 'onemark.mjs');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: readonly string[], opts: { cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export async function tempDir(
  prefix = 'onemark-cli-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export const FIXTURE_W = 64;
export const FIXTURE_H = 48;

/** Landmarks of image `id` (the layout's 19) for the two doctors; the test's own truth. */
export function fixturePoints(id: number, who: 'senior' | 'junior'): [number, number][] {
  const d = who === 'senior' ? 0 : 1;
  return Array.from(
    { length: 19 },
    (_, k) => [2 + 3 * k + (id % 4) + d, 4 + 2 * k + (id % 3) + d] as [number, number],
  );
}

/**
 * A tiny ISBI-2015-layout dataset: train 001-003, test1 004-006 (labelled), test2 007 (no labels).
 * Spacing is the layout's 0.1 mm.
 */
export async function writeIsbiFixture(root: string): Promise<void> {
  const splits: [string, number[]][] = [
    ['TrainingData', [1, 2, 3]],
    ['Test1Data', [4, 5, 6]],
    ['Test2Data', [7]],
  ];
  for (const [folder, ids] of splits) {
    await mkdir(join(root, 'RawImage', folder), { recursive: true });
    for (const id of ids) {
      const data = new Uint8Array(FIXTURE_W * FIXTURE_H).map((_, i) => (i * (id + 3)) % 251);
      await writeFile(
        join(root, 'RawImage', folder, `${String(id).padStart(3, '0')}.png`),
        encodePng(FIXTURE_W, FIXTURE_H, 1, data),
      );
    }
  }
  for (const who of ['senior', 'junior'] as const) {
    await mkdir(join(root, 'AnnotationsByMD', `400_${who}`), { recursive: true });
    for (let id = 1; id <= 6; id++) {
      const lines = fixturePoints(id, who).map(([x, y]) => `${x},${y}`);
      await writeFile(
        join(root, 'AnnotationsByMD', `400_${who}`, `${String(id).padStart(3, '0')}.txt`),
        lines.join('\n') + '\n',
      );
    }
  }
}

/** floor((senior + junior) / 2), as the dataset defines its ground truth. */
export function fixtureGt(id: number): [number, number][] {
  const s = fixturePoints(id, 'senior');
  const j = fixturePoints(id, 'junior');
  return s.map(([x, y], k) => [Math.floor((x + j[k]![0]) / 2), Math.floor((y + j[k]![1]) / 2)]);
}

/** Runs `onemark ARGS` in this process (no tsx or libtorch start-up), capturing stdout and stderr. */
export async function runInProcess(
  args: readonly string[],
): Promise<{ code: number; out: string; err: string }> {
  const { main } = await import('../../src/cli/main');
  const out: string[] = [];
  const err: string[] = [];
  const wo = process.stdout.write.bind(process.stdout);
  const we = process.stderr.write.bind(process.stderr);
  (process.stdout as { write: unknown }).write = (s: string | Uint8Array) => (out.push(String(s)), true);
  (process.stderr as { write: unknown }).write = (s: string | Uint8Array) => (err.push(String(s)), true);
  try {
    const code = await main(['node', 'onemark', ...args]);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    (process.stdout as { write: unknown }).write = wo;
    (process.stderr as { write: unknown }).write = we;
    process.exitCode = undefined;
  }
}

export interface SyntheticFolder {
  set: SyntheticSet;
  /** Folder of `<id>.png` images. */
  images: string;
  /** The template's (image 0's) landmarks as a OneMark CSV: the only labels training reads. */
  template: string;
  landmarkSet: LandmarkSet;
  /** Radial errors (px) of copying the template's landmarks to every other image. */
  templateCopy: RadialErrors;
}

/** `onemark train` arguments for a synthetic folder: template s000, tiny preset, one thread. */
export function tinyTrainArgs(data: SyntheticFolder): string[] {
  return [
    '--images',
    data.images,
    '--template',
    's000',
    '--landmarks',
    data.template,
    '--preset',
    'tiny',
    '--threads',
    '1',
  ];
}

/**
 * Synthetic images with known landmarks (src/data/synthetic.ts) as a folder of 8-bit PNGs plus the
 * template's landmarks file: a dataset for `onemark train` whose truth the test keeps.
 */
export async function writeSyntheticFolder(
  root: string,
  opts: { n?: number; size?: number; seed?: number; maxShift?: number } = {},
): Promise<SyntheticFolder> {
  const n = opts.n ?? 8;
  const size = opts.size ?? 64;
  const set = syntheticSet(n, size, { seed: opts.seed ?? 2, maxShift: opts.maxShift });
  const images = join(root, 'images');
  await mkdir(images, { recursive: true });
  for (let i = 0; i < n; i++) {
    const bytes = Uint8Array.from(set.images[i].data as Float32Array, (v) => Math.round(v * 255));
    await writeFile(join(images, `${set.ids[i]}.png`), encodePng(size, size, 1, bytes));
  }
  const landmarkSet: LandmarkSet = {
    name: 'synthetic',
    landmarks: set.landmarks[0].map((_, j) => ({ id: j + 1, name: `L${j + 1}` })),
  };
  const template = join(root, 'template.csv');
  await writeLandmarks(template, {
    landmarkSet,
    images: [{ imageId: set.ids[0], landmarks: set.landmarks[0].map((p, j) => ({ id: j + 1, point: p })) }],
  });
  const copy = meanRadialError(
    set.ids.map((imageId) => ({ imageId, landmarks: set.landmarks[0].map((point) => ({ point })) })),
    set,
  );
  return { set, images, template, landmarkSet, templateCopy: copy };
}

export interface RadialErrors {
  mean: number;
  median: number;
  max: number;
  count: number;
}

/** Radial errors (px) of predicted images against the synthetic truth, the template left out. */
export function meanRadialError(
  images: readonly { imageId: string; landmarks: readonly { point: Point | null }[] }[],
  set: SyntheticSet,
): RadialErrors {
  const errors: number[] = [];
  for (const im of images) {
    const i = set.ids.indexOf(im.imageId);
    if (i <= 0) continue;
    im.landmarks.forEach((l, j) => {
      const g = set.landmarks[i][j];
      errors.push(l.point ? Math.hypot(l.point.x - g.x, l.point.y - g.y) : Infinity);
    });
  }
  errors.sort((a, b) => a - b);
  const n = errors.length;
  return {
    mean: errors.reduce((a, b) => a + b, 0) / n,
    median: n % 2 ? errors[(n - 1) / 2] : (errors[n / 2 - 1] + errors[n / 2]) / 2,
    max: errors[n - 1],
    count: n,
  };
}
