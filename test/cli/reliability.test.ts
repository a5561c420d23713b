/**
 * What a damaged run, a mistyped path or a bad file does to the CLI (issue 10): each case failed
 * before (exit 0 with garbage, or a silent fresh start) and must now stop with a message that
 * names the file and the problem, or skip and say so.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLandmarks, writeLandmarks } from '../../src/data/formats';
import { loadSafetensors, saveSafetensors } from '../../src/engine/io/safetensors';
import { Tensor } from '../../src/engine';
import { runInProcess, tempDir, tinyTrainArgs, writeSyntheticFolder, type SyntheticFolder } from './helpers';

let tmp: { dir: string; cleanup: () => Promise<void> };
let data: SyntheticFolder;
let run: string;

beforeAll(async () => {
  tmp = await tempDir('onemark-cli-reliability-');
  data = await writeSyntheticFolder(tmp.dir, { n: 6, size: 64, seed: 2 });
  run = path.join(tmp.dir, 'run');
  const r = await runInProcess([
    'train',
    ...tinyTrainArgs(data),
    '--out',
    run,
    '--no-stage2',
    '--stage1-iterations',
    '10',
    '--quiet',
  ]);
  expect(r.code, r.err).toBe(0);
}, 120_000);

afterAll(() => tmp?.cleanup());

/** A copy of the trained run, so each case damages its own. */
function copyRun(name: string): string {
  const dir = path.join(tmp.dir, name);
  fs.cpSync(run, dir, { recursive: true });
  return dir;
}

function predict(runDir: string, out: string, extra: string[] = []) {
  return runInProcess([
    'predict',
    '--run',
    runDir,
    '--images',
    data.images,
    '--out',
    out,
    '--threads',
    '1',
    '--quiet',
    ...extra,
  ]);
}

describe('damaged checkpoints', () => {
  it('a checkpoint with flipped bytes stops predict with a checksum error naming the file', async () => {
    const dir = copyRun('flipped');
    const file = path.join(dir, 'stage1', 'final.safetensors');
    const bytes = fs.readFileSync(file);
    // 200 bytes in the data section (after the header), as the report's attack did.
    const start = 8 + Number(bytes.readBigUInt64LE(0));
    for (let i = 0; i < 200; i++) {
      const at = start + Math.floor(((bytes.length - start - 1) * i) / 200);
      bytes[at] ^= 0x5a;
    }
    fs.writeFileSync(file, bytes);
    const out = path.join(tmp.dir, 'flipped.csv');
    const r = await predict(dir, out);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(file);
    expect(r.err).toMatch(/checksum mismatch/);
    expect(r.err).not.toMatch(/--verbose/); // a user error, not a crash
    expect(fs.existsSync(out)).toBe(false);
  });

  it('a checkpoint holding NaN stops predict instead of writing NaN coordinates', async () => {
    const dir = copyRun('nan');
    const file = path.join(dir, 'stage1', 'final.safetensors');
    const { tensors, metadata } = loadSafetensors(file);
    const [name, first] = [...tensors].find(([, t]) => t.dtype === 'float32')!;
    const nan = Tensor.full(first.shape, Number.NaN);
    tensors.set(name, nan);
    // Saved through OneMark's writer, so the checksum is right: only the values are bad.
    await saveSafetensors(file, tensors, metadata);
    for (const t of tensors.values()) t.dispose();
    first.dispose();
    const out = path.join(tmp.dir, 'nan.csv');
    const r = await predict(dir, out);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(file);
    expect(r.err).toMatch(/holds NaN/);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('no landmark file is written with a NaN coordinate', async () => {
    const out = path.join(tmp.dir, 'never.csv');
    await expect(
      writeLandmarks(out, {
        landmarkSet: data.landmarkSet,
        images: [{ imageId: 's001', landmarks: [{ id: 1, point: { x: Number.NaN, y: 3 } }] }],
      }),
    ).rejects.toThrow(/s001, landmark 1: coordinate \(NaN, 3\) is not a number/);
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('inputs accepted without a word before', () => {
  it('--resume on a mistyped folder stops instead of starting a fresh run', async () => {
    const typo = path.join(tmp.dir, 'rnu');
    const r = await runInProcess(['train', ...tinyTrainArgs(data), '--out', typo, '--resume', '--quiet']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/--resume: .*rnu is not a run folder \(no such folder\)/);
    expect(fs.existsSync(typo)).toBe(false);
  });

  it.each([
    ['negative', { x: -5, y: 10 }],
    ['far outside', { x: 99999, y: 10 }],
  ])('template points outside the image (%s) are refused', async (label, bad) => {
    const file = path.join(tmp.dir, `template-${label.replace(' ', '-')}.csv`);
    const set = await readLandmarks(data.template);
    set.images[0].landmarks[1] = { ...set.images[0].landmarks[1], point: bad };
    await writeLandmarks(file, set);
    const args = tinyTrainArgs(data);
    args[args.indexOf('--landmarks') + 1] = file;
    const r = await runInProcess(['train', ...args, '--out', path.join(tmp.dir, `out-${label}`), '--quiet']);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(file);
    expect(r.err).toMatch(/1 landmark\(s\) of template s000 lie outside its 64×64 image: 2 L2/);
  });

  it("a landmark file of another image is not taken for the template's", async () => {
    const file = path.join(tmp.dir, 'other-image.csv');
    const set = await readLandmarks(data.template);
    set.images[0] = { ...set.images[0], imageId: 's003' };
    await writeLandmarks(file, set);
    const args = tinyTrainArgs(data);
    args[args.indexOf('--landmarks') + 1] = file;
    const r = await runInProcess(['train', ...args, '--out', path.join(tmp.dir, 'out-other'), '--quiet']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/holds the landmarks of image 's003', not of the template 's000'/);
  });

  it('evaluate fails when no prediction meets a labelled image', async () => {
    const pred = path.join(tmp.dir, 'elsewhere.csv');
    const set = await readLandmarks(data.template);
    set.images[0] = { ...set.images[0], imageId: 'not-in-gt' };
    await writeLandmarks(pred, set);
    const r = await runInProcess([
      'evaluate',
      '--pred',
      pred,
      '--gt',
      data.template,
      '--allow-pixels',
      '--out',
      path.join(tmp.dir, 'report'),
      '--quiet',
    ]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/nothing to score .*prediction ids: not-in-gt; ground-truth ids: s000/);
  });

  it('--out under /proc fails at once instead of spinning', { timeout: 20_000 }, async () => {
    const r = await runInProcess(['train', ...tinyTrainArgs(data), '--out', '/proc/onemark-x', '--quiet']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/--out: \/proc.* proc file system/);
  });
});

describe('one bad image in a batch', () => {
  it('is skipped and listed; the rest are predicted; --no-skip-bad stops', async () => {
    const images = path.join(tmp.dir, 'with-bad');
    fs.cpSync(data.images, images, { recursive: true });
    const bad = path.join(images, 's002.png');
    const bytes = fs.readFileSync(bad);
    // Keep the signature and IHDR, damage the compressed pixel data.
    for (let i = 60; i < bytes.length - 20; i++) bytes[i] ^= 0xff;
    fs.writeFileSync(bad, bytes);

    const out = path.join(tmp.dir, 'skip.csv');
    const r = await runInProcess([
      'predict',
      '--run',
      run,
      '--images',
      images,
      '--out',
      out,
      '--threads',
      '1',
      '--quiet',
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/skipped 1 of 6 image\(s\) that cannot be read:/);
    expect(r.err).toContain(bad);
    expect(r.err).toMatch(/PNG .*the file is damaged or cut short/);
    const pred = await readLandmarks(out);
    expect(pred.images.map((i) => i.imageId).sort()).toEqual(['s000', 's001', 's003', 's004', 's005']);
    expect(pred.meta?.skippedImages).toEqual(['s002']);

    const strict = await runInProcess([
      'predict',
      '--run',
      run,
      '--images',
      images,
      '--out',
      path.join(tmp.dir, 'strict.csv'),
      '--no-skip-bad',
      '--quiet',
    ]);
    expect(strict.code).not.toBe(0);
    expect(strict.err).toContain(bad);
  });
});
