/**
 * What the detection methods are, without loading them: names, one-line descriptions, presets,
 * and which training settings each one takes. The one list of methods for the CLI, the app's API
 * (`listMethods`, `TrainingMethod`) and the registry (src/methods/registry.ts, which adds the
 * trainers and predictors and so loads the engine).
 *
 * Engine-free and Node-free on purpose: the API service (which never loads libtorch) validates
 * requests with it, and the renderer type-checks against its types.
 */
import type { Precision } from '../engine/precisionType';
import { PRESETS, type PresetName } from './shared/presets';

export type MethodName = 'cc2d' | 'sla' | 'atd' | 'adapter' | 'f2';
export const METHOD_NAMES: MethodName[] = ['cc2d', 'sla', 'atd', 'adapter', 'f2'];

/**
 * Training settings on top of a preset, shared by the CLI (one flag each) and the app
 * (TrainingRequest fields). A method takes only some; `settingProblems` names the others.
 */
export interface TrainSettings {
  /** CC2D stage 1 steps (sla/atd/adapter/f2: the stage 1 trained inside their run). */
  stage1Iterations?: number;
  /**
   * Steps of the stage trained on stage 1's pseudo-labels: CC2D's stage 2, the sla/atd/adapter
   * network, f2's coarse adapter.
   */
  stage2Iterations?: number;
  /** f2: steps of the fine stage. */
  fineIterations?: number;
  /** cc2d: false trains stage 1 only. */
  stage2?: boolean;
  /** torchvision vgg19_bn weights (safetensors) for CC2D's encoder (the stage 1 of the others). */
  backbone?: string;
  /** sla/atd/adapter/f2: a CC2D run whose stage 1 and pseudo-labels to reuse instead of training one. */
  stage1Run?: string;
  /** sla/atd: train only landmarks j ≡ index (mod count), one process per part. */
  part?: { index: number; count: number };
  /** Every stage the run trains, in fp32 or under bf16/fp16 autocast (src/engine/precision.ts). */
  precision?: Precision;
}

export type TrainSetting = keyof TrainSettings;

export interface MethodInfo {
  name: MethodName;
  /** The paper's name. */
  title: string;
  /** One line. */
  describe: string;
  presets: readonly PresetName[];
  /** Models in the paper's sense (Table 1's "model count") for `landmarks` landmarks. */
  modelCount(landmarks: number): number;
  /** True when the method builds on a CC2D stage 1 (its own, or `stage1Run`'s). */
  usesStage1Run: boolean;
  /** Settings the method takes (others are refused by `settingProblems`). */
  settings: readonly TrainSetting[];
}

const COMMON: TrainSetting[] = ['stage1Iterations', 'stage2Iterations', 'backbone', 'precision'];

export const METHOD_INFO: Record<MethodName, MethodInfo> = {
  cc2d: {
    name: 'cc2d',
    title: 'CC2D',
    describe:
      'Self-supervised cascade comparing (stage 1) + heatmap/offset network on its pseudo-labels (stage 2).',
    presets: PRESETS,
    modelCount: () => 1,
    usesStage1Run: false,
    settings: [...COMMON, 'stage2'],
  },
  sla: {
    name: 'sla',
    title: 'CC2D-SLA',
    describe:
      'One model per landmark on stage-1 pseudo-labels (refreshed from its own predictions), trained together as one grouped network.',
    presets: PRESETS,
    modelCount: (n) => n,
    usesStage1Run: true,
    settings: [...COMMON, 'stage1Run', 'part'],
  },
  atd: {
    name: 'atd',
    title: 'C-ATD',
    describe:
      'CC2D-SLA + template augmentation (shift, scale, rotation, intensity, optional elastic) on the device.',
    presets: PRESETS,
    modelCount: (n) => n,
    usesStage1Run: true,
    settings: [...COMMON, 'stage1Run', 'part'],
  },
  adapter: {
    name: 'adapter',
    title: 'C-Adapter',
    describe:
      "One network: convs shared by all landmarks, each landmark keeping 1x1 adapters, norms and a head (quick: ATD's network with its convs shared; tiny/full: a shared U-Net backbone + per-landmark depthwise/BN adapters).",
    presets: PRESETS,
    modelCount: () => 1,
    usesStage1Run: true,
    settings: [...COMMON, 'stage1Run'],
  },
  f2: {
    name: 'f2',
    title: 'C-F2',
    describe:
      "C-Adapter's coarse landmark refined on an original-resolution crop by a decoder on a frozen encoder (stage 1, or DINO ViT-S/8); optionally by a finer cascade level of the Adapter's network instead.",
    presets: PRESETS,
    modelCount: () => 3,
    usesStage1Run: true,
    settings: [...COMMON, 'stage1Run', 'fineIterations'],
  },
};

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && (METHOD_NAMES as string[]).includes(name);
}

export function methodInfo(name: string): MethodInfo {
  if (!isMethodName(name))
    throw new Error(`unknown method '${name}' (available: ${METHOD_NAMES.join(', ')})`);
  return METHOD_INFO[name];
}

/** Why a setting does not apply to a method (the caller prefixes the flag or field name). */
function reasonFor(m: string, s: TrainSetting): string {
  switch (s) {
    case 'stage2':
      return `does not apply to method ${m}: only cc2d has a stage 2 to leave out (${m} trains its own network in its place)`;
    case 'fineIterations':
      return `does not apply to method ${m}: only f2 has a fine stage`;
    case 'stage1Run':
      return `does not apply to method ${m}: it trains its own stage 1 (sla, atd, adapter and f2 can reuse a CC2D run's)`;
    case 'part':
      return `does not apply to method ${m}: only sla and atd (one model per landmark) train in parts`;
    default:
      return `does not apply to method ${m}`;
  }
}

/**
 * Settings a method cannot honour, each with the reason (e.g. a fine-stage step count for a method
 * without a fine stage, or stage-1 settings next to a stage-1 run whose stage 1 is reused).
 * Settings left undefined, and `stage2: true` (the default), are never problems.
 */
export function settingProblems(
  method: MethodName,
  s: TrainSettings,
): { setting: TrainSetting; reason: string }[] {
  return settingProblemsOf(METHOD_INFO[method], s);
}

/** settingProblems for any method description (a registered method outside this catalog too). */
export function settingProblemsOf(
  info: { name: string; settings: readonly TrainSetting[] },
  s: TrainSettings,
): { setting: TrainSetting; reason: string }[] {
  const method = info.name;
  const out: { setting: TrainSetting; reason: string }[] = [];
  for (const k of Object.keys(s) as TrainSetting[]) {
    const v = s[k];
    if (v === undefined || (k === 'stage2' && v === true)) continue;
    if (!info.settings.includes(k)) out.push({ setting: k, reason: reasonFor(method, k) });
    else if ((k === 'stage1Iterations' || k === 'backbone') && s.stage1Run !== undefined)
      out.push({
        setting: k,
        reason: `does not apply with a stage-1 run: ${method} reuses that run's stage 1 and trains none`,
      });
  }
  return out;
}
