/**
 * The detection methods by name, for the CLI, the app and the benchmark:
 *   cc2d     CC2D (stage 1 cascade + stage 2 heatmap/offset network), src/methods/cc2d
 *   sla      CC2D-SLA: one model per landmark, trained together as one grouped network
 *   atd      C-ATD: SLA + template augmentation on the device
 *   adapter  C-Adapter: one network, shared backbone + landmark-specific adapters
 *   f2       C-F2: C-Adapter's coarse point + a fine stage at original resolution
 * Each entry trains into a run folder and predicts from one; `methodOfRun` picks the entry from a
 * run's config.json, so `predict` needs only the run.
 */
import type { AnnotationSet, LandmarkSet, Point } from '../data/types';
import { readRunConfig } from '../runs/config';
import type { ImageRef } from '../runs/imageStack';
import { RunLayout } from '../runs/layout';
import type { ProgressStream } from '../runs/progress';
import { PRESETS, presetConfig, type PresetName } from './cc2d/config';
import { Cc2dPredictor } from './cc2d/predict';
import { trainCc2d } from './cc2d/train';
import { densePreset, type DenseConfig, type DenseMethod } from './common/config';
import { DensePredictor } from './common/predict';
import { trainDense, type Part } from './common/train';
import { f2Preset, type F2Config } from './f2/config';
import { F2Predictor } from './f2/predict';
import { trainF2 } from './f2/train';

export type MethodName = 'cc2d' | 'sla' | 'atd' | 'adapter' | 'f2';
export const METHOD_NAMES: MethodName[] = ['cc2d', 'sla', 'atd', 'adapter', 'f2'];

export interface TrainRequest {
  preset: PresetName;
  seed: number;
  device: string;
  images: ImageRef[];
  templateId: string;
  templateLandmarks: (Point | null)[];
  landmarkSet: LandmarkSet;
  runDir: string;
  source: { images: string; landmarks: string; init?: string };
  resume?: boolean;
  progress?: ProgressStream;
  signal?: AbortSignal;
  /** Change the preset's config before training (iteration overrides, encoder choice...). */
  configure?: (config: any) => void;
  /** sla/atd/adapter/f2: reuse a finished CC2D run's stage 1 and pseudo-labels. */
  stage1Run?: string;
  /** sla/atd: train only part `index` of `count` (landmark j in part j mod count), one process each. */
  part?: Part;
}

export interface TrainOutcome {
  method: MethodName;
  runDir: string;
  stopped: boolean;
  /** Models in the paper's sense (Table 1's "model count"). */
  modelCount: number;
  /** One line for the CLI. */
  summary: string;
}

export interface PredictRequest {
  device?: string;
  batch?: number;
  progress?: ProgressStream;
  /** cc2d only: 1 (cascade) or 2 (voting). */
  stage?: 1 | 2;
}

export interface MethodEntry {
  name: MethodName;
  title: string;
  describe: string;
  presets: readonly PresetName[];
  /** The preset's full configuration (what config.json will hold). */
  config(preset: PresetName, o: { seed?: number; device?: string }): unknown;
  modelCount(landmarks: number): number;
  train(req: TrainRequest): Promise<TrainOutcome>;
  predict(runDir: string, images: readonly ImageRef[], o?: PredictRequest): Promise<AnnotationSet>;
}

function denseEntry(
  name: Exclude<DenseMethod, 'f2'>,
  title: string,
  describe: string,
  models: (n: number) => number,
): MethodEntry {
  return {
    name,
    title,
    describe,
    presets: PRESETS,
    config: (p, o) => densePreset(name, p, o),
    modelCount: models,
    async train(req) {
      const config: DenseConfig = densePreset(name, req.preset, { seed: req.seed, device: req.device });
      req.configure?.(config);
      const r = await trainDense({ ...req, config });
      const n = req.landmarkSet.landmarks.length;
      return {
        method: name,
        runDir: req.runDir,
        stopped: r.stopped,
        modelCount: models(n),
        summary: r.stopped
          ? `${name}: stopped; resume with --resume`
          : `${name} ${config.preset}: ${r.landmarks.length} landmark(s) in ${r.stage}, ${r.numParameters} parameters, ${r.refreshes.length} pseudo-label refresh(es), seed ${config.seed}`,
      };
    },
    async predict(runDir, images, o = {}) {
      const p = DensePredictor.load(runDir, { device: o.device, methods: [name] });
      try {
        return await p.predict(images, { batch: o.batch, progress: o.progress });
      } finally {
        p.dispose();
      }
    },
  };
}

export const METHODS: Record<MethodName, MethodEntry> = {
  cc2d: {
    name: 'cc2d',
    title: 'CC2D',
    describe:
      'Self-supervised cascade comparing (stage 1) + heatmap/offset network on its pseudo-labels (stage 2).',
    presets: PRESETS,
    config: (p, o) => presetConfig(p, o),
    modelCount: () => 1,
    async train(req) {
      const config = presetConfig(req.preset, { seed: req.seed, device: req.device });
      req.configure?.(config);
      const r = await trainCc2d({ ...req, config });
      return {
        method: 'cc2d',
        runDir: req.runDir,
        stopped: r.stopped || r.stage1.aborted,
        modelCount: 1,
        summary: `cc2d ${config.preset} (${r.stage2 ? 'stage 1 + stage 2' : 'stage 1'}), seed ${config.seed}`,
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
  sla: denseEntry(
    'sla',
    'CC2D-SLA',
    'One model per landmark on stage-1 pseudo-labels (refreshed from its own predictions), trained together as one grouped network.',
    (n) => n,
  ),
  atd: denseEntry(
    'atd',
    'C-ATD',
    'CC2D-SLA + template augmentation (shift, scale, rotation, intensity, optional elastic) on the device.',
    (n) => n,
  ),
  adapter: denseEntry(
    'adapter',
    'C-Adapter',
    'One network: shared U-Net backbone + per-landmark depthwise/BN adapters with shared pointwise convs, per-landmark heads.',
    () => 1,
  ),
  f2: {
    name: 'f2',
    title: 'C-F2',
    describe:
      "C-Adapter's coarse landmark refined on an original-resolution crop by a decoder on a frozen encoder (stage 1, or DINO ViT-S/8).",
    presets: PRESETS,
    config: (p, o) => f2Preset(p, o),
    modelCount: () => 3,
    async train(req) {
      const config: F2Config = f2Preset(req.preset, { seed: req.seed, device: req.device });
      req.configure?.(config);
      const r = await trainF2({ ...req, config });
      return {
        method: 'f2',
        runDir: req.runDir,
        stopped: r.stopped,
        modelCount: 3,
        summary: r.stopped
          ? 'f2: stopped; resume with --resume'
          : `f2 ${config.preset}: coarse adapter + fine (${config.fine.encoder} encoder), seed ${config.seed}`,
      };
    },
    async predict(runDir, images, o = {}) {
      const p = F2Predictor.load(runDir, { device: o.device });
      try {
        return await p.predict(images, { progress: o.progress });
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
