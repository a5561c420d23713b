/**
 * The registry entries of the dense per-landmark methods (CC2D-SLA, C-ATD, C-Adapter), and the
 * configuration steps C-F2 shares with them (its coarse stage is a C-Adapter).
 */
import { METHOD_INFO, type TrainSettings } from '../catalog';
import {
  predictAndDispose,
  requestedConfig,
  type MethodEntry,
  type Part,
  type PlannedStage,
} from '../shared/entry';
import { STAGE1 } from '../cc2d/stage1/train';
import { densePreset, type DenseConfig } from './config';
import { DensePredictor } from './predict';
import { prepareDenseRun, stageName, trainDenseStage1 } from './run';
import { trainDense } from './train';

/** Settings → config for every method on a dense stage (f2 included). */
export function configureDense(c: DenseConfig, s: TrainSettings): void {
  if (s.stage1Iterations !== undefined) c.cc2d.stage1.iterations = s.stage1Iterations;
  if (s.backbone !== undefined) c.cc2d.backboneWeights = s.backbone;
  if (s.stage2Iterations !== undefined) c.dense.iterations = s.stage2Iterations;
  // One precision for the whole run: the stage 1 trained inside it too.
  if (s.precision !== undefined) c.precision = c.cc2d.precision = s.precision;
}

/** CC2D stage 1 (none when reused from a stage-1 run), then the dense stage or its part. */
export function denseStages(c: DenseConfig, o: { stage1Run?: string; part?: Part }): PlannedStage[] {
  return [
    { stage: STAGE1, steps: o.stage1Run ? 0 : c.cc2d.stage1.iterations },
    { stage: stageName(c.method, o.part), steps: c.dense.iterations },
  ];
}

type DenseOnly = 'sla' | 'atd' | 'adapter';

function denseEntry(name: DenseOnly, parted: boolean): MethodEntry<DenseConfig> {
  const entry: MethodEntry<DenseConfig> = {
    ...METHOD_INFO[name],
    config: (preset, o) => densePreset(name, preset, o),
    configure: configureDense,
    stages: denseStages,
    async train(req) {
      const r = await trainDense({ ...req, config: requestedConfig(entry, req) });
      return {
        method: name,
        runDir: req.runDir,
        stopped: r.stopped,
        preset: r.config.preset,
        seed: r.config.seed,
        modelCount: METHOD_INFO[name].modelCount(req.landmarkSet.landmarks.length),
        summary: r.stopped
          ? `${name}: stopped; resume with --resume`
          : `${name} ${r.config.preset} (${r.landmarks.length} landmark(s) in ${r.stage}, ${r.numParameters} parameters, ${r.refreshes.length} pseudo-label refresh(es))`,
      };
    },
    predict: (runDir, images, o = {}) =>
      predictAndDispose(DensePredictor.load(runDir, { device: o.device, methods: [name] }), (p) =>
        p.predict(images, { batch: o.batch, progress: o.progress, stage1PriorFrac: o.stage1PriorFrac }),
      ),
    refusesPredict: { stage: 'only cc2d runs have stages 1 and 2 to choose from' },
    ...(parted
      ? {
          parts: {
            prepare: (req) => void prepareDenseRun({ ...req, config: requestedConfig(entry, req) }),
            trainStage1: (req) => trainDenseStage1({ ...req, config: requestedConfig(entry, req) }),
          },
        }
      : {}),
  };
  return entry;
}

export const slaEntry = denseEntry('sla', true);
export const atdEntry = denseEntry('atd', true);
export const adapterEntry = denseEntry('adapter', false);
