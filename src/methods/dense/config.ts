/**
 * Configuration shared by the per-landmark dense methods (CC2D-SLA, C-ATD, C-Adapter, and C-F2's
 * coarse stage): CC2D stage 1 gives pseudo-labels (Infer-PL); a heatmap + offset network with one
 * output triple per landmark is trained on them plus the template's true labels; the pseudo-labels
 * are refreshed from the network's own predictions during training (Train-PL).
 */
import type { Device } from '../../engine/deviceType';
import type { Precision } from '../../engine/precisionType';
import { presetConfig as cc2dPreset, type Cc2dConfig, type HeatmapStageConfig } from '../cc2d/config';
import type { TemplateAugConfig } from './templateAugment';
import type { CropInput } from './crops';
import { PAPER_HEATMAP_STAGE, mildAugment, noAugment, type PresetName } from '../shared/presets';

export type DenseMethod = 'sla' | 'atd' | 'adapter' | 'f2';

/** What sets the dense methods apart, as data: their network, template augmentation, stage folder. */
interface DenseRecipe {
  net: 'grouped' | 'adapter';
  /** C-Adapter and C-F2 build on C-ATD's training data (the paper's ablation adds them in that order). */
  templateAug: boolean;
  /** The stage (and folder) the dense network trains in: C-F2's coarse stage is its C-Adapter. */
  stage: string;
}

const RECIPES: Record<DenseMethod, DenseRecipe> = {
  sla: { net: 'grouped', templateAug: false, stage: 'sla' },
  atd: { net: 'grouped', templateAug: true, stage: 'atd' },
  adapter: { net: 'adapter', templateAug: true, stage: 'adapter' },
  f2: { net: 'adapter', templateAug: true, stage: 'adapter' },
};

export function denseStageOf(method: DenseMethod): string {
  return RECIPES[method].stage;
}

/** One model per landmark, trained together as one grouped network (src/models/groupedUnet.ts). */
export interface GroupedNetConfig {
  kind: 'grouped';
  /** Width multiplier per landmark model on VGG's 64..512. */
  width: number;
  levels: number;
  /** Convs per encoder level (VGG19: 2,2,4,4,4). */
  convs: number[];
  /**
   * One network instead of one per landmark: the 3x3 convs are shared by all landmarks and each
   * keeps a 1x1 residual adapter, its norms and its head (src/models/groupedUnet.ts). Off when absent.
   */
  shareConvs?: boolean;
}

/** One shared backbone + per-landmark adapters and heads (src/models/adapterNet.ts). */
export interface AdapterNetConfig {
  kind: 'adapter';
  /** Backbone (CC2D's U-Net) width multiplier and depth. */
  width: number;
  levels: number;
  /** Channels of the shared feature map the adapters work on. */
  features: number;
  /** Adapter blocks per landmark (depthwise conv + per-landmark norm + shared pointwise conv). */
  blocks: number;
  /** 1: adapters at the input grid; 2: at half of it, maps upsampled (see src/models/adapterNet.ts). */
  stride: 1 | 2;
  /** Per-landmark norms in the backbone as well (src/models/landmarkNorm.ts); runs saved before it: off. */
  landmarkNorms?: boolean;
}

/**
 * When the network's own predictions may replace a pseudo-label (Train-PL). A refresh runs every
 * `every` steps from `start`·iterations on; a prediction replaces the label of (image, landmark)
 * only when its heatmap confidence is at least `minConfidence` and it lies within `maxMove`·R of
 * the stage-1 label (anchoring to Infer-PL keeps a wrong peak from dragging labels away
 * step by step). The template's labels are never replaced.
 */
export interface RefreshConfig {
  every: number;
  start: number;
  minConfidence: number;
  maxMove: number;
}

export interface DenseStageConfig extends HeatmapStageConfig {
  net: GroupedNetConfig | AdapterNetConfig;
  /**
   * The cascade form: each landmark's network sees a `size`×`size` crop of the image at
   * `crops.fineSize`, around stage 1's estimate (dense/crops.ts). null: the whole image at `size`.
   * Runs saved before this field have none (whole image).
   */
  crops?: CropInput | null;
  /** Unaugmented copies of the template in every batch (besides templateAug's copies). */
  templateCopies: number;
  refresh: RefreshConfig | null;
}

export interface DenseConfig {
  method: DenseMethod;
  preset: string;
  seed: number;
  device: Device;
  /** Training precision of the method's own stages (CC2D's stage 1 keeps cc2d.precision). */
  precision: Precision;
  /** CC2D's config; its stage 1 gives the pseudo-labels (its stage 2 is not run). */
  cc2d: Cc2dConfig;
  dense: DenseStageConfig;
  /** C-ATD: augmented template copies in every batch; null for plain SLA/Adapter. */
  templateAug: TemplateAugConfig | null;
  checkpointEvery: number;
}

export const DEFAULT_REFRESH: RefreshConfig = { every: 100, start: 0.5, minConfidence: 0.5, maxMove: 1 };

function denseStage(name: PresetName, kind: 'grouped' | 'adapter'): DenseStageConfig {
  const grouped = (width: number, levels: number, convs: number[]): GroupedNetConfig => ({
    kind: 'grouped',
    width,
    levels,
    convs,
  });
  const adapter = (width: number, levels: number, features: number, stride: 1 | 2 = 1): AdapterNetConfig => ({
    kind: 'adapter',
    width,
    levels,
    features,
    blocks: 2,
    stride,
    landmarkNorms: false,
  });
  if (name === 'full') {
    return {
      ...PAPER_HEATMAP_STAGE,
      // Full: every landmark model is CC2D's stage-2 U-Net (VGG19 layout at full width).
      net: kind === 'grouped' ? grouped(1, 5, [2, 2, 4, 4, 4]) : adapter(1, 5, 64),
      augment: noAugment(),
      refresh: { every: 500, start: 0.34, minConfidence: 0.5, maxMove: 1 },
    };
  }
  if (name === 'quick') {
    // The cascade form (dense/crops.ts): each landmark's model sees a 64-px crop of the image at
    // 640 px (0.375 mm per pixel on ISBI's 2400-px side, against 1.9 mm for a whole image at 128 px)
    // around stage 1's estimate, so a model per landmark is small yet sees its landmark's detail.
    return {
      ...PAPER_HEATMAP_STAGE,
      size: 64,
      // Jitter ±0.4 of the crop, chosen on the development set over 0.3 (docs/methods.md): sla/atd
      // 2.76/2.62 -> 2.49/2.50 mm; a label anywhere in most of the crop keeps the crop centre from
      // telling the model where the landmark is. The vote stays within the jitter's radius of the
      // crop centre (0.4 crop: 7.7 mm across, 9.6 mm down on ISBI): the crop's corners held the
      // wrong answers ~10 mm from stage 1's; development set, same runs: sla/atd/adapter
      // 2.58/2.31/2.64 -> 2.47/2.27/2.56 mm, p99 13.0/11.6/13.1 -> 11.9/9.6/12.9 mm.
      // The shape check (dense/shapeCheck.ts): an answer over 0.15 crop (~3 mm on ISBI) from where a
      // 3-mode shape model of the run's own training labels puts it is searched again around that
      // position. Development set, nine runs (three seeds x sla/atd/adapter): every one better,
      // -0.10 mm on average, p99 10.6 mm at most (was 13.3); flag 0.2 / 0.25: -0.09 / -0.07 mm.
      crops: { fineSize: 640, jitter: 0.4, searchRadius: 0.4, shapeCheck: { modes: 3, flag: 0.15 } },
      // The Adapter is ATD's network with its 3x3 convs shared by all landmarks (each keeps a 1x1
      // residual adapter, its norms and its head: one network, 1/6 of the parameters). Chosen on the
      // development set over a shared width-1/4 U-Net backbone with per-landmark adapter blocks
      // (docs/methods.md): 2.66 mm (old stage 1) against ATD's 2.31 there, 2.37 here against ATD's
      // 2.56, at about 1.2x the step cost of ATD instead of 8x.
      net:
        kind === 'grouped'
          ? grouped(1 / 16, 4, [1, 1, 2, 2])
          : { ...grouped(1 / 16, 4, [1, 1, 2, 2]), shareConvs: true },
      // Steps from the development set (docs/methods.md): the 19 slim models take ~9 steps a
      // second on 2 cores and went from 3.54/2.98 mm (sla/atd) at 400 steps to 2.76/2.62 at 2000.
      iterations: 2000,
      lr: 1e-3,
      lrStep: 1350,
      radiusFrac: 0.12,
      augment: mildAugment(),
      // Train-PL may move a label up to 2·R (5.8 mm on ISBI) from stage 1's, not R: the crop models
      // beat stage 1 by more than R on many points, and the wider anchor lets them fix those labels
      // (development set, atd: 2.50 -> 2.31 mm with seed 1, 2.69 -> 2.46 with seed 2).
      refresh: { every: 100, start: 0.5, minConfidence: 0.5, maxMove: 2 },
    };
  }
  return {
    ...PAPER_HEATMAP_STAGE,
    size: 64,
    net: kind === 'grouped' ? grouped(1 / 16, 3, [1, 1, 2]) : adapter(1 / 8, 3, 8),
    iterations: 150,
    // The shared backbone takes a larger step than the slim per-landmark models (measured on the tests'
    // synthetic set: 1.3 px at 5e-3 vs 4.3 px at 2e-3 after 120 steps).
    lr: kind === 'adapter' ? 5e-3 : 2e-3,
    lrStep: 1000,
    radiusFrac: 0.08,
    augment: noAugment(),
    refresh: { every: 50, start: 0.5, minConfidence: 0.3, maxMove: 1 },
  };
}

export function templateAugPreset(name: PresetName): TemplateAugConfig {
  return {
    copies: 2,
    ...mildAugment(),
    gamma: 0.2,
    elastic: name === 'full' ? { grid: 5, alpha: 0.005 } : null,
  };
}

export function densePreset(
  method: DenseMethod,
  name: PresetName,
  overrides: { seed?: number; device?: Device } = {},
): DenseConfig {
  const cc2d = cc2dPreset(name, overrides);
  cc2d.stage2 = { ...cc2d.stage2, enabled: false };
  const recipe = RECIPES[method];
  return {
    method,
    preset: name,
    seed: cc2d.seed,
    device: cc2d.device,
    precision: 'fp32',
    cc2d,
    dense: denseStage(name, recipe.net),
    templateAug: recipe.templateAug ? templateAugPreset(name) : null,
    checkpointEvery: name === 'full' ? 500 : name === 'quick' ? 100 : 25,
  };
}

export function validateDense(c: DenseConfig): void {
  const bad = (m: string) => {
    throw new Error(`${c.method} config (${c.preset}): ${m}`);
  };
  const stride = 2 ** c.dense.net.levels;
  if (c.dense.size % stride !== 0) bad(`dense.size ${c.dense.size} must be a multiple of ${stride}`);
  const crops = c.dense.crops;
  if (crops && !(crops.fineSize >= c.dense.size))
    bad(`dense.crops.fineSize ${crops.fineSize} must be at least the crop side dense.size ${c.dense.size}`);
  if (crops && !(crops.jitter >= 0 && crops.jitter < 0.5))
    bad(`dense.crops.jitter ${crops.jitter} must be in [0, 0.5): the label must stay inside its crop`);
  if (crops?.searchRadius !== undefined && !(crops.searchRadius > 0))
    bad(
      `dense.crops.searchRadius ${crops.searchRadius} must be > 0 (a fraction of the crop side; leave it out to search the whole crop)`,
    );
  const shape = crops?.shapeCheck;
  if (shape && !(Number.isInteger(shape.modes) && shape.modes >= 0))
    bad(`dense.crops.shapeCheck.modes ${shape.modes} must be a whole number >= 0`);
  if (shape && !(shape.flag > 0))
    bad(`dense.crops.shapeCheck.flag ${shape.flag} must be > 0 (a fraction of the crop side)`);
  if (c.dense.iterations < 0) bad('dense.iterations must be >= 0');
  if (c.dense.batchPseudo < 0 || c.dense.templateCopies < 0) bad('batch counts must be >= 0');
  if (c.dense.refresh && !(c.dense.refresh.every >= 1)) bad('dense.refresh.every must be >= 1');
  if (c.dense.net.kind === 'grouped' && c.dense.net.convs.length < c.dense.net.levels)
    bad(`dense.net.convs needs ${c.dense.net.levels} entries`);
}
