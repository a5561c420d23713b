/**
 * C-F2 (METHODS §6): C-Adapter's coarse landmark, then a fine stage at (near) original resolution
 * on a crop around it. Two forms of the fine stage:
 *
 * - 'match' (FM-OSD's, every preset): a frozen encoder (CC2D's stage-1 network run on the
 *   high-resolution crop, or a DINO ViT-S/8 from user-supplied weights) and a small decoder trained on
 *   template crops only, so that the cosine similarity of the template landmark's feature with the
 *   crop's features is a Gaussian at the landmark. Inference: top-k candidates, each checked by
 *   matching back to the template.
 * - 'cascade' (an option, measured on the development set: docs/methods.md): one more level of the
 *   cascade the dense methods already are. The Adapter's network again, on crops cut at a finer
 *   grid around the Adapter's answers, trained on those answers for the unlabelled images (as the
 *   Adapter was trained on stage 1's) plus the template's truth and its augmented copies
 *   (f2/cascade.ts).
 */
import type { Device } from '../../engine/deviceType';
import { densePreset, validateDense, type DenseConfig, type DenseStageConfig } from '../dense/config';
import { type PresetName } from '../shared/presets';

/** The fine stage's folder in an f2 run. */
export const FINE = 'fine';

/** The fine stage's form; configs saved before 'cascade' existed have no kind: 'match'. */
export type FineConfig = MatchFineConfig | CascadeFineConfig;

export interface CascadeFineConfig {
  kind: 'cascade';
  /** The fine level's dense stage: its crops are cut at `dense.crops.fineSize` around the Adapter's answers. */
  dense: DenseStageConfig;
  /** How far the answer goes from the Adapter's point towards the fine level's (1 = all the way). */
  blend: number;
}

export function isCascade(f: FineConfig): f is CascadeFineConfig {
  return f.kind === 'cascade';
}

/** The fine stage's training steps, whichever its form. */
export function fineSteps(f: FineConfig): number {
  return isCascade(f) ? f.dense.iterations : f.iterations;
}

/** Networks in the paper's sense: the match form's stage-1 encoder, C-Adapter and fine decoder; the cascade's two levels. */
export function f2ModelCount(f: FineConfig): number {
  return isCascade(f) ? 2 : 3;
}

export function setFineSteps(f: FineConfig, steps: number): void {
  if (isCascade(f)) f.dense.iterations = steps;
  else f.iterations = steps;
}

export interface MatchFineConfig {
  kind?: 'match';
  /** Crop side in crop pixels (FM-OSD: 224). */
  crop: number;
  /** Original pixels per crop pixel (1 = original resolution). */
  scale: number;
  encoder: 'stage1' | 'vit';
  /**
   * ViT: safetensors file with DINO ViT-S/8 weights (required for encoder 'vit'), the block read, the
   * patch stride, and the log-binning hierarchy of the keys (2 = FM-OSD's 6528-d descriptor; 0 = raw keys).
   */
  vit: { weights?: string; layer: number; stride: number; logBin: number };
  /** Output feature channels of the decoder. */
  features: number;
  iterations: number;
  /** Template crops per step. */
  batch: number;
  lr: number;
  /** Training crops are shifted by up to ±maxShift crop pixels (FM-OSD: ±50 px). */
  maxShift: number;
  /** Rotation (degrees) and intensity jitter of training crops. */
  rotationDeg: number;
  brightness: number;
  contrast: number;
  /** 'ce' (softmax cross-entropy to the Gaussian, default) or FM-OSD's 'mse' (see fineLoss). */
  loss: 'ce' | 'mse';
  /** Gaussian target sigma, crop pixels (FM-OSD: 2). */
  sigma: number;
  /** The fine point stays within maxMove crop pixels of the coarse one, on each axis (≤ (crop−1)/2). */
  maxMove: number;
  /**
   * How far the answer goes from the coarse point towards the accepted fine one: 1 = all the way
   * (FM-OSD), 0.5 = their mean. Two estimators with partly independent errors (the coarse model
   * learned from pseudo-labels, the fine one from the template alone) average to a better one when
   * neither dominates. Absent in configs saved before it: 1.
   */
  blend?: number;
  /** Candidates checked by matching back to the template (FM-OSD: 3), and the back-match tolerance (crop px). */
  topK: number;
  matchTolerance: number;
}

export interface F2Config extends DenseConfig {
  method: 'f2';
  fine: FineConfig;
}

export function f2Preset(name: PresetName, overrides: { seed?: number; device?: Device } = {}): F2Config {
  const base = densePreset('f2', name, overrides);
  const fine: FineConfig =
    name === 'full'
      ? {
          crop: 224,
          scale: 1,
          encoder: 'stage1',
          vit: { layer: 8, stride: 4, logBin: 2 },
          features: 64,
          iterations: 3000,
          batch: 8,
          lr: 1e-3,
          maxShift: 50,
          rotationDeg: 5,
          brightness: 0.1,
          contrast: 0.15,
          loss: 'ce',
          sigma: 2,
          maxMove: 50,
          topK: 3,
          matchTolerance: 4,
        }
      : name === 'quick'
        ? {
            crop: 96,
            scale: 2,
            encoder: 'stage1',
            vit: { layer: 8, stride: 4, logBin: 2 },
            features: 32,
            iterations: 200,
            batch: 4,
            lr: 1e-3,
            maxShift: 20,
            rotationDeg: 5,
            brightness: 0.1,
            contrast: 0.15,
            loss: 'ce',
            sigma: 2,
            // Chosen on the development set over 0/3/6/10/20 (docs/methods.md): the cascade-form Adapter's
            // grid is already 0.3-0.375 mm, and larger moves of the fine stage did harm. The cascade
            // form (a finer level of the Adapter's network) did not do better there either, at twice
            // the cost (2.71 against the Adapter's 2.64 mm; docs/methods.md).
            maxMove: 3,
            topK: 3,
            matchTolerance: 3,
          }
        : {
            crop: 32,
            scale: 1,
            encoder: 'stage1',
            vit: { layer: 8, stride: 4, logBin: 2 },
            features: 16,
            iterations: 60,
            batch: 4,
            lr: 2e-3,
            maxShift: 6,
            rotationDeg: 0,
            brightness: 0.05,
            contrast: 0.05,
            loss: 'ce',
            sigma: 1.5,
            maxMove: 6,
            topK: 3,
            matchTolerance: 3,
          };
  return { ...base, method: 'f2', fine };
}

export function validateFine(f: FineConfig, c: DenseConfig): void {
  const bad = (m: string) => {
    throw new Error(`f2 config: fine.${m}`);
  };
  if (f.kind === 'cascade') {
    if (!f.dense.crops) bad('dense.crops: the cascade fine level works on crops around the coarse answers');
    if (!(f.blend >= 0 && f.blend <= 1)) bad(`blend ${f.blend} must be in [0, 1]`);
    try {
      validateDense({ ...c, dense: f.dense });
    } catch (e) {
      bad(`dense: ${(e as Error).message}`);
    }
    return;
  }
  if (f.kind !== undefined && f.kind !== 'match') bad(`kind "${String(f.kind)}": expected match or cascade`);
  if (!(f.crop >= 8) || f.crop % 4 !== 0) bad(`crop ${f.crop} must be a multiple of 4, >= 8`);
  if (!(f.scale > 0)) bad(`scale must be > 0`);
  if (!(f.maxMove >= 0) || f.maxMove > (f.crop - 1) / 2)
    bad(`maxMove ${f.maxMove} must be within the crop's half side ${(f.crop - 1) / 2}`);
  if (!Number.isInteger(f.vit.logBin) || f.vit.logBin < 0 || f.vit.logBin > 4)
    bad(`vit.logBin ${f.vit.logBin}: expected an integer 0..4 (2 = FM-OSD)`);
  if (f.encoder === 'vit' && !f.vit.weights)
    bad('vit.weights: the ViT encoder needs a safetensors file (DINO ViT-S/8)');
}
