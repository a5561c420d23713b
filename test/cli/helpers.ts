/** Runs the real `onemark` binary as a child process, and writes small dataset fixtures. */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
