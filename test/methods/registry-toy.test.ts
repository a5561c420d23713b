/**
 * Adding a method touches its own folder and one registry line: a toy method defined beside this
 * test (toyMethod.ts) registers, then trains and predicts through `onemark train` / `predict`, the
 * same path as the built-in methods (registry → entry → shared harness).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLandmarks } from '../../src/data/formats';
import { getMethod, methodNames, registerMethod, trainingStages } from '../../src/methods/registry';
import {
  runInProcess,
  tempDir,
  tinyTrainArgs,
  writeSyntheticFolder,
  type SyntheticFolder,
} from '../cli/helpers';
import { toyEntry } from './toyMethod';

let tmp: { dir: string; cleanup: () => Promise<void> };
let data: SyntheticFolder;

beforeAll(async () => {
  tmp = await tempDir('onemark-toy-');
  data = await writeSyntheticFolder(tmp.dir, { n: 4, size: 32, seed: 3 });
  registerMethod(toyEntry);
});
afterAll(() => tmp?.cleanup());

describe('a toy method registered from a test', () => {
  it('is listed, and a second registration under its name is refused', () => {
    expect(methodNames()).toContain('toy');
    expect(getMethod('toy').title).toBe('Toy');
    expect(() => registerMethod(toyEntry)).toThrow(/method 'toy' is already registered/);
    expect(trainingStages('toy', getMethod('toy').config('tiny', {}))).toEqual([
      { stage: 'points', steps: 40 },
    ]);
  });

  it('trains and predicts through the CLI', async () => {
    const runDir = path.join(tmp.dir, 'toy');
    const args = ['train', '--method', 'toy', ...tinyTrainArgs(data), '--out', runDir, '--quiet'];
    const t = await runInProcess([...args, '--stage2-iterations', '60']);
    expect(t.err).toBe('');
    expect(t.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(runDir, 'config.json'), 'utf8'))).toMatchObject({
      method: 'toy',
      method_config: { iterations: 60 },
    });
    expect(fs.existsSync(path.join(runDir, 'points', 'final.safetensors'))).toBe(true);
    expect(fs.readFileSync(path.join(runDir, 'events.jsonl'), 'utf8')).toContain('"stage":"points"');
    // A setting the toy does not take is refused by the shared check, naming the flag.
    const bad = await runInProcess([
      'train',
      '--method',
      'toy',
      ...tinyTrainArgs(data),
      '--out',
      path.join(tmp.dir, 'x'),
      '--fine-iterations',
      '3',
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/--fine-iterations does not apply to method toy/);

    const csv = path.join(tmp.dir, 'toy.csv');
    const p = await runInProcess([
      'predict',
      '--run',
      runDir,
      '--images',
      data.images,
      '--out',
      csv,
      '--quiet',
    ]);
    expect(p.code, p.err).toBe(0);
    const pred = await readLandmarks(csv);
    expect(pred.images).toHaveLength(4);
    const template = data.set.landmarks[0];
    const first = pred.images.find((i) => i.imageId === data.set.ids[0])!;
    first.landmarks.forEach((l, j) => {
      expect(Math.hypot(l.point!.x - template[j].x, l.point!.y - template[j].y)).toBeLessThan(1);
    });
    const stage = await runInProcess([
      'predict',
      '--run',
      runDir,
      '--stage',
      '1',
      '--images',
      data.images,
      '--out',
      csv,
    ]);
    expect(stage.err).toMatch(/--stage does not apply to method toy: it has one stage/);
  }, 60_000);
});
