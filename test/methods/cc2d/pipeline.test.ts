/**
 * End to end on synthetic images: a tiny stage 1 + pseudo-labels + stage 2 run, then prediction
 * from the run folder alone. The images are one textured pattern under random shifts (±8%) and
 * scales (±5%); the stated bar is a mean error under 6 px (stage 1) and 5.5 px (stage 2) on
 * 96×96 images (trained on a 64×64 grid), against ~7 px for copying the template's positions.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { liveTensors, setNumThreads } from '../../../src/engine';
import { presetConfig } from '../../../src/methods/cc2d/config';
import { Cc2dPredictor } from '../../../src/methods/cc2d/predict';
import { trainCc2d } from '../../../src/methods/cc2d/train';
import { memoryRef } from '../../../src/runs/imageStack';
import { testSeed } from '../../support/seeds';
import { syntheticSet } from './synthetic';

setNumThreads(1);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'onemark-cc2d-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('CC2D end to end (synthetic, tiny)', () => {
  // About 30 s on an idle 2-core machine; the limit leaves room for a loaded one.
  it('stage 1 and stage 2 find the landmarks of unseen images', { timeout: 600_000 }, async () => {
    const before = liveTensors();
    const set = syntheticSet(14, 96, { seed: 3 });
    const refs = set.images.map((im, i) => memoryRef(set.ids[i], im));
    const cfg = presetConfig('tiny', { seed: testSeed(1) });
    // 150 steps leave stage 1 between 3.5 and 8.0 px over seeds and kernel paths (template copy:
    // 7.0); 400 give 3.4-4.6 px, far enough from the bounds below to hold on any CPU.
    cfg.stage1.iterations = 400;
    const runDir = path.join(tmp, 'run');
    const landmarkSet = { name: 'synthetic', landmarks: [1, 2, 3].map((id) => ({ id, name: `L${id}` })) };
    const r = await trainCc2d({
      config: cfg,
      images: refs.slice(0, 10),
      templateId: set.ids[0],
      templateLandmarks: set.landmarks[0],
      landmarkSet,
      runDir,
      source: { images: 'synthetic', landmarks: 'synthetic' },
    });
    expect(r.stage1.ran).toBe(cfg.stage1.iterations);
    expect(r.pseudo.points).toHaveLength(10);
    // The template keeps its true labels among the pseudo-labels.
    expect(r.pseudo.points[0]).toEqual(set.landmarks[0]);
    for (const f of [
      'config.json',
      'template.json',
      'stage1/final.safetensors',
      'stage1/pseudo-labels.json',
      'stage2/final.safetensors',
      'stage1/config.json',
    ]) {
      expect(fs.existsSync(path.join(runDir, f)), f).toBe(true);
    }

    const predictor = Cc2dPredictor.load(runDir);
    expect(predictor.hasStage2).toBe(true);
    const unseen = [10, 11, 12, 13];
    const meanError = async (stage: 1 | 2) => {
      const out = await predictor.predict(
        unseen.map((i) => refs[i]),
        { stage },
      );
      let e = 0;
      let n = 0;
      out.images.forEach((a, k) => {
        expect(a.imageId).toBe(set.ids[unseen[k]]);
        a.landmarks.forEach((l, j) => {
          expect(l.id).toBe(j + 1);
          expect(l.confidence).toBeGreaterThanOrEqual(0);
          expect(l.confidence).toBeLessThanOrEqual(1);
          const g = set.landmarks[unseen[k]][j];
          e += Math.hypot(l.point!.x - g.x, l.point!.y - g.y);
          n++;
        });
      });
      return e / n;
    };
    const e1 = await meanError(1);
    const e2 = await meanError(2);
    let copy = 0;
    unseen.forEach((i) =>
      set.landmarks[i].forEach(
        (g, j) => (copy += Math.hypot(g.x - set.landmarks[0][j].x, g.y - set.landmarks[0][j].y)),
      ),
    );
    console.log(
      `synthetic 96 px: stage 1 ${e1.toFixed(2)} px, stage 2 ${e2.toFixed(2)} px, template copy ${(copy / 12).toFixed(2)} px`,
    );
    // Spread over seeds 1-3 × ATen default/avx2 kernels (scripts/numeric-capabilities.sh):
    // stage 1 3.4-4.6 px, stage 2 2.4-4.1 px, template copy 7.0 px.
    expect(e1).toBeLessThan(6);
    expect(e2).toBeLessThan(5.5);
    predictor.dispose();
    expect(liveTensors()).toBe(before);
  });
});
