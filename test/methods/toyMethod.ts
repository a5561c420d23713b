/**
 * A toy method, all in this file, as a newcomer's method folder would hold it: its config with
 * presets, its stage handed to the shared harness (runs/trainStage), its predictor. It learns one
 * point per landmark (where the template has it) and predicts those points on every image.
 */
import { Tensor, noGrad } from '../../src/engine';
import type { AnnotationSet } from '../../src/data/types';
import type { MethodEntry } from '../../src/methods/shared/entry';
import { makeAdam, stepLr } from '../../src/methods/shared/optimizer';
import { PRESETS, type PresetName } from '../../src/methods/shared/presets';
import { disposeGroups, loadCheckpoint } from '../../src/runs/checkpoint';
import { readRunConfig } from '../../src/runs/config';
import { logEvents } from '../../src/runs/eventsLog';
import { RunLayout } from '../../src/runs/layout';
import { openRun } from '../../src/runs/openRun';
import { ProgressStream } from '../../src/runs/progress';
import { trainStage, type TrainableNet } from '../../src/runs/trainStage';

export interface ToyConfig {
  method: 'toy';
  preset: PresetName;
  seed: number;
  device: 'cpu';
  iterations: number;
  lr: number;
  checkpointEvery: number;
}

const STAGE = 'points';

/** The toy's network: one learnt (x, y) per landmark, in original pixels / 100. */
function pointNet(landmarks: number): TrainableNet & { points: Tensor } {
  const points = Tensor.zeros([landmarks, 2], { requiresGrad: true });
  return {
    points,
    state: () => ({ tensors: { points } }),
    loadState: (s) => noGrad(() => void points.copy_(s.tensors.points)),
    train: () => undefined,
    dispose: () => points.dispose(),
  };
}

export const toyEntry: MethodEntry<ToyConfig> = {
  name: 'toy',
  title: 'Toy',
  describe: 'Learns where the template has each landmark and predicts it there on every image.',
  presets: PRESETS,
  modelCount: () => 1,
  usesStage1Run: false,
  settings: ['stage2Iterations'],
  config: (preset, o) => ({
    method: 'toy',
    preset,
    seed: o.seed ?? 1,
    device: 'cpu',
    iterations: preset === 'tiny' ? 40 : 400,
    lr: 0.1,
    checkpointEvery: 10,
  }),
  configure(c, s) {
    if (s.stage2Iterations !== undefined) c.iterations = s.stage2Iterations;
  },
  stages: (c) => [{ stage: STAGE, steps: c.iterations }],
  async train(req) {
    const layout = new RunLayout(req.runDir);
    const given = toyEntry.config(req.preset, { seed: req.seed });
    req.configure?.(given);
    const config = openRun(req, layout, { method: 'toy', config: given }).method_config;
    const progress = req.progress ?? new ProgressStream();
    const stopLog = logEvents(progress, layout.events);
    const target = Tensor.from(
      req.templateLandmarks.flatMap((p) => (p ? [p.x / 100, p.y / 100] : [0, 0])),
      [req.templateLandmarks.length, 2],
    );
    try {
      const { net, result } = await trainStage({
        stage: STAGE,
        total: config.iterations,
        seed: config.seed,
        layout,
        checkpointEvery: config.checkpointEvery,
        progress,
        signal: req.signal,
        build: () => {
          const net = pointNet(req.templateLandmarks.length);
          return { net, optimizer: makeAdam({ parameters: () => [net.points] }, config.lr, 0) };
        },
        schedule: (step) => stepLr(config.lr, 0.5, 10, step),
        batch: () => null,
        loss: (net) => net.points.sub(target).square().mean(),
        owned: [target],
      });
      net.dispose();
      return {
        method: 'toy',
        runDir: req.runDir,
        stopped: result.aborted,
        preset: config.preset,
        seed: config.seed,
        modelCount: 1,
        summary: `toy ${config.preset} (loss ${result.lastLoss?.toExponential(2)})`,
      };
    } finally {
      stopLog();
    }
  },
  async predict(runDir, images): Promise<AnnotationSet> {
    const layout = new RunLayout(runDir);
    const run = readRunConfig<ToyConfig>(layout);
    const ck = loadCheckpoint(layout.finalCheckpoint(STAGE));
    const xy = ck.groups.model!.points!.toFloat32Array();
    disposeGroups(ck.groups);
    const landmarkSet = run.data.landmarkSet;
    return {
      landmarkSet,
      images: images.map((im) => ({
        imageId: im.id,
        landmarks: landmarkSet.landmarks.map((l, j) => ({
          id: l.id,
          point: { x: xy[2 * j] * 100, y: xy[2 * j + 1] * 100 },
          confidence: 1,
        })),
      })),
      meta: { method: 'toy', run: runDir, seed: run.seed, preset: run.preset },
    };
  },
  refusesPredict: { stage: 'it has one stage', stage1Prior: 'it has no stage 1' },
};
