/** CC2D's registry entry: stage 1 (cascade comparing) + stage 2 (heatmaps on its pseudo-labels). */
import { METHOD_INFO } from '../catalog';
import { predictAndDispose, requestedConfig, type MethodEntry } from '../shared/entry';
import { presetConfig, type Cc2dConfig } from './config';
import { Cc2dPredictor } from './predict';
import { STAGE1 } from './stage1/train';
import { STAGE2 } from './stage2/train';
import { trainCc2d } from './train';

export const cc2dEntry: MethodEntry<Cc2dConfig> = {
  ...METHOD_INFO.cc2d,
  config: (preset, o) => presetConfig(preset, o),
  configure(c, s) {
    if (s.stage1Iterations !== undefined) c.stage1.iterations = s.stage1Iterations;
    if (s.stage2Iterations !== undefined) c.stage2.iterations = s.stage2Iterations;
    if (s.stage2 === false) c.stage2.enabled = false;
    if (s.backbone !== undefined) c.backboneWeights = s.backbone;
    if (s.precision !== undefined) c.precision = s.precision;
  },
  stages: (c) => [
    { stage: STAGE1, steps: c.stage1.iterations },
    { stage: STAGE2, steps: c.stage2.enabled ? c.stage2.iterations : 0 },
  ],
  async train(req) {
    const r = await trainCc2d({ ...req, config: requestedConfig(cc2dEntry, req) });
    return {
      method: 'cc2d',
      runDir: req.runDir,
      stopped: r.stopped || r.stage1.aborted,
      preset: r.config.preset,
      seed: r.config.seed,
      modelCount: 1,
      summary: `cc2d ${r.config.preset} (${r.stage2 ? 'stage 1 + stage 2' : 'stage 1'})`,
    };
  },
  predict: (runDir, images, o = {}) =>
    predictAndDispose(Cc2dPredictor.load(runDir, { device: o.device }), (p) =>
      p.predict(images, { stage: o.stage, batch: o.batch, progress: o.progress }),
    ),
  refusesPredict: { stage1Prior: 'its stage 2 sets this in the run config' },
};
