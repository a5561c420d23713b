/**
 * What a method is to the rest of OneMark: a typed entry that owns its configuration (preset,
 * settings → config, the stages a config trains), its trainer and its predictor. Callers never
 * ask which method they hold; they ask its entry (timm's registry, one entry per method folder).
 */
import type { Device } from '../../engine';
import type { AnnotationSet } from '../../data/types';
import type { ImageRef } from '../../runs/imageStack';
import type { OneShotRunInput } from '../../runs/oneShot';
import type { ProgressStream } from '../../runs/progress';
import type { MethodInfo, TrainSettings } from '../catalog';
import type { PresetName } from './presets';

/** sla/atd: part `index` (0-based) of `count`; landmark j belongs to part j mod count. */
export interface Part {
  index: number;
  count: number;
}

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
  method: string;
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

/** The prediction options a method refuses, each with the reason `onemark predict` gives. */
export type RefusedPredictOptions = Partial<Record<'stage' | 'batch' | 'stage1Prior', string>>;

/** A training stage as a run's progress events name it, and its step count (0: reused). */
export interface PlannedStage {
  stage: string;
  steps: number;
}

/** Training split into per-landmark parts that separate processes (or cluster jobs) run. */
export interface PartedTraining {
  /** Writes (or checks) the run's config.json before the jobs start on other machines. */
  prepare(req: TrainRequest): void;
  /** The shared CC2D stage 1 and its pseudo-labels alone; false when stopped by a signal. */
  trainStage1(req: TrainRequest): Promise<boolean>;
}

export interface MethodEntry<C = unknown> extends Omit<MethodInfo, 'name'> {
  name: string;
  /** The preset's full configuration (what config.json will hold). */
  config(preset: PresetName, o: { seed?: number; device?: Device }): C;
  /** Applies training settings (already checked against `settings`) to a config. */
  configure(config: C, s: TrainSettings): void;
  /** The stages a run of this config trains, in order (e.g. stage1, sla or sla-part-2-of-3, fine). */
  stages(config: C, o: { stage1Run?: string; part?: Part }): PlannedStage[];
  train(req: TrainRequest): Promise<TrainOutcome>;
  predict(runDir: string, images: readonly ImageRef[], o?: PredictRequest): Promise<AnnotationSet>;
  refusesPredict: RefusedPredictOptions;
  /** Present for methods that train in parts (sla, atd). */
  parts?: PartedTraining;
}

/** The preset's config with the request's settings applied (`configure`), as `train` starts from. */
export function requestedConfig<C>(entry: MethodEntry<C>, req: TrainRequest): C {
  const config = entry.config(req.preset, { seed: req.seed, device: req.device });
  req.configure?.(config);
  return config;
}

/** Runs `predictor.predict` and frees the predictor, however prediction ends. */
export async function predictAndDispose<P extends { dispose(): void }>(
  predictor: P,
  predict: (p: P) => Promise<AnnotationSet>,
): Promise<AnnotationSet> {
  try {
    return await predict(predictor);
  } finally {
    predictor.dispose();
  }
}
