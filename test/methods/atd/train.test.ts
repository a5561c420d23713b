import * as fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { densePreset } from '../../../src/methods/dense/config';
import { DensePredictor } from '../../../src/methods/dense/predict';
import { trainDense } from '../../../src/methods/dense/train';
import { denseInputFor, fixture, meanError } from '../sla/helpers';
import { testSeed } from '../../support/seeds';

// Few unlabelled images and poor stage-1 labels: the augmented template copies carry the training.
const fx = fixture({ n: 6, noise: 3 });
const dirs: string[] = [fx.stage1Run];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('C-ATD', () => {
  it('learns synthetic landmarks with template augmentation on the device', async () => {
    const cfg = densePreset('atd', 'tiny', { seed: testSeed(1) });
    cfg.dense.iterations = 120;
    expect(cfg.templateAug?.copies).toBeGreaterThan(0);
    const inp = denseInputFor(fx, cfg, dirs);
    const r = await trainDense(inp);
    expect(r.result?.ran).toBe(120);
    const p = DensePredictor.load(inp.runDir);
    const pred = await p.predict(fx.refs);
    expect(pred.meta?.modelCount).toBe(3);
    for (const im of pred.images)
      for (const l of im.landmarks) expect(l.confidence).toBeGreaterThanOrEqual(0);
    p.dispose();
    const err = meanError(pred.images, fx.set);
    console.log(`atd tiny: MRE ${err.toFixed(2)} px (stage-1 labels ${fx.stage1Error.toFixed(2)} px)`);
    // Spread over seeds 1-3 × native/avx512/default/avx2 kernels: 1.6-2.7 px; labels 2.19, template
    // copy 4.73 (the old bound of 3 sat 0.3 px above the spread).
    expect(err).toBeLessThan(3.5);
  }, 120_000);
});
