/**
 * The presets every method offers: tiny (tests, seconds), quick (minutes), full (the paper's), and
 * the numbers more than one method's presets start from, typed once.
 */
export type PresetName = 'tiny' | 'quick' | 'full';
export const PRESETS: PresetName[] = ['tiny', 'quick', 'full'];

/**
 * METHODS §2's heatmap + offset stage at the paper's size: 90 epochs of ~50 batches (149 images /
 * 3), lr ×0.1 every 30 epochs. CC2D's stage 2 and the dense methods' stage start from it.
 */
export const PAPER_HEATMAP_STAGE = {
  size: 384,
  iterations: 4500,
  batchPseudo: 3,
  templateCopies: 1,
  lr: 3e-4,
  weightDecay: 1e-4,
  lrStep: 1500,
  lrGamma: 0.1,
  radiusFrac: 0.05,
  heatmapWeight: 2,
  focalGamma: 1,
};

/** Image augmentation ranges of a heatmap stage. */
export interface AugmentRanges {
  rotationDeg: number;
  scale: number;
  shift: number;
  brightness: number;
  contrast: number;
}

export function noAugment(): AugmentRanges {
  return { rotationDeg: 0, scale: 0, shift: 0, brightness: 0, contrast: 0 };
}

/**
 * The mild ranges of the quick presets and of template augmentation: FM-OSD's (shift ±2%, scale
 * ±1%, rotation ±5°) widened a little, so that few steps still cover the images' pose spread.
 */
export function mildAugment(): AugmentRanges {
  return { rotationDeg: 5, scale: 0.05, shift: 0.03, brightness: 0.1, contrast: 0.15 };
}
