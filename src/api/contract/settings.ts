/**
 * How a client shows each optional training setting of a TrainingRequest. `listMethods()` says
 * which of them a method takes (MethodSummary.settings), this says what each one is, so a form is
 * drawn from the two and a new setting cannot be added without its field (the Record's keys).
 */
import type { TrainingSetting } from './types';

export interface TrainingSettingField {
  /** What the form shows next to the input. */
  label: string;
  /** The input's name (the e2e tests find it by this). */
  name: string;
}

/** Every setting so far is a step count: a whole number >= 0, or none for the preset's. */
export const TRAINING_SETTING_FIELDS: Record<TrainingSetting, TrainingSettingField> = {
  stage1Iterations: { label: 'Stage 1 iterations', name: 'stage1-iterations' },
  stage2Iterations: { label: 'Stage 2 iterations', name: 'stage2-iterations' },
  fineIterations: { label: 'Fine iterations', name: 'fine-iterations' },
};

/** Every optional setting a TrainingRequest may carry, in the order a form lists them. */
export const TRAINING_SETTINGS = Object.keys(TRAINING_SETTING_FIELDS) as TrainingSetting[];
