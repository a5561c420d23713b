/** C-F2's registry entry: C-Adapter's coarse point, refined by the fine stage. */
import { METHOD_INFO } from '../catalog';
import { configureDense, denseStages } from '../dense/entry';
import { predictAndDispose, requestedConfig, type MethodEntry } from '../shared/entry';
import { f2ModelCount, f2Preset, fineSteps, isCascade, setFineSteps, type F2Config } from './config';
import { F2Predictor } from './predict';
import { FINE, trainF2 } from './train';

export const f2Entry: MethodEntry<F2Config> = {
  ...METHOD_INFO.f2,
  config: (preset, o) => f2Preset(preset, o),
  configure(c, s) {
    configureDense(c, s);
    if (s.fineIterations !== undefined) setFineSteps(c.fine, s.fineIterations);
  },
  stages: (c, o) => [...denseStages(c, o), { stage: FINE, steps: fineSteps(c.fine) }],
  async train(req) {
    const r = await trainF2({ ...req, config: requestedConfig(f2Entry, req) });
    // The saved config wins on resume.
    const saved = r.dense.config as F2Config;
    return {
      method: 'f2',
      runDir: req.runDir,
      stopped: r.stopped,
      preset: saved.preset,
      seed: saved.seed,
      modelCount: f2ModelCount(saved.fine),
      summary: r.stopped
        ? 'f2: stopped; resume with --resume'
        : `f2 ${saved.preset} (coarse adapter + fine stage, ${isCascade(saved.fine) ? 'cascade level' : `${saved.fine.encoder} encoder`})`,
    };
  },
  predict: (runDir, images, o = {}) =>
    predictAndDispose(F2Predictor.load(runDir, { device: o.device }), (p) =>
      p.predict(images, { progress: o.progress, stage1PriorFrac: o.stage1PriorFrac }),
    ),
  refusesPredict: {
    stage: 'only cc2d runs have stages 1 and 2 to choose from',
    batch: 'it predicts one image at a time',
  },
};
