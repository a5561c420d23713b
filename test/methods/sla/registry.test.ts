import * as fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { METHOD_NAMES, getMethod, methodOfRun } from '../../../src/methods/registry';
import type { DenseConfig } from '../../../src/methods/dense/config';
import { LANDMARK_SET, fixture, meanError, tmpDir } from './helpers';
import { testSeed } from '../../support/seeds';

const fx = fixture();
const dirs: string[] = [fx.stage1Run];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('method registry', () => {
  it('lists every method with presets and a description, and names the unknown', () => {
    expect(METHOD_NAMES).toEqual(['cc2d', 'sla', 'atd', 'adapter', 'f2']);
    for (const n of METHOD_NAMES) {
      const m = getMethod(n);
      expect(m.presets).toContain('quick');
      expect(m.describe.length).toBeGreaterThan(20);
    }
    expect(getMethod('sla').modelCount(19)).toBe(19);
    expect(getMethod('adapter').modelCount(19)).toBe(1);
    expect(() => getMethod('foo')).toThrow(/unknown method 'foo' \(available: cc2d, sla/);
  });

  it('trains SLA as N separate processes (one part each) and predicts with the merged parts', async () => {
    const runDir = tmpDir('parts');
    dirs.push(runDir);
    const sla = getMethod('sla');
    const events: { landmark?: number }[] = [];
    for (let index = 0; index < 3; index++) {
      const out = await sla.train({
        preset: 'tiny',
        seed: testSeed(3),
        device: 'cpu',
        images: fx.refs,
        templateId: fx.set.ids[0],
        templateLandmarks: fx.set.landmarks[0],
        landmarkSet: LANDMARK_SET,
        runDir,
        source: { images: 'synthetic', landmarks: 'synthetic' },
        stage1Run: fx.stage1Run,
        part: { index, count: 3 },
        configure: (c) => {
          (c as DenseConfig).dense.iterations = 60;
        },
        progress: { emit: (e: { landmark?: number }) => events.push(e), on: () => () => undefined } as never,
      });
      expect(out.stopped).toBe(false);
    }
    for (let k = 1; k <= 3; k++)
      expect(fs.existsSync(`${runDir}/sla-part-${k}-of-3/final.safetensors`)).toBe(true);
    // Per-landmark progress: each part's events name its landmark.
    expect(new Set(events.map((e) => e.landmark).filter((l) => l !== undefined))).toEqual(new Set([1, 2, 3]));
    const entry = methodOfRun(runDir);
    expect(entry.name).toBe('sla');
    const pred = await entry.predict(runDir, fx.refs);
    expect(pred.images).toHaveLength(fx.refs.length);
    const err = meanError(pred.images, fx.set);
    console.log(`sla in 3 parts (60 steps each): MRE ${err.toFixed(2)} px`);
    expect(err).toBeLessThan(4);
  }, 120_000);

  it('refuses a later part before the first one has trained the shared stage 1', async () => {
    const runDir = tmpDir('parts2');
    dirs.push(runDir);
    await expect(
      getMethod('atd').train({
        preset: 'tiny',
        seed: 1,
        device: 'cpu',
        images: fx.refs,
        templateId: fx.set.ids[0],
        templateLandmarks: fx.set.landmarks[0],
        landmarkSet: LANDMARK_SET,
        runDir,
        source: { images: 'synthetic', landmarks: 'synthetic' },
        part: { index: 1, count: 3 },
      }),
    ).rejects.toThrow(/part 2 of 3: stage 1 of .* has not finished .* train part 1 first/);
  });
});
