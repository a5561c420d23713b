/**
 * The detection methods by name, for the CLI, the app and the benchmark:
 *   cc2d     CC2D (stage 1 cascade + stage 2 heatmap/offset network), src/methods/cc2d
 *   sla      CC2D-SLA: one model per landmark, trained together as one grouped network
 *   atd      C-ATD: SLA + template augmentation on the device
 *   adapter  C-Adapter: one network, shared backbone + landmark-specific adapters
 *   f2       C-F2: C-Adapter's coarse point + a fine stage at original resolution
 * Each entry trains into a run folder and predicts from one; `methodOfRun` picks the entry from a
 * run's config.json, so `predict` needs only the run. Names, descriptions and the settings each
 * method takes live in catalog.ts (engine-free, for the API service); this file adds the trainers
 * and predictors, and turns settings into config changes (`configureFor`).
 */
import type { Device } from '../engine';
import type { AnnotationSet } from '../data/types';
import { readRunConfig } from '../runs/config';
import type { ImageRef } from '../runs/imageStack';
import type { OneShotRunInput } from '../runs/oneShot';
import { RunLayout } from '../runs/layout';
import type { ProgressStream } from '../runs/progress';
import {
  METHOD_INFO,
  METHOD_NAMES,
  settingProblems,
  type MethodInfo,
  type MethodName,
  type TrainSettings,
} from './catalog';
import { presetConfig, type Cc2dConfig, type PresetName } from './cc2d/config';
import { Cc2dPredictor } from './cc2d/predict';
import { trainCc2d } from './cc2d/train';
import { densePreset, type DenseConfig, type DenseMethod } from './common/config';
import { DensePredictor } from './common/predict';
import { stageName, trainDense, type Part } from './common/train';
import { f2Preset, type F2Config } from './f2/config';
import { F2Predictor } from './f2/predict';
import { trainF2 } from './f2/train';

export {
  METHOD_INFO,
  METHOD_NAMES,
  settingProblems,
  type MethodInfo,
  type MethodName,
  type TrainSetting,
  type TrainSettings,
} from './catalog';

export interface TrainRequest extends OneShotRunInput {
  preset: PresetName;
  seed: number;
  device: Device;
  /** Change the preset's config before training (iteration overrides, encoder choice...). */
  configure?: (config: unknown) => void;
  /** sla/atd/adapter/f2: reuse a finished CC2D run's stage 1 and pseudo-labels. */
  stage1Run?: string;
  /** sla/atd: train only part `index` of `count` (landmark j in part j mod count), one process each. */
  part?: Part;
}

export interface TrainOutcome {
  method: MethodName;
  runDir: string;
  stopped: boolean;
  /** Preset and seed the run trained with (a resumed run's saved ones). */
  preset: string;
  seed: number;
  /** Models in the paper's sense (Table 1's "model count"). */
  modelCount: number;
  /** One line for the CLI. */
  summary: string;
}

export interface PredictRequest {
  device?: Device;
  batch?: number;
  progress?: ProgressStream;
  /** cc2d only: 1 (cascade) or 2 (voting). */
  stage?: 1 | 2;
  /**
   * sla/atd/adapter/f2: > 0 lets only pixels within this fraction of the grid of CC2D stage 1's
   * answer vote (CC2D stage 2's priorRadiusFrac, for the methods built on it). 0: the paper's vote.
   */
  stage1PriorFrac?: number;
}

export interface MethodEntry extends MethodInfo {
  /** The preset's full configuration (what config.json will hold). */
  config(preset: PresetName, o: { seed?: number; device?: Device }): unknown;
  train(req: TrainRequest): Promise<TrainOutcome>;
  predict(runDir: string, images: readonly ImageRef[], o?: PredictRequest): Promise<AnnotationSet>;
}

function denseEntry(name: Exclude<DenseMethod, 'f2'>): MethodEntry {
  return {
    ...METHOD_INFO[name],
    config: (p, o) => densePreset(name, p, o),
    async train(req) {
      const config: DenseConfig = densePreset(name, req.preset, { seed: req.seed, device: req.device });
      req.configure?.(config);
      const r = await trainDense({ ...req, config });
      const n = req.landmarkSet.landmarks.length;
      return {
        method: name,
        runDir: req.runDir,
        stopped: r.stopped,
        preset: r.config.preset,
        seed: r.config.seed,
        modelCount: METHOD_INFO[name].modelCount(n),
        summary: r.stopped
          ? `${name}: stopped; resume with --resume`
          : `${name} ${r.config.preset} (${r.landmarks.length} landmark(s) in ${r.stage}, ${r.numParameters} parameters, ${r.refreshes.length} pseudo-label refresh(es))`,
      };
    },
    async predict(runDir, images, o = {}) {
      const p = DensePredictor.load(runDir, { device: o.device, methods: [name] });
      try {
        return await p.predict(images, {
          batch: o.batch,
          progress: o.progress,
          stage1PriorFrac: o.stage1PriorFrac,
        });
      } finally {
        p.dispose();
      }
    },
  };
}

export const METHODS: Record<MethodName, MethodEntry> = {
  cc2d: {
    ...METHOD_INFO.cc2d,
    config: (p, o) => presetConfig(p, o),
    async train(req) {
      const config = presetConfig(req.preset, { seed: req.seed, device: req.device });
      req.configure?.(config);
      const r = await trainCc2d({ ...req, config });
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
    async predict(runDir, images, o = {}) {
      const p = Cc2dPredictor.load(runDir, { device: o.device });
      try {
        return await p.predict(images, { stage: o.stage, batch: o.batch, progress: o.progress });
      } finally {
        p.dispose();
      }
    },
  },
  sla: denseEntry('sla'),
  atd: denseEntry('atd'),
  adapter: denseEntry('adapter'),
  f2: {
    ...METHOD_INFO.f2,
    config: (p, o) => f2Preset(p, o),
    async train(req) {
      const config: F2Config = f2Preset(req.preset, { seed: req.seed, device: req.device });
      req.configure?.(config);
      const r = await trainF2({ ...req, config });
      const saved = r.dense.config as F2Config;
      return {
        method: 'f2',
        runDir: req.runDir,
        stopped: r.stopped,
        preset: saved.preset,
        seed: saved.seed,
        modelCount: 3,
        summary: r.stopped
          ? 'f2: stopped; resume with --resume'
          : `f2 ${saved.preset} (coarse adapter + fine stage, ${saved.fine.encoder} encoder)`,
      };
    },
    async predict(runDir, images, o = {}) {
      const p = F2Predictor.load(runDir, { device: o.device });
      try {
        return await p.predict(images, { progress: o.progress, stage1PriorFrac: o.stage1PriorFrac });
      } finally {
        p.dispose();
      }
    },
  },
};

export function getMethod(name: string): MethodEntry {
  const m = (METHODS as Record<string, MethodEntry>)[name];
  if (!m) throw new Error(`unknown method '${name}' (available: ${METHOD_NAMES.join(', ')})`);
  return m;
}

/** The entry that trained a run (from RUN/config.json). */
export function methodOfRun(runDir: string): MethodEntry {
  return getMethod(readRunConfig(new RunLayout(runDir)).method);
}

/**
 * The `configure` hook (TrainRequest.configure) that applies settings to a method's preset config.
 * Throws on a setting the method does not take (see settingProblems, which callers check first to
 * name their own flag or field). `stage1Run` and `part` are not config: pass them in the request.
 */
export function configureFor(method: MethodName, s: TrainSettings): (config: unknown) => void {
  const problems = settingProblems(method, s);
  if (problems.length) throw new Error(problems.map((p) => `${p.setting} ${p.reason}`).join('\n'));
  return (config) => {
    if (method === 'cc2d') {
      const c = config as Cc2dConfig;
      if (s.stage1Iterations !== undefined) c.stage1.iterations = s.stage1Iterations;
      if (s.stage2Iterations !== undefined) c.stage2.iterations = s.stage2Iterations;
      if (s.stage2 === false) c.stage2.enabled = false;
      if (s.backbone !== undefined) c.backboneWeights = s.backbone;
      if (s.precision !== undefined) c.precision = s.precision;
      return;
    }
    const c = config as DenseConfig;
    if (s.stage1Iterations !== undefined) c.cc2d.stage1.iterations = s.stage1Iterations;
    if (s.backbone !== undefined) c.cc2d.backboneWeights = s.backbone;
    if (s.stage2Iterations !== undefined) c.dense.iterations = s.stage2Iterations;
    // One precision for the whole run: the stage 1 trained inside it too.
    if (s.precision !== undefined) c.precision = c.cc2d.precision = s.precision;
    if (method === 'f2' && s.fineIterations !== undefined) (c as F2Config).fine.iterations = s.fineIterations;
  };
}

/**
 * The stages a run trains, in order, with their step counts (0 for a stage it reuses), as its
 * progress events name them: e.g. stage1, sla (or sla-part-2-of-3), fine.
 */
export function trainingStages(
  method: MethodName,
  config: unknown,
  o: { stage1Run?: string; part?: Part } = {},
): { stage: string; steps: number }[] {
  if (method === 'cc2d') {
    const c = config as Cc2dConfig;
    return [
      { stage: 'stage1', steps: c.stage1.iterations },
      { stage: 'stage2', steps: c.stage2.enabled ? c.stage2.iterations : 0 },
    ];
  }
  const c = config as DenseConfig;
  const out = [
    { stage: 'stage1', steps: o.stage1Run ? 0 : c.cc2d.stage1.iterations },
    { stage: stageName(method, o.part), steps: c.dense.iterations },
  ];
  if (method === 'f2') out.push({ stage: 'fine', steps: (c as F2Config).fine.iterations });
  return out;
}
